import "server-only";
// Exception approvals through the workflow's approval engine (server/workflow/rules.ts):
// the exception rules are their own data (settings.ts), matched here by whether the
// exception touches production, then counted by the same maximum matching as changes.
import { and, eq, inArray } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { exceptionApprovals, memberships, type ExceptionRow } from "@/db/schema";
import { evaluateApprovals, type ApprovalEvaluation, type ApprovalRuleData, type Approver, type PolicyEdit } from "@/server/workflow/rules";
import { grantsByUser } from "@/server/workflow/review";
import type { ExceptionSettings } from "./settings";

/** The exception rules as the engine's rule data: each applicable rule matches the one edit an exception is. */
export function exceptionRuleData(settings: Pick<ExceptionSettings, "rules">, production: boolean): ApprovalRuleData[] {
  return settings.rules
    .filter((r) => r.appliesTo === "all" || production)
    .map((r) => ({ key: r.key, description: r.description, match: { kinds: ["Policy"] }, requirements: r.requirements, enabled: true }));
}

const editOf = (e: Pick<ExceptionRow, "number" | "tenantId">): PolicyEdit => ({
  policy: `E-${e.number}`,
  kind: "Policy",
  tier: "namespace",
  tenantId: e.tenantId,
  loosensConstraint: false,
});

export interface ExceptionReview {
  evaluation: ApprovalEvaluation;
  approvals: (typeof exceptionApprovals.$inferSelect)[];
}

/** The standing approvals (at the current content hash) against the rules the exception hits. */
export async function reviewException(
  db: Queryable,
  exception: ExceptionRow,
  settings: Pick<ExceptionSettings, "rules">,
): Promise<ExceptionReview> {
  const approvals = await db
    .select()
    .from(exceptionApprovals)
    .where(and(eq(exceptionApprovals.exceptionId, exception.id), eq(exceptionApprovals.contentHash, exception.contentHash)));
  const ids = approvals.map((a) => a.approverId).filter((id): id is string => id !== null);
  const grants = ids.length > 0 ? await grantsByUser(db, inArray(memberships.userId, ids)) : new Map();
  const approvers: Approver[] = approvals
    // Separation of duties: the requester never counts, even if an approval of theirs slipped in.
    .filter((a) => a.approverId !== null && a.approverId !== exception.requesterId)
    .map((a) => ({ id: a.approverId!, label: a.approverLabel, grants: grants.get(a.approverId!) ?? [] }));
  const evaluation = evaluateApprovals(exceptionRuleData(settings, exception.production), [editOf(exception)], approvers);
  return { evaluation, approvals };
}
