// Integration tests seal their audit events with a random key and export
// checkpoints to a temporary file, never to the developer's .data folder.
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { auditKeyring, configureAudit } from "@/server/audit/keys";

configureAudit({
  keyring: auditKeyring(randomBytes(32).toString("base64url")),
  checkpointFile: path.join(mkdtempSync(path.join(tmpdir(), "pp-audit-")), "audit-checkpoints.jsonl"),
  checkpointSeconds: 0,
});
