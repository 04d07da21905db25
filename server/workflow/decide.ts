import "server-only";
// A committee member's other two decisions: send the change back to its author
// for changes, or reject it for good. Both are reviewers' acts (never an
// author's), and both are bound to what the reviewer saw when they say so.
import { withTransaction, type ServiceContext } from "@/server/context";
import { Conflict, InvalidInput } from "@/server/errors";
import { requireReviewer } from "./access";
import { findChange, loadReview } from "./review";
import type { DecideChangeInput } from "./schemas";
import { requireTransition, type ChangeAction } from "./states";
import { moveChange } from "./transition";

async function decide(
  ctx: ServiceContext,
  input: DecideChangeInput,
  action: Extract<ChangeAction, "request-changes" | "reject">,
  verb: string,
) {
  if (!input.reason.trim()) throw new InvalidInput(`Say why you ${verb} it: the author reads this.`, "reason");
  return withTransaction(ctx, async (tx) => {
    const { cr, items } = await findChange(tx.db, ctx.actor, input.number, true);
    const review = await loadReview(tx.db, cr, items);
    requireReviewer(ctx.actor, review, verb, { adminMay: true });
    const next = requireTransition(cr.number, cr.state, action);
    if (input.contentHash !== undefined && input.contentHash !== cr.contentHash) {
      throw new Conflict(
        `Change request #${cr.number} changed since you viewed it (now ${cr.contentHash.slice(0, 12)}). Reload it before deciding.`,
      );
    }
    await moveChange(tx, cr, action, next, { reason: input.reason.trim() });
    return { number: cr.number, state: next, contentHash: cr.contentHash };
  });
}

export function requestChanges({ ctx, input }: { ctx: ServiceContext; input: DecideChangeInput }) {
  return decide(ctx, input, "request-changes", "request changes to");
}

export function rejectChange({ ctx, input }: { ctx: ServiceContext; input: DecideChangeInput }) {
  return decide(ctx, input, "reject", "reject");
}
