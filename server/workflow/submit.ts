import "server-only";
// The author sends a draft change request to review, or a change sent back
// for changes to review again (after editing it).
import { requireNoLintErrors } from "@/server/changes/lint-gate";
import { withTransaction, type ServiceContext } from "@/server/context";
import { requireAuthorOrAdmin } from "./access";
import { findChange } from "./review";
import type { DecideChangeInput } from "./schemas";
import { requireTransition } from "./states";
import { moveChange } from "./transition";

export async function submitChange({ ctx, input }: { ctx: ServiceContext; input: DecideChangeInput }) {
  return withTransaction(ctx, async (tx) => {
    const { cr, items } = await findChange(tx.db, ctx.actor, input.number, true);
    requireAuthorOrAdmin(ctx.actor, { cr }, "submit");
    // A draft is submitted; a change sent back for changes is resubmitted.
    const action = cr.state === "changes-requested" ? "resubmit" : "submit";
    const next = requireTransition(cr.number, cr.state, action);
    await requireNoLintErrors(
      tx.db,
      `Change request #${cr.number}`,
      items.map((i) => ({ policyId: i.policyId, version: i.toVersion })),
      items,
    );
    await moveChange(tx, cr, action, next, { contentHash: cr.contentHash, reason: input.reason.trim() });
    return { number: cr.number, state: next, contentHash: cr.contentHash };
  });
}
