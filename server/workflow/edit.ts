import "server-only";
// Edit a change request: its title and description, and which policies it
// carries, each at its latest draft (after the author saved new drafts, or to
// rebase onto a release made meanwhile). When the content hash changes, every
// standing approval is voided, visibly, and an approved request goes back to review.
import { and, eq, isNull } from "drizzle-orm";
import { changeRequestApprovals, changeRequestItems, changeRequests } from "@/db/schema";
import { withTransaction, type ServiceContext } from "@/server/context";
import { Conflict, violatedUniqueConstraint } from "@/server/errors";
import { requireAuthorOrAdmin } from "./access";
import { changeContentHash } from "@/server/changes/content-hash";
import { requireNoLintErrors } from "@/server/changes/lint-gate";
import { lockProposableDrafts, refuseProposedElsewhere } from "@/server/changes/proposable";
import { rollbackOf } from "@/server/releases/rollback";
import { platformDefaultChangeOf } from "@/server/platform-default/get";
import { findChange } from "./review";
import type { EditChangeInput } from "./schemas";
import { requireTransition } from "./states";
import { moveChange } from "./transition";

export async function editChange({ ctx, input }: { ctx: ServiceContext; input: EditChangeInput }) {
  return withTransaction(ctx, async (tx) => {
    const { cr, items } = await findChange(tx.db, ctx.actor, input.number, true);
    requireAuthorOrAdmin(ctx.actor, { cr }, "edit");
    const next = requireTransition(cr.number, cr.state, "edit");
    if (input.contentHash !== cr.contentHash) {
      throw new Conflict(
        `Change request #${cr.number} was changed by someone else since you opened it (now ${cr.contentHash.slice(0, 12)}). Reload it, then edit again.`,
      );
    }
    // A rollback's items are release N's versions, not drafts: editing would make it another change.
    const rollback = await rollbackOf(tx.db, cr.id);
    if (rollback)
      throw new Conflict(
        `Change request #${cr.number} rolls back to release ${rollback.targetRelease} and cannot be edited; withdraw it and propose the rollback again.`,
      );
    // Its content is the setting it proposes: another setting is another change request.
    if (await platformDefaultChangeOf(tx.db, cr.id))
      throw new Conflict(
        `Change request #${cr.number} changes the platform default and cannot be edited; withdraw it and propose the setting you want instead.`,
      );
    const names = [...new Set(input.policies ?? items.map((i) => i.name))];
    const { items: newItems } = await lockProposableDrafts(tx.db, ctx.actor, names);
    await refuseProposedElsewhere(tx.db, newItems, cr.id);
    const hash = await changeContentHash(tx.db, newItems);
    const title = input.title?.trim() ?? cr.title;
    const description = input.description?.trim() ?? cr.description;
    const changed = hash !== cr.contentHash;
    if (!changed && title === cr.title && description === cr.description)
      return { number: cr.number, state: cr.state, contentHash: cr.contentHash, voided: 0 };

    // New content that stays in (or goes back to) review must pass the lint like a submission.
    if (changed && next === "in-review")
      await requireNoLintErrors(
        tx.db,
        `Change request #${cr.number}`,
        newItems.map((i) => ({ policyId: i.policyId, version: i.toVersion })),
        newItems,
      );

    let voided: { id: string; approverLabel: string }[] = [];
    if (changed) {
      await tx.db.delete(changeRequestItems).where(eq(changeRequestItems.changeRequestId, cr.id));
      await tx.db
        .insert(changeRequestItems)
        .values(
          newItems.map((i) => ({
            changeRequestId: cr.id,
            policyId: i.policyId,
            fromVersion: i.fromVersion,
            toVersion: i.toVersion,
            state: cr.state,
          })),
        )
        .catch((error: unknown) => {
          if (violatedUniqueConstraint(error) !== "change_request_items_open_version") throw error;
          throw new Conflict(
            `A drafted version of ${newItems.map((i) => i.name).join(", ")} was proposed in another change request at the same moment. Reload to see it.`,
          );
        });
      voided = await tx.db
        .update(changeRequestApprovals)
        .set({
          voidedAt: new Date(),
          voidedReason: `the change was edited (content ${cr.contentHash.slice(0, 12)} → ${hash.slice(0, 12)})`,
        })
        .where(and(eq(changeRequestApprovals.changeRequestId, cr.id), isNull(changeRequestApprovals.voidedAt)))
        .returning({ id: changeRequestApprovals.id, approverLabel: changeRequestApprovals.approverLabel });
    }
    const state = changed ? next : cr.state;
    await tx.db
      .update(changeRequests)
      .set({ title, description, contentHash: hash, updatedAt: new Date() })
      .where(eq(changeRequests.id, cr.id));
    await moveChange(tx, cr, "edit", state, {
      contentHash: hash,
      title,
      items: newItems.map(({ name, fromVersion, toVersion }) => ({ policy: name, fromVersion, toVersion })),
      voidedApprovals: voided.map((v) => v.approverLabel),
    });
    return { number: cr.number, state, contentHash: hash, voided: voided.length };
  });
}
