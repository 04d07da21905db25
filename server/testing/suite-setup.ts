// Every integration suite seals its audit events with the run's random key (the
// one the template databases were seeded with) and exports checkpoints to a
// temporary file, never to the developer's .data folder; its databases start
// from the run's templates and its worker threads run the run's bundles
// (server/testing/global-setup.ts).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { inject } from "vitest";
import { beforeTestDatabaseCloses, useTestDatabaseTemplates } from "@/db/testing";
import { stopIngestAlerts } from "@/server/alerts/on-ingest";
import { auditKeyring, configureAudit } from "@/server/audit/keys";
import { flushDecisionLog } from "@/server/decisions/log";
import { drainEngine } from "@/server/engine-pool/pool";
import { forgetEnv } from "@/server/env";
import { perProcess, resetPerProcessState } from "@/server/lib/per-process";
import { stopRuntime } from "@/server/runtime";

// The files share one process (vitest.config.ts: no isolation, which spent ~4 s a file loading the
// same modules again). What a file may have changed of the process's state is put back before the
// next one starts, as a process of its own would have it: the environment (files set variables such
// as POLICYPLANE_TEST_CLOCK), env()'s reading of it, and the server's per-process state (the test
// clock's offset, memos and caches keyed by ids that every file's database reuses, live runs,
// metrics) except what its declaration keeps across test files (server/lib/per-process.ts).
//
// Background work a file started (alert evaluations after its flow batches, the decision log's
// writes, engine tasks) must not go on against its database once closed, nor hold up the next file:
// it is stopped before every test database closes, and once more here, with the runtime that server
// code may have started (and its database), before the state is dropped.
async function stopBackgroundWork(): Promise<void> {
  await Promise.all([stopIngestAlerts(), flushDecisionLog(), drainEngine()]);
}
beforeTestDatabaseCloses(stopBackgroundWork);
await stopBackgroundWork();
await stopRuntime();

const envAtStart = perProcess("IntegrationEnvAtStart", () => ({ ...process.env }), { keptAcrossTestFiles: true })();
for (const name of Object.keys(process.env)) if (!(name in envAtStart)) delete process.env[name];
Object.assign(process.env, envAtStart);
forgetEnv();
resetPerProcessState();

configureAudit({
  keyring: auditKeyring(inject("auditSecret")),
  checkpointFile: path.join(mkdtempSync(path.join(tmpdir(), "pp-audit-")), "audit-checkpoints.jsonl"),
  checkpointSeconds: 0,
});
useTestDatabaseTemplates(inject("testDatabaseTemplates"));
for (const [variable, file] of Object.entries(inject("workerBundles"))) process.env[variable] ??= file;
