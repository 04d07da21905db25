import "server-only";
// Approve a change request as one committee member, bound to the content hash
// the approver saw. When the approvals meet every rule the change hits, the
// request moves to approved in the same transaction.
import { changeRequestApprovals } from "@/db/schema";
import { recordAudit } from "@/server/audit/record";
import { withTransaction, type ServiceContext } from "@/server/context";
import { Conflict, violatedUniqueConstraint } from "@/server/errors";
import { requireReviewer } from "./access";
import { findChange, loadReview } from "./review";
import type { ApproveChangeInput } from "./schemas";
import { requireTransition } from "./states";
import { moveChange } from "./transition";

export async function approveChange({ ctx, input }: { ctx: ServiceContext; input: ApproveChangeInput }) {
  return withTransaction(ctx, async (tx) => {
    const { cr, items } = await findChange(tx.db, ctx.actor, input.number, true);
    const review = await loadReview(tx.db, cr, items);
    const fillable = requireReviewer(ctx.actor, review, "approve");
    requireTransition(cr.number, cr.state, "approve");
    if (input.contentHash !== cr.contentHash) {
      throw new Conflict(
        `Change request #${cr.number} changed since you viewed it: you approved content ${input.contentHash.slice(0, 12)}, but it is now ${cr.contentHash.slice(0, 12)}. Reload it, review the new content, and approve that.`,
      );
    }
    const actorId = ctx.actor.id!;
    if (review.approvals.some((a) => a.voidedAt === null && a.approverId === actorId)) {
      throw new Conflict(`You already approved change request #${cr.number} at this content; one person counts once.`);
    }
    const functions = [...new Set(fillable.map((s) => s.function))];
    await tx.db
      .insert(changeRequestApprovals)
      .values({ changeRequestId: cr.id, approverId: actorId, approverLabel: ctx.actor.label, functions, contentHash: cr.contentHash })
      .catch((error: unknown) => {
        if (violatedUniqueConstraint(error) !== "change_request_approvals_one_per_person") throw error;
        throw new Conflict(`You already approved change request #${cr.number}; one person counts once.`);
      });
    await recordAudit(tx, {
      action: "change.approval_given",
      targetType: "change_request",
      targetId: cr.id,
      targetLabel: `#${cr.number} ${cr.title}`,
      tenantId: cr.tenantId,
      after: { contentHash: cr.contentHash, functions, comment: input.comment },
    });
    const after = await loadReview(tx.db, cr, items);
    const state = after.evaluation.satisfied && cr.state === "in-review" ? "approved" : cr.state;
    if (state !== cr.state) {
      await moveChange(tx, cr, "approve", state, {
        contentHash: cr.contentHash,
        approvedBy: after.evaluation.rules.map((r) => ({ rule: r.rule, by: [...new Set(r.required.flatMap((s) => s.givenBy))] })),
      });
    }
    return {
      number: cr.number,
      state,
      contentHash: cr.contentHash,
      approval: { by: ctx.actor.label, function: after.evaluation.countedAs.get(actorId) ?? functions[0]!, contentHash: cr.contentHash },
    };
  });
}
