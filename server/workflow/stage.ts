import "server-only";
// Mark a change request staged, or back to enforced (issue 13 §11). A staged
// change is reviewed and evaluated like any other (impact, the graph's drafts
// overlay), but its release enforces nothing: its versions are rendered as
// audit-only objects where the cluster's CNI has them (server/releases/staged.ts).
// Whether it is staged is part of what approvers approve: the flag is in the
// content hash, so changing it voids the standing approvals as an edit does,
// and an approved change goes back to review.
import { eq } from "drizzle-orm";
import { changeRequests } from "@/db/schema";
import { withTransaction, type ServiceContext } from "@/server/context";
import { Conflict } from "@/server/errors";
import { changeContentHash } from "@/server/changes/content-hash";
import { platformDefaultChangeOf } from "@/server/platform-default/get";
import { rollbackOf } from "@/server/releases/rollback";
import { requireAuthorOrAdmin } from "./access";
import { voidApprovals } from "./content";
import { findChange } from "./review";
import type { SetStagedInput } from "./schemas";
import { requireTransition } from "./states";
import { moveChange } from "./transition";

export async function setStaged({ ctx, input }: { ctx: ServiceContext; input: SetStagedInput }) {
  return withTransaction(ctx, async (tx) => {
    const { cr, items } = await findChange(tx.db, ctx.actor, input.number, true);
    const verb = input.staged ? "mark staged" : "mark enforced";
    requireAuthorOrAdmin(ctx.actor, { cr }, verb);
    // The states an edit is allowed in (draft, in review, changes requested; approved goes back to review).
    const next = requireTransition(cr.number, cr.state, "edit");
    if (input.contentHash !== cr.contentHash)
      throw new Conflict(
        `Change request #${cr.number} was changed by someone else since you opened it (now ${cr.contentHash.slice(0, 12)}). Reload it, then ${verb} it again.`,
      );
    if (await rollbackOf(tx.db, cr.id))
      throw new Conflict(`Change request #${cr.number} is a rollback: it restores what was enforced and cannot be staged.`);
    if (await platformDefaultChangeOf(tx.db, cr.id))
      throw new Conflict(
        `Change request #${cr.number} changes the platform default, which is enforced or not at all: it cannot be staged.`,
      );
    if (cr.staged === input.staged)
      return { number: cr.number, state: cr.state, contentHash: cr.contentHash, staged: cr.staged, voided: 0 };

    const hash = await changeContentHash(tx.db, items, input.staged);
    const voided = await voidApprovals(tx, cr, hash, input.staged ? "the change was marked staged" : "the change was marked enforced");
    await tx.db
      .update(changeRequests)
      .set({ staged: input.staged, contentHash: hash, updatedAt: new Date() })
      .where(eq(changeRequests.id, cr.id));
    await moveChange(tx, cr, "edit", next, {
      contentHash: hash,
      staged: input.staged,
      voidedApprovals: voided.map((v) => v.approverLabel),
    });
    return { number: cr.number, state: next, contentHash: hash, staged: input.staged, voided: voided.length };
  });
}
