import "server-only";
// Exception approvals through the workflow's approval engine (server/workflow/rules.ts):
// the exception rules are their own data (settings.ts), matched here by whether the
// exception touches production, then counted by the same maximum matching as changes.
import { and, eq, inArray } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { exceptionApprovals, memberships, type ExceptionRow } from "@/db/schema";
import { allTenants, possibleApprovers } from "@/server/approval-rules/people";
import { requireRole } from "@/server/auth/authorize";
import type { ServiceContext } from "@/server/context";
import { InvalidInput } from "@/server/errors";
import {
  evaluateApprovals,
  mayFill,
  type ApprovalEvaluation,
  type ApprovalRuleData,
  type Approver,
  type PolicyEdit,
} from "@/server/workflow/rules";
import { grantsByUser } from "@/server/workflow/review";
import type { PreviewExceptionRulesInput } from "./schemas";
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

/**
 * Settings' preview of (unsaved) exception rules: the rules an exception inside or outside
 * production of `tenant` would hit, each requirement with who could give it today. Admins only.
 */
export async function previewExceptionRules({ ctx, input }: { ctx: ServiceContext; input: PreviewExceptionRulesInput }) {
  requireRole(ctx.actor, "admin");
  const tenantRows = await allTenants(ctx.db);
  const tenant = input.tenant === null ? null : tenantRows.find((t) => t.name === input.tenant);
  if (tenant === undefined) throw new InvalidInput(`No tenant named ${input.tenant}.`, "tenant");
  const evaluation = evaluateApprovals(
    exceptionRuleData(input, input.production),
    [editOf({ number: 0, tenantId: tenant?.id ?? null })],
    [],
  );
  const people = await possibleApprovers(ctx.db);
  const tenantName = (id: string | null) => (id === null ? null : (tenantRows.find((t) => t.id === id)?.name ?? null));
  return {
    subject: `an exception ${input.production ? "touching a production cluster" : "outside production"}${tenant ? ` from tenant ${tenant.name}` : ""}`,
    rules: evaluation.rules.map((r) => ({
      rule: r.rule,
      description: r.description,
      required: r.required.map((q) => ({
        function: q.function,
        count: q.count,
        scope: q.scope,
        tenant: tenantName(q.tenantId),
        // Anyone holding the function today (on a real exception its requester never counts).
        eligible: people.filter((p) => mayFill(p.grants, q)).map((p) => p.label),
      })),
    })),
  };
}
