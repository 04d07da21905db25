// `npm run audit:verify` and `npm run audit:export` as an operator runs them: processes on the configured database.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { testDatabaseKind } from "@/db/testing";
import { exportCheckpoint } from "@/server/audit/checkpoints";
import { auditKeyring, configureAudit, type AuditSettings } from "@/server/audit/keys";
import { recordAudit } from "@/server/audit/record";
import { systemActor, withTransaction } from "@/server/context";
import { emptyDatabase, type EmptyDatabase } from "@/server/testing/empty-database";

const root = path.resolve(import.meta.dirname, "..");
const CLEAN_ENV = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(DATABASE_|PGLITE_DIR|POLICYPLANE_|AUDIT_|HOST$)/.test(k)),
);

function script(name: string, env: Record<string, string>) {
  return spawnSync(
    process.execPath,
    [path.join(root, "node_modules", "tsx", "dist", "cli.mjs"), "--conditions=react-server", `scripts/${name}.ts`],
    { cwd: root, encoding: "utf8", timeout: 120_000, env: { ...CLEAN_ENV, ...env } as NodeJS.ProcessEnv },
  );
}

describe(`audit scripts on ${testDatabaseKind()}`, () => {
  let database: EmptyDatabase | undefined;
  afterEach(async () => {
    await database?.drop();
    database = undefined;
  });

  it("verifies an intact trail (exit 0), exports it as JSON lines, and names the first tampered event (exit 1)", async () => {
    database = await emptyDatabase();
    const secret = "s".repeat(40);
    const checkpointFile = path.join(path.dirname(database.env.PGLITE_DIR ?? database.env.AUDIT_CHECKPOINT_FILE!), "checkpoints.jsonl");
    const settings: AuditSettings = { keyring: auditKeyring(secret), checkpointFile, checkpointSeconds: 0 };
    configureAudit(settings);
    const env = { ...database.env, AUDIT_KEY: secret, AUDIT_CHECKPOINT_FILE: checkpointFile };
    const handle = await database.open();
    for (let i = 1; i <= 3; i++) {
      await withTransaction({ db: handle.db, actor: systemActor("script test"), requestId: `r${i}` }, (tx) =>
        recordAudit(tx, { action: "policy.updated", targetType: "policy", targetId: `p${i}` }),
      );
    }
    await exportCheckpoint(handle.db, settings);
    await handle.close();

    const intact = script("audit-verify", env);
    expect(intact.stderr).toBe("");
    expect(intact.status).toBe(0);
    expect(intact.stdout).toMatch(
      /Audit chain intact: 4 event\(s\), head #4 [0-9a-f]{64}\.\nThe newest checkpoint in .*checkpoints\.jsonl \(#4, exported .*\) is in the chain\./,
    );

    const exported = script("audit-export", env);
    expect(exported.status).toBe(0);
    const lines = exported.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { seq: number; action: string; keyId: string });
    expect(lines.map((l) => [l.seq, l.action])).toEqual([
      [1, "policy.updated"],
      [2, "policy.updated"],
      [3, "policy.updated"],
      [4, "audit.checkpoint"],
    ]);
    expect(new Set(lines.map((l) => l.keyId))).toEqual(new Set([settings.keyring.current.id]));

    const owner = await database.open();
    await owner.db.execute(sql`ALTER TABLE audit_events DISABLE TRIGGER USER`);
    await owner.db.execute(sql`UPDATE audit_events SET target_id = 'p9' WHERE seq = 2`);
    await owner.close();
    const tampered = script("audit-verify", env);
    expect(tampered.status).toBe(1);
    expect(tampered.stderr).toMatch(/^TAMPERED: event #2 was modified after it was written\. 1 event\(s\) before it verified\./);
    // Three script processes, each compiling its TypeScript and opening the database: ~20 s alone, 68 s once
    // in a full run on PGlite (past the default 60 s).
  }, 180_000);

  it("refuses to run without a key when the database is PostgreSQL (exit 2, names the variables)", async () => {
    database = await emptyDatabase();
    const { AUDIT_KEY: _key, ...withoutKey } = database.env;
    const run = script("audit-verify", { ...withoutKey, DATABASE_URL: withoutKey.DATABASE_URL ?? "postgres://nobody@127.0.0.1:1/none" });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/AUDIT_KEY or AUDIT_KEY_FILE must be set when DATABASE_URL is used/);
  });
});
