import "server-only";
// Bundle drafted policies into a change request: each item goes from the
// released version (null for a new policy) to the latest draft. The request's
// content hash covers exactly those versions' content, so an approval can be
// bound to it (DESIGN.md, lifecycle).
import { changeRequestItems, changeRequests } from "@/db/schema";
import { recordAudit } from "@/server/audit/record";
import { withTransaction, type ServiceContext } from "@/server/context";
import { Conflict, InvalidInput, violatedUniqueConstraint } from "@/server/errors";
import { requireSomeAuthorRole } from "@/server/drafts/access";
import { notify } from "@/server/notifications/notify";
import { changeContentHash } from "./content-hash";
import type { BlockingFinding } from "@/lib/changes/lint-block";
import { requireNoLintErrors } from "./lint-gate";
import { lockProposableDrafts, refuseProposedElsewhere } from "./proposable";
import type { ProposeChangeInput } from "./schemas";

export async function proposeChange({
  ctx,
  input,
  heldAsDraft = false,
  lintField,
}: {
  ctx: ServiceContext;
  input: ProposeChangeInput;
  /** The caller holds the request back as a draft in the same transaction: nobody is asked to review it yet. */
  heldAsDraft?: boolean;
  /** Which input a blocking lint error belongs to (default: "policies"). */
  lintField?: (finding: BlockingFinding) => string;
}): Promise<{ id: string; number: number }> {
  requireSomeAuthorRole(ctx);
  const names = [...new Set(input.policies)];
  if (names.length === 0) throw new InvalidInput("Choose at least one drafted policy to propose.", "policies");
  if (!input.title.trim()) throw new InvalidInput("Give the change a title.", "title");
  return withTransaction(ctx, async (tx) => {
    const { rows, items } = await lockProposableDrafts(tx.db, ctx.actor, names);
    await refuseProposedElsewhere(tx.db, items);
    const hash = await changeContentHash(tx.db, items);
    // Proposing sends it to review: lint errors block that (a request held as a draft is checked when submitted).
    if (!heldAsDraft)
      await requireNoLintErrors(
        tx.db,
        "This change",
        items.map((i) => ({ policyId: i.policyId, version: i.toVersion })),
        items,
        lintField,
      );
    const tenantIds = [...new Set(rows.map((r) => r.tenantId))];
    const tenantId = tenantIds.length === 1 ? (tenantIds[0] ?? null) : null;
    const [cr] = await tx.db
      .insert(changeRequests)
      .values({
        title: input.title.trim(),
        description: input.description.trim(),
        authorId: ctx.actor.type === "user" ? ctx.actor.id : null,
        authorLabel: ctx.actor.label,
        tenantId,
        contentHash: hash,
      })
      .returning();
    // The check above reads before either of two racing proposals writes; the partial unique index decides between them.
    await tx.db
      .insert(changeRequestItems)
      .values(items.map((i) => ({ changeRequestId: cr!.id, policyId: i.policyId, fromVersion: i.fromVersion, toVersion: i.toVersion })))
      .catch((error: unknown) => {
        if (violatedUniqueConstraint(error) !== "change_request_items_open_version") throw error;
        throw new Conflict(
          `A drafted version of ${items.map((i) => i.name).join(", ")} was proposed in another change request at the same moment. Reload to see it.`,
        );
      });
    await recordAudit(tx, {
      action: "change.proposed",
      targetType: "change_request",
      targetId: cr!.id,
      targetLabel: `#${cr!.number} ${input.title.trim()}`,
      tenantId,
      after: {
        title: input.title.trim(),
        contentHash: hash,
        items: items.map(({ name, fromVersion, toVersion }) => ({ policy: name, fromVersion, toVersion })),
      },
    });
    // Proposing submits the request for review: the same notifications as a submit.
    if (!heldAsDraft) await notify(tx, { type: "change.moved", cr: cr!, action: "submit", next: "in-review", details: {} });
    return { id: cr!.id, number: cr!.number };
  });
}
