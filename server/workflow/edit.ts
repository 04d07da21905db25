import "server-only";
// Edit a change request: its title and description, and which policies it
// carries, each at its latest draft (after the author saved new drafts). A
// release made meanwhile takes a rebase (./rebase.ts), never an edit. When the content hash changes, every
// standing approval is voided, visibly, and an approved request goes back to review.
import { eq } from "drizzle-orm";
import { changeRequests } from "@/db/schema";
import { withTransaction, type ServiceContext } from "@/server/context";
import { Conflict } from "@/server/errors";
import { requireAuthorOrAdmin } from "./access";
import { changeContentHash } from "@/server/changes/content-hash";
import { requireNoLintErrors } from "@/server/changes/lint-gate";
import { lockProposableDrafts, refuseProposedElsewhere } from "@/server/changes/proposable";
import { rollbackOf } from "@/server/releases/rollback";
import { lockLatestVersions, replaceChangeContent } from "./content";
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
    // A kept policy a release moved on since it was proposed stays as it is: moving it onto the release would carry
    // the draft over the release's changes unseen (a lost update). That takes a rebase (./rebase.ts), which merges them.
    const stale = items.filter((i) => names.includes(i.name) && i.releasedVersion !== i.fromVersion);
    if (stale.length > 0) {
      const latest = await lockLatestVersions(
        tx.db,
        stale.map((i) => i.policyId),
      );
      const redrafted = stale.filter((i) => latest.get(i.policyId) !== i.toVersion);
      if (redrafted.length > 0)
        throw new Conflict(
          `Change request #${cr.number} must be rebased before it takes new drafts: ${redrafted
            .map(
              (i) =>
                `${i.name} was proposed from ${i.fromVersion === null ? "nothing" : `v${i.fromVersion}`}, but ${i.releasedVersion === null ? "a release took it out" : `v${i.releasedVersion} has been released`} since`,
            )
            .join("; ")}. Rebase it (the release's changes are merged into your draft, conflicts are shown to you), then edit it again.`,
        );
    }
    const fresh = await lockProposableDrafts(
      tx.db,
      ctx.actor,
      names.filter((n) => !stale.some((i) => i.name === n)),
    );
    const newItems = [...fresh.items, ...stale].sort((a, b) => a.name.localeCompare(b.name));
    await refuseProposedElsewhere(tx.db, newItems, cr.id);
    const hash = await changeContentHash(tx.db, newItems, cr.staged);
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

    const voided = changed ? await replaceChangeContent(tx, cr, newItems, hash, { title, description }) : [];
    if (!changed) await tx.db.update(changeRequests).set({ title, description, updatedAt: new Date() }).where(eq(changeRequests.id, cr.id));
    const state = changed ? next : cr.state;
    await moveChange(tx, cr, "edit", state, {
      contentHash: hash,
      title,
      items: newItems.map(({ name, fromVersion, toVersion }) => ({ policy: name, fromVersion, toVersion })),
      voidedApprovals: voided.map((v) => v.approverLabel),
    });
    return { number: cr.number, state, contentHash: hash, voided: voided.length };
  });
}
