// Change requests, newest first, with the policy versions they carry.
import { desc, eq, inArray } from "drizzle-orm";
import { changeRequestItems, changeRequests, policies, tenants } from "@/db/schema";
import { readableTenantIds } from "@/server/auth/authorize";
import type { ServiceContext } from "@/server/context";

export async function listChanges({ ctx }: { ctx: ServiceContext }) {
  const readable = readableTenantIds(ctx.actor);
  const rows = await ctx.db
    .select({ cr: changeRequests, tenantName: tenants.name })
    .from(changeRequests)
    .leftJoin(tenants, eq(tenants.id, changeRequests.tenantId))
    .orderBy(desc(changeRequests.number));
  const visible = rows.filter(({ cr }) => cr.tenantId === null || readable === undefined || readable.includes(cr.tenantId));
  const items =
    visible.length === 0
      ? []
      : await ctx.db
          .select({ changeRequestId: changeRequestItems.changeRequestId, name: policies.name, kind: policies.kind, fromVersion: changeRequestItems.fromVersion, toVersion: changeRequestItems.toVersion })
          .from(changeRequestItems)
          .innerJoin(policies, eq(policies.id, changeRequestItems.policyId))
          .where(inArray(changeRequestItems.changeRequestId, visible.map((v) => v.cr.id)));
  return visible.map(({ cr, tenantName }) => ({
    id: cr.id,
    number: cr.number,
    title: cr.title,
    state: cr.state,
    authorLabel: cr.authorLabel,
    tenant: tenantName,
    createdAt: cr.createdAt,
    contentHash: cr.contentHash,
    items: items.filter((i) => i.changeRequestId === cr.id).map(({ name, kind, fromVersion, toVersion }) => ({ name, kind, fromVersion, toVersion })),
  }));
}
