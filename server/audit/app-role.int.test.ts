// PostgreSQL: the application runs as a role that cannot rewrite the audit trail
// (db/app-role.sql), and migrations run as the owner (DATABASE_MIGRATION_URL).
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MIGRATIONS_FOLDER, openDatabase } from "@/db/client";
import { auditEvents } from "@/db/schema";
import { createPostgresTestDatabase, testDatabaseKind } from "@/db/testing";
import { verifyAuditTrail } from "@/server/audit/query";
import { parseEnv } from "@/server/env";
import { createRuntime, type Runtime } from "@/server/runtime";

const APP_ROLE_SQL = path.join(MIGRATIONS_FOLDER, "..", "app-role.sql");

describe.skipIf(testDatabaseKind() !== "postgres")("the application's PostgreSQL role (db/app-role.sql)", () => {
  // Roles are shared by the whole server: a name of its own per run.
  const role = `policyplane_app_${randomBytes(4).toString("hex")}`;
  let created: Awaited<ReturnType<typeof createPostgresTestDatabase>>;
  let runtime: Runtime;
  let ownerUrl: string;

  beforeAll(async () => {
    created = await createPostgresTestDatabase();
    ownerUrl = created.url;
    const owner = await openDatabase({ kind: "postgres", url: ownerUrl });
    await owner.db.execute(sql.raw(readFileSync(APP_ROLE_SQL, "utf8").replaceAll("policyplane_app", role)));
    await owner.close();
    const appUrl = new URL(ownerUrl);
    appUrl.username = role;
    const files = mkdtempSync(path.join(tmpdir(), "pp-app-role-"));
    runtime = await createRuntime(
      parseEnv({
        DATABASE_URL: appUrl.toString(),
        DATABASE_MIGRATION_URL: ownerUrl,
        BETTER_AUTH_SECRET: randomBytes(32).toString("base64url"),
        AUDIT_KEY: randomBytes(32).toString("base64url"),
        AUDIT_CHECKPOINT_FILE: path.join(files, "checkpoints.jsonl"),
        POLICYPLANE_DEMO: "on",
      }),
    );
  });
  afterAll(async () => {
    await runtime?.database.close();
    await created?.drop();
    const { default: postgres } = await import("postgres");
    const admin = postgres(ownerUrl.replace(/\/[^/]+$/, "/postgres"), { max: 1, onnotice: () => {} });
    await admin.unsafe(`DROP ROLE IF EXISTS ${role}`);
    await admin.end();
  });

  it("runs the application as that role: it seeds, writes its audit events and exports a checkpoint", async () => {
    const [who] = (await runtime.database.db.execute(sql`SELECT current_user AS name`)) as unknown as { name: string }[];
    expect(who?.name).toBe(role);
    expect(await verifyAuditTrail(runtime.database.db, runtime.audit)).toMatchObject({ ok: true, checked: 2, checkpoint: { seq: 2 } });
    const actions = await runtime.database.db.select({ action: auditEvents.action }).from(auditEvents).orderBy(auditEvents.seq);
    expect(actions.map((a) => a.action)).toEqual(["demo.seeded", "audit.checkpoint"]);
  });

  it.each([
    ["UPDATE", sql`UPDATE audit_events SET actor_label = 'someone-else'`, /permission denied for table audit_events/],
    ["DELETE", sql`DELETE FROM audit_events`, /permission denied for table audit_events/],
    ["TRUNCATE", sql`TRUNCATE audit_events`, /permission denied for table audit_events/],
    ["DISABLE TRIGGER", sql`ALTER TABLE audit_events DISABLE TRIGGER USER`, /must be owner of table audit_events/],
    ["DROP TRIGGER", sql`DROP TRIGGER audit_events_no_update_delete ON audit_events`, /must be owner of (table|relation) audit_events/],
    ["DROP TABLE", sql`DROP TABLE audit_events`, /must be owner of table audit_events/],
  ])("refuses %s on audit_events to the application's role", async (_what, statement, refusal) => {
    await expect(runtime.database.db.execute(statement)).rejects.toSatisfy((error: Error) =>
      refusal.test(String((error.cause as Error | undefined)?.message ?? error.message)),
    );
    expect(await verifyAuditTrail(runtime.database.db, runtime.audit)).toMatchObject({ ok: true });
  });
});
