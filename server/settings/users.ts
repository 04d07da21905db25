import "server-only";
// People and their role memberships, managed by admins in Settings.
import { and, asc, eq, isNull, ne, sql } from "drizzle-orm";
import { memberships, tenants, user } from "@/db/schema";
import { recordAudit } from "@/server/audit/record";
import { requireRole } from "@/server/auth/authorize";
import { withTransaction, type ServiceContext } from "@/server/context";
import { Conflict, InvalidInput, NotFound } from "@/server/errors";
import { insertPasswordUser } from "@/server/users/credentials";
import type { AddMembershipInput, CreateUserInput, DeleteUserInput, RemoveMembershipInput } from "./schemas";

export async function listUsersWithMemberships({ ctx }: { ctx: ServiceContext }) {
  requireRole(ctx.actor, "admin");
  const { db } = ctx;
  const users = await db
    .select({ id: user.id, name: user.name, email: user.email, createdAt: user.createdAt })
    .from(user)
    .orderBy(asc(user.name));
  const grants = await db
    .select({
      id: memberships.id,
      userId: memberships.userId,
      role: memberships.role,
      committeeFunction: memberships.committeeFunction,
      tenantId: memberships.tenantId,
      tenantName: tenants.name,
    })
    .from(memberships)
    .leftJoin(tenants, eq(memberships.tenantId, tenants.id));
  return users.map((u) => ({ ...u, memberships: grants.filter((g) => g.userId === u.id) }));
}

export async function createUser({ ctx, input }: { ctx: ServiceContext; input: CreateUserInput }): Promise<{ id: string }> {
  requireRole(ctx.actor, "admin");
  return withTransaction(ctx, async (tx) => {
    const email = input.email.toLowerCase();
    const [existing] = await tx.db.select({ id: user.id }).from(user).where(eq(user.email, email));
    if (existing) throw new InvalidInput(`A user with e-mail ${email} already exists.`, "email");
    const id = await insertPasswordUser(tx.db, { ...input, email });
    await recordAudit(tx, {
      action: "user.created",
      targetType: "user",
      targetId: id,
      targetLabel: email,
      after: { name: input.name, email },
    });
    return { id };
  });
}

// Any constant; the same for every process that changes global admin grants.
const GLOBAL_ADMINS_LOCK = 7_301_913;

/** Serialises, until the transaction ends, every change that adds or removes a global admin. */
export async function lockGlobalAdmins(tx: ServiceContext): Promise<void> {
  if (!tx.inTransaction) throw new Error("lockGlobalAdmins must run inside a transaction");
  await tx.db.execute(sql`SELECT pg_advisory_xact_lock(${GLOBAL_ADMINS_LOCK})`);
}

/**
 * Refuses a change that would leave no global admin. Runs inside the change's transaction and
 * serialises every such change behind one lock, so two admins demoting (or deleting) each other at
 * once cannot both pass: the second one counts after the first has committed.
 */
async function requireAnotherGlobalAdmin(
  tx: ServiceContext,
  losing: { userId: string } | { membershipId: string },
  what: string,
): Promise<void> {
  await lockGlobalAdmins(tx);
  const remaining = await tx.db
    .select({ id: memberships.id })
    .from(memberships)
    .where(
      and(
        eq(memberships.role, "admin"),
        isNull(memberships.tenantId),
        "userId" in losing ? ne(memberships.userId, losing.userId) : ne(memberships.id, losing.membershipId),
      ),
    )
    .limit(1);
  if (remaining.length === 0)
    throw new Conflict(`${what} would leave the organisation without a global admin; grant the admin role to someone else first.`);
}

export async function deleteUser({ ctx, input }: { ctx: ServiceContext; input: DeleteUserInput }): Promise<void> {
  const { userId } = input;
  requireRole(ctx.actor, "admin");
  if (userId === ctx.actor.id) throw new Conflict("You cannot remove your own account.");
  await withTransaction(ctx, async (tx) => {
    const [row] = await tx.db.select().from(user).where(eq(user.id, userId));
    if (!row) throw new NotFound("No such user.");
    const grants = await tx.db.select().from(memberships).where(eq(memberships.userId, userId));
    if (grants.some((g) => g.role === "admin" && g.tenantId === null))
      await requireAnotherGlobalAdmin(tx, { userId }, `Removing ${row.email}`);
    await tx.db.delete(user).where(eq(user.id, userId));
    await recordAudit(tx, {
      action: "user.deleted",
      targetType: "user",
      targetId: userId,
      targetLabel: row.email,
      before: {
        name: row.name,
        email: row.email,
        memberships: grants.map((g) => ({ tenantId: g.tenantId, role: g.role, committeeFunction: g.committeeFunction })),
      },
    });
  });
}

export async function addMembership({ ctx, input }: { ctx: ServiceContext; input: AddMembershipInput }): Promise<{ id: string }> {
  requireRole(ctx.actor, "admin");
  if (input.role === "approver" && !input.committeeFunction) {
    throw new InvalidInput("An approver sits on a committee: choose security, networking, platform or application.", "committeeFunction");
  }
  if (input.role !== "approver" && input.committeeFunction) {
    throw new InvalidInput("Only approvers have a committee function.", "committeeFunction");
  }
  return withTransaction(ctx, async (tx) => {
    const [target] = await tx.db.select({ email: user.email }).from(user).where(eq(user.id, input.userId));
    if (!target) throw new NotFound("No such user.");
    let tenantName: string | null = null;
    if (input.tenantId) {
      const [tenant] = await tx.db.select({ name: tenants.name }).from(tenants).where(eq(tenants.id, input.tenantId));
      if (!tenant) throw new InvalidInput("Unknown tenant.", "tenantId");
      tenantName = tenant.name;
    }
    const duplicate = await tx.db
      .select({ id: memberships.id })
      .from(memberships)
      .where(
        and(
          eq(memberships.userId, input.userId),
          eq(memberships.role, input.role),
          input.tenantId ? eq(memberships.tenantId, input.tenantId) : isNull(memberships.tenantId),
        ),
      );
    if (duplicate.length > 0)
      throw new Conflict(`${target.email} already has the ${input.role} role ${tenantName ? `in ${tenantName}` : "globally"}.`);
    const [row] = await tx.db.insert(memberships).values(input).returning({ id: memberships.id });
    await recordAudit(tx, {
      action: "membership.added",
      targetType: "user",
      targetId: input.userId,
      targetLabel: target.email,
      tenantId: input.tenantId,
      after: { role: input.role, tenant: tenantName ?? "global", committeeFunction: input.committeeFunction },
    });
    return { id: row!.id };
  });
}

export async function removeMembership({ ctx, input }: { ctx: ServiceContext; input: RemoveMembershipInput }): Promise<void> {
  const { membershipId } = input;
  requireRole(ctx.actor, "admin");
  await withTransaction(ctx, async (tx) => {
    const [row] = await tx.db
      .select({ m: memberships, email: user.email, tenantName: tenants.name })
      .from(memberships)
      .innerJoin(user, eq(memberships.userId, user.id))
      .leftJoin(tenants, eq(memberships.tenantId, tenants.id))
      .where(eq(memberships.id, membershipId));
    if (!row) throw new NotFound("No such membership.");
    if (row.m.userId === ctx.actor.id && row.m.role === "admin" && row.m.tenantId === null) {
      throw new Conflict("You cannot remove your own global admin role; ask another admin.");
    }
    if (row.m.role === "admin" && row.m.tenantId === null)
      await requireAnotherGlobalAdmin(tx, { membershipId }, `Removing the global admin role of ${row.email}`);
    // A concurrent request may have removed it while this one waited for the lock.
    const removed = await tx.db.delete(memberships).where(eq(memberships.id, membershipId)).returning({ id: memberships.id });
    if (removed.length === 0) throw new NotFound("No such membership.");
    // Sessions carry no role; grants are read per request, so the change applies at once.
    await recordAudit(tx, {
      action: "membership.removed",
      targetType: "user",
      targetId: row.m.userId,
      targetLabel: row.email,
      tenantId: row.m.tenantId,
      before: { role: row.m.role, tenant: row.tenantName ?? "global", committeeFunction: row.m.committeeFunction },
    });
  });
}
