// Who may see which overlay. The graph service caches per inputs, not per
// person, so the check is made before it is called: a change request's overlay
// only for someone who may read every policy in it (as for the change itself).
import { eq } from "drizzle-orm";
import { changeRequestItems, changeRequests, policies } from "@/db/schema";
import { mayReadTenant } from "@/server/auth/authorize";
import type { ServiceContext } from "@/server/context";
import { NotFound } from "@/server/errors";
import { parseOverlay, type OverlaySpec } from "./types";

/** The overlay named by `raw`, once the caller may read it; an unreadable change request is "not found", as on its own page. */
export async function readableOverlay(ctx: ServiceContext, raw: string | null | undefined): Promise<OverlaySpec> {
  const overlay = parseOverlay(raw);
  if (overlay.kind !== "cr") return overlay;
  const rows = await ctx.db
    .select({ crTenant: changeRequests.tenantId, policyTenant: policies.tenantId })
    .from(changeRequests)
    .leftJoin(changeRequestItems, eq(changeRequestItems.changeRequestId, changeRequests.id))
    .leftJoin(policies, eq(policies.id, changeRequestItems.policyId))
    .where(eq(changeRequests.id, overlay.id));
  const readable = rows.length > 0 && rows.every((r) => mayReadTenant(ctx.actor, r.crTenant) && mayReadTenant(ctx.actor, r.policyTenant));
  if (!readable) throw new NotFound("No such change request.");
  return overlay;
}
