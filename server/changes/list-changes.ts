import "server-only";
// Change requests, newest first, with the policy versions they carry.
import { desc, eq, inArray } from "drizzle-orm";
import { changeRequestItems, changeRequests, policies, tenants } from "@/db/schema";
import { mayReadTenant } from "@/server/auth/authorize";
import type { ServiceContext } from "@/server/context";

export async function listChanges({ ctx }: { ctx: ServiceContext }) {
  const rows = await ctx.db
    .select({ cr: changeRequests, tenantName: tenants.name })
    .from(changeRequests)
    .leftJoin(tenants, eq(tenants.id, changeRequests.tenantId))
    .orderBy(desc(changeRequests.number));
  const items =
    rows.length === 0
      ? []
      : await ctx.db
          .select({
            changeRequestId: changeRequestItems.changeRequestId,
            tenantId: policies.tenantId,
            name: policies.name,
            kind: policies.kind,
            fromVersion: changeRequestItems.fromVersion,
            toVersion: changeRequestItems.toVersion,
          })
          .from(changeRequestItems)
          .innerJoin(policies, eq(policies.id, changeRequestItems.policyId))
          .where(
            inArray(
              changeRequestItems.changeRequestId,
              rows.map((r) => r.cr.id),
            ),
          );
  // A request is listed only to someone who may read every policy in it (see get-change.ts).
  return rows
    .map(({ cr, tenantName }) => ({ cr, tenantName, items: items.filter((i) => i.changeRequestId === cr.id) }))
    .filter(({ items: own }) => own.every((i) => mayReadTenant(ctx.actor, i.tenantId)))
    .map(({ cr, tenantName, items: own }) => ({
      id: cr.id,
      number: cr.number,
      title: cr.title,
      state: cr.state,
      authorLabel: cr.authorLabel,
      tenant: tenantName,
      createdAt: cr.createdAt,
      contentHash: cr.contentHash,
      /** Staged (issue 13 §11): released audit-only, never enforced. */
      staged: cr.staged,
      items: own.map(({ name, kind, fromVersion, toVersion }) => ({ name, kind, fromVersion, toVersion })),
    }));
}
