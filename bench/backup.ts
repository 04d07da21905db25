/**
 * Backup and restore benchmark (issue 18 item 9): a store holding a keyed audit trail of
 * BACKUP_BENCH_EVENTS events (default 200,000; the audit chain is what grows without bound), written with `policyplane backup`'s writeBackup and
 * restored with restoreBackup into a fresh database (which re-verifies the whole chain in its transaction).
 * In-memory PGlite, or PostgreSQL with TEST_DB=postgres (fresh databases on TEST_POSTGRES_URL).
 *
 *   npx tsx --conditions=react-server bench/backup.ts
 *   TEST_DB=postgres BACKUP_BENCH_EVENTS=1000000 npx tsx --conditions=react-server bench/backup.ts
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openTestDatabase, testDatabaseKind } from "../db/testing";
import { auditKeyring, configureAudit } from "../server/audit/keys";
import { restoreBackup, writeBackup } from "../server/backup/bundle";
import { bulkInsertAuditTrail } from "./lib/audit-trail";
import { machineDescription } from "./lib/report";

const EVENTS = Number(process.env.BACKUP_BENCH_EVENTS ?? 200_000);
const dir = mkdtempSync(join(tmpdir(), "pp-bench-backup-"));
const keyring = auditKeyring(randomBytes(32).toString("base64url"));
configureAudit({ keyring, checkpointFile: join(dir, "checkpoints.jsonl"), checkpointSeconds: 0 });

const source = await openTestDatabase();
const target = await openTestDatabase();
try {
  await bulkInsertAuditTrail(source, keyring.current, EVENTS);
  const file = join(dir, "store.jsonl.gz");
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);

  let started = performance.now();
  const backup = await writeBackup(source.db, file);
  const backupMs = performance.now() - started;
  const rows = Object.values(backup.tables).reduce((a, b) => a + b, 0);

  started = performance.now();
  const restored = await restoreBackup(target.db, file, keyring);
  const restoreMs = performance.now() - started;
  clearInterval(sampler);

  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  console.log(
    `${testDatabaseKind()}: ${rows.toLocaleString("en-GB")} rows (${backup.tables.audit_events!.toLocaleString("en-GB")} audit events)`,
  );
  console.log(
    `backup:  ${s(backupMs)} (${Math.round(rows / (backupMs / 1000)).toLocaleString("en-GB")} rows/s), bundle ${(statSync(file).size / 1024 / 1024).toFixed(1)} MiB`,
  );
  console.log(
    `restore: ${s(restoreMs)} (${Math.round(rows / (restoreMs / 1000)).toLocaleString("en-GB")} rows/s, chain of ${restored.auditEvents.toLocaleString("en-GB")} events verified inside)`,
  );
  console.log(`peak RSS ${(peak / 1024 / 1024).toFixed(0)} MiB`);
  console.log(machineDescription());
} finally {
  await source.close();
  await target.close();
  rmSync(dir, { recursive: true, force: true });
}
