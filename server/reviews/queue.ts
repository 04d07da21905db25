import "server-only";
// The review queue: change requests in review that still wait for an approval the signed-in person
// may give (a committee function of theirs fills an open slot), oldest first, never their own
// changes nor ones they already approved at the current content. With risk and impact at a glance:
// the risk from the change's edits, the impact's lower bound; the page then shows the impact's own (./risk.ts).
import { asc, eq } from "drizzle-orm";
import { changeRequests, tenants } from "@/db/schema";
import { mayReadTenant } from "@/server/auth/authorize";
import type { ServiceContext } from "@/server/context";
import { isCoAuthor } from "@/server/workflow/access";
import { itemsOf, loadReview } from "@/server/workflow/review";
import { mayFill } from "@/server/workflow/rules";
import { queueRisk } from "./risk";

export async function reviewQueue({ ctx }: { ctx: ServiceContext }) {
  const actor = ctx.actor;
  const functions = [
    ...new Set(
      actor.grants.flatMap((g) => (g.committeeFunction && (g.role === "approver" || g.role === "admin") ? [g.committeeFunction] : [])),
    ),
  ].sort();
  // Only people approve (an API token never does), and only holders of a committee function.
  if (actor.type !== "user" || functions.length === 0) return { functions, items: [] };
  const rows = await ctx.db
    .select({ cr: changeRequests, tenant: tenants.name })
    .from(changeRequests)
    .leftJoin(tenants, eq(tenants.id, changeRequests.tenantId))
    .where(eq(changeRequests.state, "in-review"))
    .orderBy(asc(changeRequests.createdAt), asc(changeRequests.number));
  const items = [];
  for (const { cr, tenant } of rows) {
    const changeItems = await itemsOf(ctx.db, cr.id);
    if (!changeItems.every((i) => mayReadTenant(actor, i.tenantId))) continue;
    const review = await loadReview(ctx.db, cr, changeItems);
    if (isCoAuthor(actor, review)) continue;
    if (review.approvals.some((a) => a.voidedAt === null && a.approverId === actor.id && a.contentHash === cr.contentHash)) continue;
    const wanted = review.evaluation.rules.flatMap((r) =>
      r.required
        .filter((slot) => slot.givenBy.length < slot.count && mayFill(actor.grants, slot))
        .map((slot) => ({
          rule: r.rule,
          function: slot.function,
          missing: slot.count - slot.givenBy.length,
          tenant: slot.tenantId === null ? null : (review.tenantNames.get(slot.tenantId) ?? null),
        })),
    );
    if (wanted.length === 0) continue;
    items.push({
      number: cr.number,
      title: cr.title,
      /** Staged (issue 13 §11): approving it releases audit-only objects, nothing enforced. */
      staged: cr.staged,
      author: cr.authorLabel,
      tenant,
      createdAt: cr.createdAt,
      updatedAt: cr.updatedAt,
      policies: changeItems.length,
      tiers: [...new Set(review.edits.map((e) => (e.kind === "ComplianceConstraint" ? "constraint" : e.tier)))].sort(),
      rules: review.evaluation.rules.map((r) => r.rule),
      approvals: review.evaluation.rules.reduce((n, r) => n + r.required.reduce((m, s) => m + s.givenBy.length, 0), 0),
      needed: review.evaluation.rules.reduce((n, r) => n + r.required.reduce((m, s) => m + s.count, 0), 0),
      wanted,
      edits: review.edits,
    });
  }
  return { functions, items: items.map(({ edits, ...item }) => ({ ...item, risk: queueRisk(edits) })) };
}
