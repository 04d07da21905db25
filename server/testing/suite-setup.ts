// Every integration suite seals its audit events with the run's random key (the
// one the template databases were seeded with) and exports checkpoints to a
// temporary file, never to the developer's .data folder; its databases start
// from the run's templates and its worker threads run the run's bundles
// (server/testing/global-setup.ts).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { inject } from "vitest";
import { useTestDatabaseTemplates } from "@/db/testing";
import { auditKeyring, configureAudit } from "@/server/audit/keys";

configureAudit({
  keyring: auditKeyring(inject("auditSecret")),
  checkpointFile: path.join(mkdtempSync(path.join(tmpdir(), "pp-audit-")), "audit-checkpoints.jsonl"),
  checkpointSeconds: 0,
});
useTestDatabaseTemplates(inject("testDatabaseTemplates"));
for (const [variable, file] of Object.entries(inject("workerBundles"))) process.env[variable] ??= file;
