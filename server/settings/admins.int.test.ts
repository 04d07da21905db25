// "At least one global admin": two admins removing each other at the same moment.
import { and, eq, isNull } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { memberships, user } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { systemActor } from "@/server/context";
import { callerFor } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { trpcCode } from "@/server/testing/trpc";
import { deleteUser, removeMembership } from "./users";

const ALEX = "alex.admin@acme.example";

async function userId(db: Database, email: string) {
  const [row] = await db.select({ id: user.id }).from(user).where(eq(user.email, email));
  return row!.id;
}

async function globalAdminGrants(db: Database) {
  return db
    .select({ id: memberships.id, userId: memberships.userId })
    .from(memberships)
    .where(and(eq(memberships.role, "admin"), isNull(memberships.tenantId)));
}

describe(`at least one global admin on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();

  it("lets exactly one of two admins demoting each other concurrently succeed; the other gets CONFLICT", async () => {
    const db = database().db;
    const sam = "sam.security@acme.example";
    await (
      await callerFor(db, ALEX)
    ).settings.addMembership({ userId: await userId(db, sam), tenantId: null, role: "admin", committeeFunction: null });
    const grants = await globalAdminGrants(db);
    const [alexId, samId] = [await userId(db, ALEX), await userId(db, sam)];
    const alexAdmin = grants.find((g) => g.userId === alexId)!;
    const samAdmin = grants.find((g) => g.userId === samId)!;
    // Both callers hold their grants as read at the start of the request, as the server does.
    const [asAlex, asSam] = [await callerFor(db, ALEX), await callerFor(db, sam)];
    const results = await Promise.allSettled([
      asAlex.settings.removeMembership({ membershipId: samAdmin.id }),
      asSam.settings.removeMembership({ membershipId: alexAdmin.id }),
    ]);
    const codes = await Promise.all(results.map((r) => trpcCode(r.status === "fulfilled" ? Promise.resolve() : Promise.reject(r.reason))));
    expect(codes.sort()).toEqual(["CONFLICT", "OK"]);
    const failed = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(failed.reason.message).toMatch(/without a global admin/);
    expect(await globalAdminGrants(db)).toHaveLength(1);
  });

  it("lets exactly one of two admins deleting each other concurrently succeed; the other gets CONFLICT", async () => {
    const db = database().db;
    const [remaining] = await globalAdminGrants(db);
    const [survivor] = await db.select({ email: user.email }).from(user).where(eq(user.id, remaining!.userId));
    const first = survivor!.email;
    const second = "nina.network@acme.example";
    await (
      await callerFor(db, first)
    ).settings.addMembership({ userId: await userId(db, second), tenantId: null, role: "admin", committeeFunction: null });
    const [asFirst, asSecond] = [await callerFor(db, first), await callerFor(db, second)];
    const codes = await Promise.all([
      trpcCode(asFirst.settings.deleteUser({ userId: await userId(db, second) })),
      trpcCode(asSecond.settings.deleteUser({ userId: await userId(db, first) })),
    ]);
    expect(codes.sort()).toEqual(["CONFLICT", "OK"]);
    expect(await globalAdminGrants(db)).toHaveLength(1);
  });

  it("refuses to remove the last global admin's role or account, even by the system", async () => {
    const db = database().db;
    const [last] = await globalAdminGrants(db);
    const ctx = { db, actor: systemActor("test"), requestId: "last-admin" };
    await expect(removeMembership({ ctx, input: { membershipId: last!.id } })).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(deleteUser({ ctx, input: { userId: last!.userId } })).rejects.toMatchObject({ code: "CONFLICT" });
    expect(await globalAdminGrants(db)).toHaveLength(1);
  });
});
