import "server-only";
// The review side of one change request: the checklist (which rule asks for
// which approval and who gave it), every approval with the hash it was given
// for (voided ones included, marked), and what the asking person may do now.
import { hasRole } from "@/server/auth/authorize";
import { PLATFORM_DEFAULT_EDIT, platformDefaultInForce } from "@/server/platform-default/get";
import type { ServiceContext } from "@/server/context";
import { fillableBy, isCoAuthor } from "./access";
import { findChange, loadReview } from "./review";
import type { ChangeNumberInput } from "./schemas";
import { legalActions, type ChangeAction } from "./states";

export async function getChangeReview({ ctx, input }: { ctx: ServiceContext; input: ChangeNumberInput }) {
  const { cr, items } = await findChange(ctx.db, ctx.actor, input.number);
  const review = await loadReview(ctx.db, cr, items);
  const { evaluation } = review;
  const reviewer = !isCoAuthor(ctx.actor, review) && ctx.actor.type === "user" && fillableBy(ctx.actor, review).length > 0;
  const admin = hasRole(ctx.actor, "admin");
  const author = (ctx.actor.type === "user" && cr.authorId === ctx.actor.id) || admin;
  const alreadyApproved = review.approvals.some((a) => a.voidedAt === null && a.approverId === ctx.actor.id);
  const rebase = items
    .filter((i) => i.releasedVersion !== i.fromVersion)
    .map((i) => ({ policy: i.name, proposedFrom: i.fromVersion, released: i.releasedVersion }));
  // A platform default change proposed from a version no longer in force must be proposed again.
  if (review.platformDefault) {
    const inForce = (await platformDefaultInForce(ctx.db)).version;
    if (inForce !== review.platformDefault.fromVersion)
      rebase.push({ policy: PLATFORM_DEFAULT_EDIT, proposedFrom: review.platformDefault.fromVersion, released: inForce });
  }
  const may: Record<ChangeAction, boolean> = {
    submit: author,
    resubmit: author,
    withdraw: author,
    edit: author,
    approve: reviewer && !alreadyApproved,
    "request-changes": reviewer || (admin && !isCoAuthor(ctx.actor, review)),
    reject: reviewer || (admin && !isCoAuthor(ctx.actor, review)),
    release: admin && evaluation.satisfied && rebase.length === 0,
    "emergency-release": admin && !!review.emergency?.satisfied && rebase.length === 0,
    "roll-out": false,
  };
  const tenantName = (id: string | null) => (id === null ? null : (review.tenantNames.get(id) ?? null));
  return {
    number: cr.number,
    state: cr.state,
    contentHash: cr.contentHash,
    author: cr.authorLabel,
    rules: evaluation.rules.map((r) => ({
      rule: r.rule,
      description: r.description,
      policies: r.policies,
      satisfied: r.satisfied,
      required: r.required.map((s) => ({
        function: s.function,
        count: s.count,
        scope: s.scope,
        tenant: tenantName(s.tenantId),
        givenBy: s.givenBy,
      })),
    })),
    uncovered: evaluation.uncovered,
    /** Whether the approvals meet the emergency rule (null: none configured). */
    emergencySatisfied: review.emergency ? review.emergency.satisfied : null,
    satisfied: evaluation.satisfied,
    approvals: review.approvals.map((a) => ({
      by: a.approverLabel,
      function: (a.approverId ? evaluation.countedAs.get(a.approverId) : undefined) ?? a.functions[0] ?? null,
      functions: a.functions,
      contentHash: a.contentHash,
      at: a.createdAt,
      voided: a.voidedAt !== null,
      voidedReason: a.voidedReason,
    })),
    /** A rollback: the release it returns to and the one it was proposed from. */
    rollback: review.rollback,
    /** A platform default change: the setting in force when proposed, the one proposed, and whether it loosens. */
    platformDefault: review.platformDefault,
    /** Items whose released version moved since the change was proposed: it must be rebased (edited) before release. */
    rebase,
    actions: legalActions(cr.state).filter((a) => may[a]),
  };
}
