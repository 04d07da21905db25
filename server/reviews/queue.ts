import "server-only";
// The review queue: change requests in review that still wait for an approval the signed-in person
// may give (a committee function of theirs fills an open slot), oldest first, never their own
// changes nor ones they already approved at the current content. With risk and impact at a glance:
// the risk is the change page's impact risk (./risk.ts).
import { asc, eq } from "drizzle-orm";
import { changeRequests, tenants } from "@/db/schema";
import { mayReadTenant } from "@/server/auth/authorize";
import type { ServiceContext } from "@/server/context";
import { isCoAuthor } from "@/server/workflow/access";
import { itemsOf, loadReview } from "@/server/workflow/review";
import { mayFill } from "@/server/workflow/rules";
import { getChangeImpact } from "@/server/changes/impact-service";
import type { ChangeImpact } from "@/server/changes/impact";
import { queueRisk } from "./risk";

/**
 * How long the queue waits for the changes' impacts (computed together, each kept in memory by the
 * impact service, so a second visit or an opened change page answers at once). A change whose
 * impact is not ready by then shows its risk from its edits, marked so; the page then asks for it.
 */
export const QUEUE_IMPACT_BUDGET_MS = 2_000;

/** Each change's impact risk, or null when it is not ready within the budget (or cannot be computed). */
async function impactRisks(ctx: ServiceContext, numbers: number[], budgetMs: number) {
  const risks = new Map<number, ChangeImpact["risk"]>();
  const computed = numbers.map((number) =>
    getChangeImpact({ ctx, input: { number } }).then(
      (impact) => void risks.set(number, impact.risk),
      // Unavailable (too large, the engine busy): the risk from the edits stands.
      () => undefined,
    ),
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([Promise.all(computed), new Promise((resolve) => (timer = setTimeout(resolve, budgetMs)))]);
  clearTimeout(timer);
  // A copy: an impact arriving after the budget does not change an answer already given.
  return new Map(risks);
}

export async function reviewQueue({ ctx, impactBudgetMs = QUEUE_IMPACT_BUDGET_MS }: { ctx: ServiceContext; impactBudgetMs?: number }) {
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
  const risks = await impactRisks(
    ctx,
    items.map((i) => i.number),
    impactBudgetMs,
  );
  return { functions, items: items.map(({ edits, ...item }) => ({ ...item, risk: queueRisk(edits, risks.get(item.number) ?? null) })) };
}
