import "server-only";
// Role checks, always made on the server. A global grant applies to every
// tenant; a tenant grant only to its tenant. Roles are ordered: each one can do
// what the ones before it can (an approver can also author).
import { eq } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { memberships, type Role } from "@/db/schema";
import type { Actor, MembershipGrant } from "@/server/context";
import { Forbidden } from "@/server/errors";

const RANK: Record<Role, number> = { viewer: 0, author: 1, approver: 2, admin: 3 };

/** True when the actor holds `role` (or a higher one) globally, or in `tenantId` when given. */
export function hasRole(actor: Actor, role: Role, tenantId?: string | null): boolean {
  return actor.grants.some(
    (g) => RANK[g.role] >= RANK[role] && (g.tenantId === null || (tenantId !== undefined && tenantId !== null && g.tenantId === tenantId)),
  );
}

export function requireRole(actor: Actor, role: Role, tenantId?: string | null): void {
  if (!hasRole(actor, role, tenantId)) {
    const where = tenantId ? "for this tenant" : "across the organisation";
    throw new Forbidden(`This needs the ${role} role ${where}; you are signed in as ${actor.label}.`);
  }
}

/** Tenants whose data the actor may read; undefined means every tenant (a global grant). */
export function readableTenantIds(actor: Actor): string[] | undefined {
  if (actor.grants.some((g) => g.tenantId === null)) return undefined;
  return actor.grants.map((g) => g.tenantId).filter((id): id is string => id !== null);
}

/** Whether the actor may read something of `tenantId` (null: organisation-wide, readable by every role holder). */
export function mayReadTenant(actor: Actor, tenantId: string | null): boolean {
  const readable = readableTenantIds(actor);
  return tenantId === null || readable === undefined || readable.includes(tenantId);
}

/** Whether the grants allow drafting policies in at least one tenant (or organisation-wide). */
export function mayDraftSomewhere(grants: readonly MembershipGrant[]): boolean {
  return grants.some((g) => RANK[g.role] >= RANK.author);
}

export function highestRole(grants: MembershipGrant[]): Role | null {
  return grants.reduce<Role | null>((best, g) => (best === null || RANK[g.role] > RANK[best] ? g.role : best), null);
}

export async function loadGrants(db: Queryable, userId: string): Promise<MembershipGrant[]> {
  return db
    .select({ tenantId: memberships.tenantId, role: memberships.role, committeeFunction: memberships.committeeFunction })
    .from(memberships)
    .where(eq(memberships.userId, userId));
}
