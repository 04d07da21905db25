import "server-only";
// Which approval rules a change would hit and what each asks for: a change request as it stands
// (with who gave which approval), or a described change (a tier, a kind, a tenant, loosening a
// constraint). For each requirement, who could give it today. Reads the rules in force.
import { asc, eq } from "drizzle-orm";
import { approvalRules, tenants } from "@/db/schema";
import { requireRole } from "@/server/auth/authorize";
import type { ServiceContext } from "@/server/context";
import { InvalidInput } from "@/server/errors";
import { findChange, loadReview } from "@/server/workflow/review";
import { mayFill, requiredApprovals, type PolicyEdit, type RuleStatus } from "@/server/workflow/rules";
import { possibleApprovers } from "./people";
import type { PreviewApprovalRulesInput } from "./schemas";

export async function previewApprovalRules({ ctx, input }: { ctx: ServiceContext; input: PreviewApprovalRulesInput }) {
  requireRole(ctx.actor, "admin");
  const tenantRows = await ctx.db.select({ id: tenants.id, name: tenants.name }).from(tenants);
  const tenantName = (id: string | null) => (id === null ? null : (tenantRows.find((t) => t.id === id)?.name ?? null));
  let subject: string;
  let hit: (Omit<RuleStatus, "satisfied"> & { satisfied?: boolean })[];
  let uncovered: string[];
  let excluded = new Set<string>();
  if ("number" in input) {
    const { cr, items } = await findChange(ctx.db, ctx.actor, input.number);
    const review = await loadReview(ctx.db, cr, items);
    subject = `#${cr.number} ${cr.title} (${cr.state})`;
    ({ rules: hit, uncovered } = review.evaluation);
    excluded = review.authorIds;
  } else {
    const { change } = input;
    if (change.kind === "ComplianceConstraint" && change.tier !== "global")
      throw new InvalidInput("A compliance constraint is always in the global tier.", "change.tier");
    if (change.loosensConstraint && change.kind !== "ComplianceConstraint")
      throw new InvalidInput(
        "Only a compliance constraint can be loosened: choose the kind ComplianceConstraint.",
        "change.loosensConstraint",
      );
    const tenant = change.tenant === null ? null : tenantRows.find((t) => t.name === change.tenant);
    if (tenant === undefined) throw new InvalidInput(`No tenant named ${change.tenant}.`, "change.tenant");
    const edit: PolicyEdit = {
      policy: "the described change",
      kind: change.kind,
      tier: change.tier,
      tenantId: tenant?.id ?? null,
      loosensConstraint: change.loosensConstraint,
    };
    subject = `a ${change.loosensConstraint ? "loosening " : ""}${change.kind === "Policy" ? `${change.tier}-tier policy` : "compliance constraint"} change${tenant ? ` of tenant ${tenant.name}` : ""}`;
    const rules = await ctx.db.select().from(approvalRules).orderBy(asc(approvalRules.key)).where(eq(approvalRules.enabled, true));
    ({ rules: hit, uncovered } = requiredApprovals(rules, [edit]));
  }
  const people = await possibleApprovers(ctx.db);
  return {
    subject,
    uncovered,
    rules: hit.map((r) => ({
      rule: r.rule,
      description: r.description,
      policies: r.policies,
      satisfied: r.satisfied ?? null,
      required: r.required.map((q) => ({
        function: q.function,
        count: q.count,
        scope: q.scope,
        tenant: tenantName(q.tenantId),
        givenBy: q.givenBy,
        /** Who could give this approval today (the change's authors never can). */
        eligible: people.filter((p) => !excluded.has(p.id) && mayFill(p.grants, q)).map((p) => p.label),
      })),
    })),
  };
}
