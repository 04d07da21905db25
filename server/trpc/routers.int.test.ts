import { count, desc, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { DatabaseHandle } from "@/db/client";
import { auditEvents, memberships, policyVersions, tenants, user } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { useSeededDatabase } from "@/server/testing/database";
import { withTransaction } from "@/server/context";
import { isUniqueViolation } from "@/server/errors";
import { createUser } from "@/server/settings/users";
import { callerFor, demoActor } from "@/server/testing/actors";
import { trpcCode } from "@/server/testing/trpc";
import { auditEventsAfter, auditHead } from "@/server/testing/audit-events";
import { verifyAuditTrail } from "@/server/audit/query";

const ADMIN = "alex.admin@acme.example";
const AUTHOR = "priya.payments@acme.example";
const VIEWER = "avery.audit@acme.example";

async function auditCount(handle: DatabaseHandle) {
  const [row] = await handle.db.select({ n: count() }).from(auditEvents);
  return row?.n ?? 0;
}

describe(`console API on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();

  it("refuses every call from a caller without a session", async () => {
    const anonymous = await callerFor(database().db, null);
    expect(await trpcCode(anonymous.overview.counts())).toBe("UNAUTHORIZED");
    expect(await trpcCode(anonymous.audit.list({}))).toBe("UNAUTHORIZED");
  });

  it("refuses admin settings to an author on the server, and writes nothing but the refusals", async () => {
    const author = await callerFor(database().db, AUTHOR);
    const head = await auditHead(database().db);
    expect(await trpcCode(author.settings.users())).toBe("FORBIDDEN");
    expect(
      await trpcCode(
        author.settings.createToken({ name: "sneaky", role: "admin", tenantId: null, scopes: ["decide"], expiresInDays: null }),
      ),
    ).toBe("FORBIDDEN");
    expect(await trpcCode(author.settings.createUser({ name: "X", email: "x@acme.example", password: "long-enough-1" }))).toBe("FORBIDDEN");
    expect(await database().db.select().from(user).where(eq(user.email, "x@acme.example"))).toEqual([]);
    // The refused reading leaves no event; each refused change leaves its refusal, and nothing else.
    expect(await auditEventsAfter(database().db, head)).toMatchObject([
      { action: "mutation.refused", targetId: "settings.createToken", actorLabel: AUTHOR, after: { code: "FORBIDDEN" } },
      { action: "mutation.refused", targetId: "settings.createUser", actorLabel: AUTHOR, after: { code: "FORBIDDEN" } },
    ]);
  });

  it("records a refused change in its own transaction, chained like any event, and nothing for a caller without a session", async () => {
    const head = await auditHead(database().db);
    const anonymous = await callerFor(database().db, null);
    expect(await trpcCode(anonymous.settings.createUser({ name: "X", email: "x@acme.example", password: "long-enough-1" }))).toBe(
      "UNAUTHORIZED",
    );
    expect(await auditEventsAfter(database().db, head)).toEqual([]);
    const admin = await callerFor(database().db, ADMIN);
    // Refused inside the service, after its transaction began: the change rolls back, the refusal stays.
    expect(await trpcCode(admin.settings.createUser({ name: "Again", email: AUTHOR, password: "long-enough-1" }))).toBe("BAD_REQUEST");
    expect(await auditEventsAfter(database().db, head)).toMatchObject([
      {
        action: "mutation.refused",
        targetId: "settings.createUser",
        actorLabel: ADMIN,
        after: { code: "BAD_REQUEST", message: `A user with e-mail ${AUTHOR} already exists.` },
      },
    ]);
    expect(await verifyAuditTrail(database().db)).toMatchObject({ ok: true });
  });

  it("shows nothing but who you are to a signed-in person without a role", async () => {
    const admin = await callerFor(database().db, ADMIN);
    await admin.settings.createUser({ name: "Sso Newcomer", email: "newcomer@acme.example", password: "a-good-password" });
    const newcomer = await callerFor(database().db, "newcomer@acme.example");
    expect(await newcomer.org.me()).toMatchObject({ email: "newcomer@acme.example", grants: [] });
    expect(await trpcCode(newcomer.overview.counts())).toBe("FORBIDDEN");
    expect(await trpcCode(newcomer.audit.list({}))).toBe("FORBIDDEN");
  });

  it("lets a viewer read the overview with real counts", async () => {
    const viewer = await callerFor(database().db, VIEWER);
    const counts = await viewer.overview.counts();
    expect(counts).toMatchObject({ clusters: 3, tenants: 6 });
    expect(counts.policiesByTier.find((t) => t.tier === "namespace")?.count).toBeGreaterThan(5);
  });

  it("creates a user and its audit event in one transaction", async () => {
    const admin = await callerFor(database().db, ADMIN);
    const { id } = await admin.settings.createUser({ name: "Dana New", email: "Dana.New@acme.example", password: "a-good-password" });
    const [event] = await database().db.select().from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
    expect(event).toMatchObject({ action: "user.created", targetId: id, targetLabel: "dana.new@acme.example", actorLabel: ADMIN });
    expect(
      await trpcCode(admin.settings.createUser({ name: "Dana Again", email: "dana.new@acme.example", password: "a-good-password" })),
    ).toBe("BAD_REQUEST");
  });

  it("rolls the change back when the surrounding transaction fails", async () => {
    const ctx = { db: database().db, actor: await demoActor(database().db, ADMIN), requestId: "rollback-test" };
    const before = await auditCount(database());
    await expect(
      withTransaction(ctx, async (tx) => {
        await createUser({ ctx: tx, input: { name: "Ghost", email: "ghost@acme.example", password: "a-good-password" } });
        throw new Error("fails after the audit write");
      }),
    ).rejects.toThrow("fails after the audit write");
    expect(await database().db.select().from(user).where(eq(user.email, "ghost@acme.example"))).toEqual([]);
    expect(await auditCount(database())).toBe(before);
  });

  it("validates membership input with field-level errors", async () => {
    const admin = await callerFor(database().db, ADMIN);
    const [dana] = await database().db.select().from(user).where(eq(user.email, "dana.new@acme.example"));
    const missingFunction = admin.settings.addMembership({ userId: dana!.id, tenantId: null, role: "approver", committeeFunction: null });
    await expect(missingFunction).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(
      admin.settings.addMembership({ userId: dana!.id, tenantId: "not-a-uuid", role: "viewer", committeeFunction: null }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    await admin.settings.addMembership({ userId: dana!.id, tenantId: null, role: "approver", committeeFunction: "security" });
    expect(
      await trpcCode(admin.settings.addMembership({ userId: dana!.id, tenantId: null, role: "approver", committeeFunction: "platform" })),
    ).toBe("CONFLICT");
    const grants = await database().db.select().from(memberships).where(eq(memberships.userId, dana!.id));
    expect(grants).toMatchObject([{ role: "approver", committeeFunction: "security", tenantId: null }]);
  });

  it("takes a removed role away at the next request", async () => {
    const admin = await callerFor(database().db, ADMIN);
    const [carlos] = await database().db.select().from(user).where(eq(user.email, "carlos.checkout@acme.example"));
    await admin.settings.addMembership({ userId: carlos!.id, tenantId: null, role: "admin", committeeFunction: null });
    expect(await trpcCode((await callerFor(database().db, carlos!.email)).settings.users())).toBe("OK");
    const [grant] = await database()
      .db.select()
      .from(memberships)
      .where(eq(memberships.userId, carlos!.id))
      .orderBy(desc(memberships.createdAt));
    await admin.settings.removeMembership({ membershipId: grant!.id });
    expect(await trpcCode((await callerFor(database().db, carlos!.email)).settings.users())).toBe("FORBIDDEN");
  });

  it("removes a user who authored policy versions, keeping their name on the versions", async () => {
    const admin = await callerFor(database().db, ADMIN);
    const [carlos] = await database().db.select().from(user).where(eq(user.email, "carlos.checkout@acme.example"));
    await admin.settings.deleteUser({ userId: carlos!.id });
    const versions = await database()
      .db.select()
      .from(policyVersions)
      .where(eq(policyVersions.authorLabel, "carlos.checkout@acme.example"));
    expect(versions.length).toBeGreaterThan(0);
    expect(versions.every((v) => v.authorId === null)).toBe(true);
    // Anything else is still refused.
    await expect(database().db.execute(sql`UPDATE policy_versions SET message = 'rewritten'`)).rejects.toThrow();
  });

  it("stops an admin from removing their own global admin role", async () => {
    const admin = await callerFor(database().db, ADMIN);
    const actor = await demoActor(database().db, ADMIN);
    const [own] = await database().db.select().from(memberships).where(eq(memberships.userId, actor.id!));
    expect(await trpcCode(admin.settings.removeMembership({ membershipId: own!.id }))).toBe("CONFLICT");
  });

  it("filters the audit trail and scopes it to a tenant-only user's tenants", async () => {
    const admin = await callerFor(database().db, ADMIN);
    const created = await admin.audit.list({ action: "user.created" });
    expect(created.events.length).toBeGreaterThan(0);
    expect(created.events.every((e) => e.action === "user.created")).toBe(true);
    expect((await admin.audit.list({ actor: "nobody-like-this" })).events).toEqual([]);
    await expect(admin.audit.list({ from: new Date("2026-02-01"), to: new Date("2026-01-01") })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
  });

  it("lets only organisation-wide readers verify the chain: a tenant-scoped user is refused", async () => {
    const admin = await callerFor(database().db, ADMIN);
    const [payments] = await database().db.select().from(tenants).where(eq(tenants.name, "payments"));
    const { id } = await admin.settings.createUser({ name: "Tess Tenant", email: "tess.tenant@acme.example", password: "a-good-password" });
    await admin.settings.addMembership({ userId: id, tenantId: payments!.id, role: "admin", committeeFunction: null });
    expect(await trpcCode((await callerFor(database().db, "tess.tenant@acme.example")).audit.verify())).toBe("FORBIDDEN");
    expect(await trpcCode((await callerFor(database().db, VIEWER)).audit.verify())).toBe("OK");
  });

  it("exports a signed checkpoint on an admin's demand, audited as theirs, and refuses it to others", async () => {
    const author = await callerFor(database().db, AUTHOR);
    expect(await trpcCode(author.audit.checkpoint())).toBe("FORBIDDEN");
    const admin = await callerFor(database().db, ADMIN);
    const checkpoint = await admin.audit.checkpoint();
    const [event] = await database().db.select().from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
    expect(event).toMatchObject({ seq: checkpoint.seq, hash: checkpoint.hash, action: "audit.checkpoint", actorLabel: ADMIN });
    expect(await admin.audit.verify()).toMatchObject({ ok: true, checkpoint: { seq: checkpoint.seq, hash: checkpoint.hash } });
  });

  it("reports the chain as intact after all these mutations", async () => {
    const admin = await callerFor(database().db, ADMIN);
    const events = await auditCount(database());
    // "Verify everything" re-hashes every event (a visit's verify only those since the last verification).
    const result = await admin.audit.verifyAll();
    expect(result.ok).toBe(true);
    expect(result.checked).toBe(events);
  });

  it("recognises the database's unique violation however the driver wraps it (a lost race becomes CONFLICT)", async () => {
    const [any] = await database().db.select().from(tenants).limit(1);
    const duplicate = await database()
      .db.insert(tenants)
      .values({ name: any!.name, displayName: "dup", ownerTeam: "dup" })
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(isUniqueViolation(duplicate)).toBe(true);
    expect(isUniqueViolation(new Error("something else"))).toBe(false);
  });

  it("refuses UPDATE and DELETE on audit events at the database", async () => {
    await expect(database().db.execute(sql`UPDATE audit_events SET action = 'x'`)).rejects.toThrow();
    await expect(database().db.execute(sql`DELETE FROM audit_events`)).rejects.toThrow();
  });
});
