import "server-only";
// The author (or an admin) withdraws a change request that is not released:
// its drafted versions are free to be proposed again.
import { withTransaction, type ServiceContext } from "@/server/context";
import { requireAuthorOrAdmin } from "./access";
import { findChange } from "./review";
import type { DecideChangeInput } from "./schemas";
import { requireTransition } from "./states";
import { moveChange } from "./transition";

export async function withdrawChange({ ctx, input }: { ctx: ServiceContext; input: DecideChangeInput }) {
  return withTransaction(ctx, async (tx) => {
    const { cr } = await findChange(tx.db, ctx.actor, input.number, true);
    requireAuthorOrAdmin(ctx.actor, { cr }, "withdraw");
    const next = requireTransition(cr.number, cr.state, "withdraw");
    await moveChange(tx, cr, "withdraw", next, { reason: input.reason.trim() });
    return { number: cr.number, state: next, contentHash: cr.contentHash };
  });
}
