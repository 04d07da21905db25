// The way into a real installation, from an empty database: the first admin,
// their one-time set-password link, and the CLI command as a process.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type DatabaseHandle } from "@/db/client";
import { auditEvents, memberships, user, verification } from "@/db/schema";
import { createPostgresTestDatabase, openTestDatabase, testDatabaseKind } from "@/db/testing";
import { createAuth } from "@/server/auth/auth";
import { systemActor } from "@/server/context";
import { parseEnv } from "@/server/env";
import { callerFor } from "@/server/testing/actors";
import { authRequests } from "@/server/testing/auth-requests";
import { trpcCode } from "@/server/testing/trpc";
import { createFirstAdmin, setPasswordWithToken } from "./bootstrap";

const run = promisify(execFile);
const CLI = path.resolve("bin/policyplane.mjs");

describe(`first admin of an empty installation on ${testDatabaseKind()}`, () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await openTestDatabase();
  });
  afterAll(async () => {
    await handle?.close();
  });
  const ctx = () => ({ db: handle.db, actor: systemActor("policyplane admin create"), requestId: "bootstrap-test" });
  const linkHolder = () => ({ db: handle.db, requestId: "set-password-test" });

  it("creates the admin with a one-time link whose token is stored only hashed, and audits it", async () => {
    const created = await createFirstAdmin({ ctx: ctx(), input: { email: "Root@Example.com" } });
    const [row] = await handle.db.select().from(user).where(eq(user.id, created.userId));
    expect(row).toMatchObject({ email: "root@example.com" });
    expect(
      await handle.db
        .select({ role: memberships.role, tenantId: memberships.tenantId })
        .from(memberships)
        .where(eq(memberships.userId, created.userId)),
    ).toEqual([{ role: "admin", tenantId: null }]);
    const stored = await handle.db.select().from(verification);
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain(created.token);
    expect(stored[0]!.expiresAt.getTime() - Date.now()).toBeGreaterThan(23.9 * 3600_000);
    const [event] = await handle.db.select().from(auditEvents).where(eq(auditEvents.action, "admin.bootstrapped"));
    expect(event).toMatchObject({ targetId: created.userId, actorLabel: "policyplane admin create" });
    expect(JSON.stringify(event)).not.toContain(created.token);

    // The link sets the password through the public API; the admin can then sign in with it; the link is spent.
    const anonymous = await callerFor(handle.db, null);
    expect(await anonymous.account.setPassword({ token: created.token, password: "root-chosen-password" })).toEqual({
      email: "root@example.com",
    });
    const auth = createAuth(handle.db, parseEnv({ PORT: "3994" }), "u".repeat(40));
    const signedIn = await authRequests(auth, "http://localhost:3994").post("/sign-in/email", {
      email: "root@example.com",
      password: "root-chosen-password",
    });
    expect(signedIn.status).toBe(200);
    expect(await trpcCode(anonymous.account.setPassword({ token: created.token, password: "another-password" }))).toBe("BAD_REQUEST");
    expect(await handle.db.select().from(auditEvents).where(eq(auditEvents.action, "user.password_set"))).toHaveLength(1);
  });

  it("refuses once a global admin exists", async () => {
    await expect(createFirstAdmin({ ctx: ctx(), input: { email: "second@example.com" } })).rejects.toMatchObject({ code: "CONFLICT" });
    expect(await handle.db.select().from(user).where(eq(user.email, "second@example.com"))).toEqual([]);
  });

  it("refuses an expired or unknown link", async () => {
    await handle.db.delete(memberships).where(eq(memberships.role, "admin"));
    const created = await createFirstAdmin({ ctx: ctx(), input: { email: "late@example.com" } });
    const later = new Date(Date.now() + 25 * 3600_000);
    await expect(
      setPasswordWithToken({ ctx: linkHolder(), input: { token: created.token, password: "too-late-password" }, now: later }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(
      setPasswordWithToken({ ctx: linkHolder(), input: { token: "x".repeat(43), password: "guessing-password" } }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });
});

describe(`policyplane admin create as a process on an empty ${testDatabaseKind()}`, () => {
  let env: NodeJS.ProcessEnv;
  let open: () => Promise<DatabaseHandle>;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const { DATABASE_URL: _url, PGLITE_DIR: _dir, ...rest } = process.env;
    if (testDatabaseKind() === "postgres") {
      const created = await createPostgresTestDatabase();
      // As a real installation on PostgreSQL must: the audit key lives outside the database.
      env = { ...rest, DATABASE_URL: created.url, AUDIT_KEY: "k".repeat(40) };
      open = () => openDatabase({ kind: "postgres", url: created.url });
      cleanup = created.drop;
    } else {
      const dir = mkdtempSync(path.join(tmpdir(), "policyplane-admin-"));
      env = { ...rest, PGLITE_DIR: path.join(dir, "pglite") };
      open = () => openDatabase({ kind: "pglite", dataDir: path.join(dir, "pglite") });
      cleanup = async () => rmSync(dir, { recursive: true, force: true });
    }
  });
  afterAll(async () => {
    await cleanup?.();
  });

  it("prints a working one-time link the first time, and refuses with exit 1 once an admin exists", async () => {
    const first = await run(process.execPath, [CLI, "admin", "create", "--email", "ops@example.com", "--name", "Ops"], { env });
    const link = /^(http:\/\/localhost:3000\/set-password\?token=([A-Za-z0-9_-]{40,}))$/m.exec(first.stdout);
    expect(link, first.stdout).not.toBeNull();

    const second = await run(process.execPath, [CLI, "admin", "create", "--email", "someone-else@example.com"], { env }).then(
      () => ({ code: 0, stderr: "" }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/An admin already exists/);

    const handle = await open();
    try {
      expect(
        await setPasswordWithToken({
          ctx: { db: handle.db, requestId: "set-password-test" },
          input: { token: link![2]!, password: "ops-chosen-password" },
        }),
      ).toEqual({ email: "ops@example.com" });
      const events = await handle.db.select({ action: auditEvents.action }).from(auditEvents).orderBy(auditEvents.seq);
      expect(events.map((e) => e.action)).toEqual(["admin.bootstrapped", "user.password_set"]);
    } finally {
      await handle.close();
    }
    // Two CLI processes, each starting an embedded database in an empty folder: 12 s alone, 24-34 s in a
    // full run (both integration runs and e2e side by side), and once past 60 s there.
  }, 180_000);
});
