import "server-only";
// What the workflow services read about one change request: the row (locked
// when changing it), its edits as the approval rules see them, its author and
// co-authors, its approvals and the evaluation of the rules against them.
import { and, eq, gt, inArray, lte, or, type SQL } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import {
  approvalRules,
  changeRequestApprovals,
  changeRequestItems,
  changeRequestRollbacks,
  changeRequests,
  memberships,
  policies,
  policyVersions,
  tenants,
} from "@/db/schema";
import { mayReadTenant } from "@/server/auth/authorize";
import type { Actor } from "@/server/context";
import { NotFound } from "@/server/errors";
import { PLATFORM_DEFAULT_EDIT, platformDefaultChangeOf, type PlatformDefaultChange } from "@/server/platform-default/get";
import {
  evaluateApprovals,
  evaluateEmergency,
  loosensConstraint,
  type ApprovalEvaluation,
  type Approver,
  type Grant,
  type PolicyEdit,
} from "./rules";

export type ChangeRequestRow = typeof changeRequests.$inferSelect;
export type ApprovalRow = typeof changeRequestApprovals.$inferSelect;

export interface ChangeItem {
  policyId: string;
  name: string;
  kind: "Policy" | "ComplianceConstraint";
  tier: string;
  tenantId: string | null;
  releasedVersion: number | null;
  fromVersion: number | null;
  toVersion: number;
}

export interface ChangeReview {
  cr: ChangeRequestRow;
  items: ChangeItem[];
  edits: PolicyEdit[];
  /** The author and everyone who wrote a proposed version: none of them may approve. */
  authorIds: Set<string>;
  approvals: ApprovalRow[];
  evaluation: ApprovalEvaluation;
  /** The same approvals against the emergency rule (null: none configured). */
  emergency: ApprovalEvaluation | null;
  tenantNames: Map<string, string>;
  /** Set when the change rolls release `baseRelease` back to release `targetRelease` (server/releases/rollback.ts). */
  rollback: { targetRelease: number; baseRelease: number } | null;
  /** Set when the change is a change of the platform default (server/platform-default/propose.ts). */
  platformDefault: PlatformDefaultChange | null;
}

/**
 * The change request `number`, or NOT_FOUND (also when it holds a policy the actor may not read).
 * With `lock`, the row stays locked until the transaction ends: approvals, edits and releases of
 * one request run one after another.
 */
export async function findChange(
  db: Queryable,
  actor: Actor,
  number: number,
  lock = false,
): Promise<{ cr: ChangeRequestRow; items: ChangeItem[] }> {
  const query = db.select().from(changeRequests).where(eq(changeRequests.number, number));
  const [cr] = lock ? await query.for("update") : await query;
  const notFound = new NotFound(`No change request #${number}.`);
  if (!cr) throw notFound;
  const items = await itemsOf(db, cr.id);
  if (!items.every((i) => mayReadTenant(actor, i.tenantId))) throw notFound;
  return { cr, items };
}

export async function itemsOf(db: Queryable, changeRequestId: string): Promise<ChangeItem[]> {
  const rows = await db
    .select({
      policyId: policies.id,
      name: policies.name,
      kind: policies.kind,
      tier: policies.tier,
      tenantId: policies.tenantId,
      releasedVersion: policies.releasedVersion,
      fromVersion: changeRequestItems.fromVersion,
      toVersion: changeRequestItems.toVersion,
    })
    .from(changeRequestItems)
    .innerJoin(policies, eq(policies.id, changeRequestItems.policyId))
    .where(eq(changeRequestItems.changeRequestId, changeRequestId));
  return rows.sort((a, b) => a.name.localeCompare(b.name));
}

/** Each user's grants among the memberships `where` selects. */
export async function grantsByUser(db: Queryable, where: SQL | undefined): Promise<Map<string, Grant[]>> {
  const rows = await db
    .select({
      userId: memberships.userId,
      tenantId: memberships.tenantId,
      role: memberships.role,
      committeeFunction: memberships.committeeFunction,
    })
    .from(memberships)
    .where(where);
  const grants = new Map<string, Grant[]>();
  for (const { userId, ...grant } of rows) grants.set(userId, [...(grants.get(userId) ?? []), grant]);
  return grants;
}

export async function loadReview(db: Queryable, cr: ChangeRequestRow, items: ChangeItem[]): Promise<ChangeReview> {
  const versions =
    items.length === 0
      ? []
      : await db
          .select({
            policyId: policyVersions.policyId,
            version: policyVersions.version,
            document: policyVersions.document,
            authorId: policyVersions.authorId,
          })
          .from(policyVersions)
          .where(
            or(
              ...items.map((i) =>
                and(
                  eq(policyVersions.policyId, i.policyId),
                  gt(policyVersions.version, Math.min(i.fromVersion ?? 0, i.toVersion - 1)),
                  lte(policyVersions.version, i.toVersion),
                ),
              ),
            ),
          );
  // fromVersion itself is needed for the documents' comparison, not for authorship.
  const fromDocs = items.filter((i) => i.fromVersion !== null).length
    ? await db
        .select({ policyId: policyVersions.policyId, version: policyVersions.version, document: policyVersions.document })
        .from(policyVersions)
        .where(
          or(
            ...items
              .filter((i) => i.fromVersion !== null)
              .map((i) => and(eq(policyVersions.policyId, i.policyId), eq(policyVersions.version, i.fromVersion!))),
          ),
        )
    : [];
  // A rollback's item that stays at its version takes the policy out of the release (server/releases/rollback.ts).
  const [rollback] = await db
    .select({ targetRelease: changeRequestRollbacks.targetRelease, baseRelease: changeRequestRollbacks.baseRelease })
    .from(changeRequestRollbacks)
    .where(eq(changeRequestRollbacks.changeRequestId, cr.id));
  const platformDefault = await platformDefaultChangeOf(db, cr.id);
  const edits: PolicyEdit[] = items.map((i) => {
    const to = versions.find((v) => v.policyId === i.policyId && v.version === i.toVersion)?.document ?? {};
    const from = i.fromVersion === null ? null : (fromDocs.find((v) => v.policyId === i.policyId)?.document ?? null);
    // Taking a constraint out is the loosest edit of all; moving one back to an earlier version loosens it as an edit would.
    const removed = rollback !== undefined && i.fromVersion === i.toVersion;
    const loosens = removed ? i.kind === "ComplianceConstraint" : loosensConstraint(i.kind, from, to);
    return { policy: i.name, kind: i.kind, tier: i.tier, tenantId: i.tenantId, loosensConstraint: loosens };
  });
  if (platformDefault) edits.push(platformDefaultEdit(platformDefault));
  const authorIds = new Set<string>();
  if (cr.authorId) authorIds.add(cr.authorId);
  for (const v of versions) {
    const item = items.find((i) => i.policyId === v.policyId)!;
    if (v.authorId && v.version > (item.fromVersion ?? 0)) authorIds.add(v.authorId);
  }
  const approvals = await db
    .select()
    .from(changeRequestApprovals)
    .where(eq(changeRequestApprovals.changeRequestId, cr.id))
    .orderBy(changeRequestApprovals.createdAt);
  const standing = approvals.filter(
    (a) => a.voidedAt === null && a.contentHash === cr.contentHash && a.approverId !== null && !authorIds.has(a.approverId),
  );
  const grants = standing.length
    ? await grantsByUser(
        db,
        inArray(
          memberships.userId,
          standing.map((a) => a.approverId!),
        ),
      )
    : new Map<string, Grant[]>();
  const approvers: Approver[] = standing.map((a) => ({
    id: a.approverId!,
    label: a.approverLabel,
    grants: grants.get(a.approverId!) ?? [],
  }));
  const rules = await db.select().from(approvalRules).orderBy(approvalRules.key);
  const tenantRows = await db.select({ id: tenants.id, name: tenants.name }).from(tenants);
  return {
    cr,
    items,
    edits,
    authorIds,
    approvals,
    evaluation: evaluateApprovals(rules, edits, approvers),
    emergency: evaluateEmergency(rules, edits, approvers),
    tenantNames: new Map(tenantRows.map((t) => [t.id, t.name])),
    rollback: rollback ?? null,
    platformDefault,
  };
}

/** The platform default's change as the approval rules see it: a global edit, loosening when it uncovers a namespace. */
export const platformDefaultEdit = (change: PlatformDefaultChange): PolicyEdit => ({
  policy: PLATFORM_DEFAULT_EDIT,
  kind: "PlatformDefault",
  tier: "global",
  tenantId: null,
  loosensConstraint: change.loosens,
});
