import "server-only";
// Create, edit, enable and disable approval rules: admin only, audited in the same transaction,
// and never a rule no one can satisfy (server/workflow/rules.ts, unsatisfiableReason, is the test).
// Refusals write nothing. Each edit bumps the rule's version; saving over a newer one is refused.
import { eq } from "drizzle-orm";
import { approvalRules } from "@/db/schema";
import type { ApprovalRuleMatch } from "@/db/schema/workflow";
import { recordAudit } from "@/server/audit/record";
import { requireRole } from "@/server/auth/authorize";
import { withTransaction, type ServiceContext } from "@/server/context";
import { Conflict, InvalidInput, NotFound, violatedUniqueConstraint } from "@/server/errors";
import { unsatisfiableReason } from "@/server/workflow/rules";
import { ruleState } from "./list";
import { allTenants, possibleApprovers } from "./people";
import type {
  ApprovalRuleFields,
  CreateApprovalRuleInput,
  DeleteApprovalRuleInput,
  SetApprovalRuleEnabledInput,
  UpdateApprovalRuleInput,
} from "./schemas";

type RuleRow = typeof approvalRules.$inferSelect;

/** The stored form of a rule's match: only what narrows it, each list sorted once. */
function normalMatch(match: ApprovalRuleFields["match"]): ApprovalRuleMatch {
  if (match.emergency) {
    if (match.tiers || match.kinds || match.loosensConstraint)
      throw new InvalidInput(
        "The emergency rule is the quorum of an emergency release, not a match on edits: give it no tiers, kinds or loosening.",
        "match",
      );
    return { emergency: true };
  }
  return {
    ...(match.tiers ? { tiers: [...new Set(match.tiers)].sort() } : {}),
    ...(match.kinds ? { kinds: [...new Set(match.kinds)].sort() } : {}),
    ...(match.loosensConstraint ? { loosensConstraint: true } : {}),
  };
}

/** Refuses a rule with a function asked twice in one scope, or one that no one could ever satisfy. */
async function requireSatisfiable(
  tx: ServiceContext,
  key: string,
  match: ApprovalRuleMatch,
  requirements: ApprovalRuleFields["requirements"],
) {
  const seen = new Set<string>();
  requirements.forEach((r, i) => {
    const id = `${r.function}/${r.scope}`;
    if (seen.has(id))
      throw new InvalidInput(
        `Rule ${key} asks for ${r.function} (${r.scope}) twice: ask once, with the count you need.`,
        `requirements.${i}.function`,
      );
    seen.add(id);
  });
  const reason = unsatisfiableReason({ match, requirements }, await possibleApprovers(tx.db), await allTenants(tx.db));
  if (reason) throw new InvalidInput(`No one can ever satisfy rule ${key}. ${reason}`, "requirements");
}

/** The rule's audit event, with its state before and after (whichever exist). */
async function auditRule(tx: ServiceContext, action: string, { before, after }: { before?: RuleRow; after?: RuleRow }) {
  const rule = (after ?? before)!;
  await recordAudit(tx, {
    action,
    targetType: "approval_rule",
    targetId: rule.id,
    targetLabel: rule.key,
    before: before && ruleState(before),
    after: after && ruleState(after),
  });
}

/** Writes `set` over the locked rule `before` as its next version, with the audit event `action`. */
async function rewriteRule(tx: ServiceContext, before: RuleRow, set: Partial<typeof approvalRules.$inferInsert>, action: string) {
  const [row] = await tx.db
    .update(approvalRules)
    .set({ ...set, version: before.version + 1, updatedBy: tx.actor.label, updatedAt: new Date() })
    .where(eq(approvalRules.id, before.id))
    .returning()
    .catch(keyTaken(set.key ?? before.key));
  await auditRule(tx, action, { before, after: row! });
  return { id: row!.id, key: row!.key, version: row!.version };
}

async function lockRule(tx: ServiceContext, id: string, expectedVersion: number): Promise<RuleRow> {
  const [row] = await tx.db.select().from(approvalRules).where(eq(approvalRules.id, id)).for("update");
  if (!row) throw new NotFound("No such approval rule: it may have been deleted. Reload the rules.");
  if (row.version !== expectedVersion)
    throw new Conflict(
      `Approval rule ${row.key} was changed meanwhile (now version ${row.version}, by ${row.updatedBy}); reload it and edit again.`,
    );
  return row;
}

const keyTaken = (key: string) => (error: unknown) => {
  if (violatedUniqueConstraint(error) === "approval_rules_key") throw new InvalidInput(`A rule named ${key} already exists.`, "key");
  throw error;
};

export async function createApprovalRule({ ctx, input }: { ctx: ServiceContext; input: CreateApprovalRuleInput }) {
  requireRole(ctx.actor, "admin");
  return withTransaction(ctx, async (tx) => {
    const match = normalMatch(input.match);
    await requireSatisfiable(tx, input.key, match, input.requirements);
    const [row] = await tx.db
      .insert(approvalRules)
      .values({
        key: input.key,
        description: input.description,
        match,
        requirements: input.requirements,
        enabled: input.enabled,
        updatedBy: ctx.actor.label,
      })
      .returning()
      .catch(keyTaken(input.key));
    await auditRule(tx, "approval-rule.created", { after: row! });
    return { id: row!.id, key: row!.key, version: row!.version };
  });
}

export async function updateApprovalRule({ ctx, input }: { ctx: ServiceContext; input: UpdateApprovalRuleInput }) {
  requireRole(ctx.actor, "admin");
  return withTransaction(ctx, async (tx) => {
    const before = await lockRule(tx, input.id, input.expectedVersion);
    const match = normalMatch(input.match);
    await requireSatisfiable(tx, input.key, match, input.requirements);
    return rewriteRule(
      tx,
      before,
      { key: input.key, description: input.description, match, requirements: input.requirements, enabled: input.enabled },
      "approval-rule.updated",
    );
  });
}

/** Enabling re-runs the satisfiability test (people may have lost their grants since); disabling always may. */
export async function setApprovalRuleEnabled({ ctx, input }: { ctx: ServiceContext; input: SetApprovalRuleEnabledInput }) {
  requireRole(ctx.actor, "admin");
  return withTransaction(ctx, async (tx) => {
    const before = await lockRule(tx, input.id, input.expectedVersion);
    if (before.enabled === input.enabled) return { id: before.id, key: before.key, version: before.version };
    if (input.enabled) await requireSatisfiable(tx, before.key, before.match, before.requirements);
    return rewriteRule(tx, before, { enabled: input.enabled }, input.enabled ? "approval-rule.enabled" : "approval-rule.disabled");
  });
}

/** Deleting a rule changes what open changes need (they are evaluated against the rules in force). */
export async function deleteApprovalRule({ ctx, input }: { ctx: ServiceContext; input: DeleteApprovalRuleInput }) {
  requireRole(ctx.actor, "admin");
  return withTransaction(ctx, async (tx) => {
    const before = await lockRule(tx, input.id, input.expectedVersion);
    await tx.db.delete(approvalRules).where(eq(approvalRules.id, before.id));
    await auditRule(tx, "approval-rule.deleted", { before });
    return { id: before.id, key: before.key };
  });
}
