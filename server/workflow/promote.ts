import "server-only";
// Promote a released staged change to enforcement (issue 13 §11): a new draft
// change request, prefilled from the staged one (the same versions, each from
// what is released now), linked to it, and not staged. It then goes through
// review and approval like any change: a staged change's approvals were for an
// audit-only rollout, never for enforcement.
import { inArray } from "drizzle-orm";
import { changeRequestItems, changeRequests, policies } from "@/db/schema";
import { recordAudit } from "@/server/audit/record";
import { withTransaction, type ServiceContext } from "@/server/context";
import { Conflict, violatedUniqueConstraint } from "@/server/errors";
import { changeContentHash, type HashedItem } from "@/server/changes/content-hash";
import { refuseProposedElsewhere } from "@/server/changes/proposable";
import { requireDraftRight, requireSomeAuthorRole } from "@/server/drafts/access";
import { requireAuthorOrAdmin } from "./access";
import { findChange } from "./review";
import type { PromoteChangeInput } from "./schemas";

export async function promoteChange({ ctx, input }: { ctx: ServiceContext; input: PromoteChangeInput }) {
  requireSomeAuthorRole(ctx);
  return withTransaction(ctx, async (tx) => {
    const { cr, items } = await findChange(tx.db, ctx.actor, input.number, true);
    requireAuthorOrAdmin(ctx.actor, { cr }, "promote");
    if (!cr.staged)
      throw new Conflict(`Change request #${cr.number} is not staged: it is enforced when released, there is nothing to promote.`);
    if (cr.state !== "released" && cr.state !== "rolled-out")
      throw new Conflict(
        `Change request #${cr.number} is ${cr.state}: only a released staged change is promoted (before that, mark it enforced instead).`,
      );
    // The policies' rows are locked: no release moves them while the promotion is written.
    const rows = await tx.db
      .select()
      .from(policies)
      .where(
        inArray(
          policies.id,
          items.map((i) => i.policyId),
        ),
      )
      .for("update");
    for (const p of rows)
      requireDraftRight(
        ctx.actor,
        { kind: p.kind, tier: p.tier, tenantId: p.tenantId },
        `${p.kind === "Policy" ? "policy" : "constraint"} ${p.name}`,
      );
    const newItems: HashedItem[] = items.map((i) => ({
      policyId: i.policyId,
      name: i.name,
      kind: i.kind,
      fromVersion: rows.find((r) => r.id === i.policyId)!.releasedVersion,
      toVersion: i.toVersion,
    }));
    const superseded = newItems.filter((i) => i.fromVersion !== null && i.fromVersion >= i.toVersion);
    if (superseded.length > 0)
      throw new Conflict(
        `Change request #${cr.number} cannot be promoted: ${superseded.map((i) => `${i.name} v${i.toVersion} is superseded (v${i.fromVersion} is released)`).join("; ")}. Propose the current drafts instead.`,
      );
    await refuseProposedElsewhere(tx.db, newItems);
    const hash = await changeContentHash(tx.db, newItems);
    const title = input.title?.trim() ?? `Enforce: ${cr.title}`.slice(0, 200);
    const description =
      `Promotes staged change #${cr.number} to enforcement (the same versions it staged).${cr.description ? `\n\n${cr.description}` : ""}`.slice(
        0,
        5000,
      );
    const [created] = await tx.db
      .insert(changeRequests)
      .values({
        title,
        description,
        state: "draft",
        authorId: ctx.actor.type === "user" ? ctx.actor.id : null,
        authorLabel: ctx.actor.label,
        tenantId: cr.tenantId,
        contentHash: hash,
        promotedFromId: cr.id,
      })
      .returning();
    await tx.db
      .insert(changeRequestItems)
      .values(
        newItems.map((i) => ({
          changeRequestId: created!.id,
          policyId: i.policyId,
          fromVersion: i.fromVersion,
          toVersion: i.toVersion,
          state: "draft" as const,
        })),
      )
      .catch((error: unknown) => {
        if (violatedUniqueConstraint(error) !== "change_request_items_open_version") throw error;
        throw new Conflict(
          `A version of ${newItems.map((i) => i.name).join(", ")} was proposed in another change request at the same moment. Reload to see it.`,
        );
      });
    await recordAudit(tx, {
      action: "change.promoted",
      targetType: "change_request",
      targetId: created!.id,
      targetLabel: `#${created!.number} ${title}`,
      tenantId: cr.tenantId,
      before: { stagedChange: cr.number, state: cr.state },
      after: {
        title,
        state: "draft",
        contentHash: hash,
        promotedFrom: cr.number,
        items: newItems.map(({ name, fromVersion, toVersion }) => ({ policy: name, fromVersion, toVersion })),
      },
    });
    return { number: created!.number, state: "draft" as const, contentHash: hash, promotedFrom: cr.number };
  });
}
