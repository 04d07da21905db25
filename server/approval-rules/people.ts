import "server-only";
// Who could fill an approval rule's slots today: every person holding an approver or admin grant
// with a committee function, with all their grants (the engine decides which slots each may fill).
import { eq, inArray } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { memberships, tenants, user } from "@/db/schema";
import type { Approver, Grant } from "@/server/workflow/rules";

export async function possibleApprovers(db: Queryable): Promise<Approver[]> {
  const rows = await db
    .select({
      userId: memberships.userId,
      email: user.email,
      tenantId: memberships.tenantId,
      role: memberships.role,
      committeeFunction: memberships.committeeFunction,
    })
    .from(memberships)
    .innerJoin(user, eq(user.id, memberships.userId))
    .where(inArray(memberships.role, ["approver", "admin"]));
  const people = new Map<string, Approver>();
  for (const r of rows) {
    if (r.committeeFunction === null) continue;
    const person = people.get(r.userId) ?? { id: r.userId, label: r.email, grants: [] as Grant[] };
    person.grants.push({ tenantId: r.tenantId, role: r.role, committeeFunction: r.committeeFunction });
    people.set(r.userId, person);
  }
  return [...people.values()].sort((a, b) => a.label.localeCompare(b.label));
}

export async function allTenants(db: Queryable): Promise<{ id: string; name: string }[]> {
  return db.select({ id: tenants.id, name: tenants.name }).from(tenants).orderBy(tenants.name);
}
