// Disaster recovery as an operator runs it (README "Backup and disaster recovery"): `policyplane backup` on
// the old installation's database, `policyplane restore` into a new, empty one with the same AUDIT_KEY,
// then `npm run audit:verify` there says the chain is intact; a second restore is refused (exit 1).
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { testDatabaseKind } from "@/db/testing";
import { auditKeyring, auditSettings, configureAudit } from "@/server/audit/keys";
import { seedDemoOrganisation } from "@/server/seed/demo";
import { emptyDatabase, type EmptyDatabase } from "@/server/testing/empty-database";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../../..");
const CLI = path.join(root, "bin/policyplane.mjs");
const CLEAN_ENV = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(DATABASE_|PGLITE_DIR|POLICYPLANE_|AUDIT_|HOST$)/.test(k)),
);

describe(`policyplane backup / restore as processes on ${testDatabaseKind()}`, () => {
  const dir = mkdtempSync(path.join(tmpdir(), "pp-dr-"));
  const databases: EmptyDatabase[] = [];
  const secret = "dr-test-key-".padEnd(44, "k");
  const envOf = (db: EmptyDatabase, checkpoints: string) =>
    ({ ...CLEAN_ENV, ...db.env, AUDIT_KEY: secret, AUDIT_CHECKPOINT_FILE: path.join(dir, checkpoints) }) as unknown as NodeJS.ProcessEnv;
  const saved = auditSettings();
  afterAll(async () => {
    configureAudit(saved);
    for (const db of databases) await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("backs up the old store, restores it into a new database, and the audit chain verifies there", async () => {
    const old = await emptyDatabase();
    const fresh = await emptyDatabase();
    databases.push(old, fresh);
    configureAudit({ keyring: auditKeyring(secret), checkpointFile: path.join(dir, "old.jsonl"), checkpointSeconds: 0 });
    const handle = await old.open();
    await seedDemoOrganisation(handle.db);
    await handle.close();

    const bundle = path.join(dir, "store.jsonl.gz");
    const backup = await run(process.execPath, [CLI, "backup", "--out", bundle], { env: envOf(old, "old.jsonl"), timeout: 120_000 });
    const summary = JSON.parse(backup.stdout) as { sha256: string; tables: Record<string, number> };
    expect(summary.tables.policies).toBeGreaterThan(20);

    const restore = await run(process.execPath, [CLI, "restore", bundle], { env: envOf(fresh, "new.jsonl"), timeout: 120_000 });
    expect(JSON.parse(restore.stdout)).toMatchObject({ sha256: summary.sha256, tables: summary.tables });

    const again = spawnSync(process.execPath, [CLI, "restore", bundle], {
      env: envOf(fresh, "new.jsonl"),
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/^error: Refusing to restore into a database that is not empty/);

    const verify = spawnSync(
      process.execPath,
      [path.join(root, "node_modules", "tsx", "dist", "cli.mjs"), "--conditions=react-server", "scripts/audit-verify.ts"],
      { cwd: root, env: envOf(fresh, "new.jsonl"), encoding: "utf8", timeout: 120_000 },
    );
    expect(verify.stderr).toBe("");
    expect(verify.status).toBe(0);
    // The restored events and the restore's own backup.restored event.
    expect(verify.stdout).toMatch(new RegExp(`^Audit chain intact: ${summary.tables.audit_events! + 1} event\\(s\\)`));
  }, 300_000);
});
