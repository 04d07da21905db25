import "server-only";
// Rollback (issue 13 §8): "roll back to release N" proposes a change request
// of kind rollback whose items move every policy back to its version in
// release N (a policy released after N is an item from its version to the
// same version: releasing the rollback takes it out of the release). It is
// approved by the same approval engine as any change, or released through the
// emergency rule, which leaves a post-emergency review to acknowledge.
// When release N carried another platform default than the one in force, the
// rollback also proposes N's setting (as a platform default change does): the
// approval rules see it (a loosening when it uncovers a namespace), the
// approvals are bound to it, and its release writes it as the next version.
import { eq, max } from "drizzle-orm";
import {
  changeRequestItems,
  changeRequestPlatformDefaults,
  changeRequestRollbacks,
  changeRequests,
  emergencyReviews,
  releaseEntries,
  releases,
} from "@/db/schema";
import { recordAudit } from "@/server/audit/record";
import { hasRole, requireRole } from "@/server/auth/authorize";
import { changeContentHash, type HashedItem } from "@/server/changes/content-hash";
import { withTransaction, type ServiceContext } from "@/server/context";
import { Conflict, Forbidden, NotFound } from "@/server/errors";
import { contentHash } from "@/server/lib/canonical";
import { platformDefaultChange, platformDefaultInForce, platformDefaultOfRelease, setting } from "@/server/platform-default/get";
import type { AcknowledgeReviewInput, RollbackInput } from "./schemas";
import { releasedPolicySet } from "./snapshot";

export async function proposeRollback({ ctx, input }: { ctx: ServiceContext; input: RollbackInput }) {
  requireRole(ctx.actor, "admin");
  return withTransaction(ctx, async (tx) => {
    const [target] = await tx.db.select().from(releases).where(eq(releases.number, input.release));
    if (!target) throw new NotFound(`No release ${input.release} to roll back to.`);
    const [newest] = await tx.db.select({ n: max(releases.number) }).from(releases);
    const base = newest?.n ?? 0;
    if (target.number === base) throw new Conflict(`Release ${target.number} is the current release: there is nothing to roll back.`);
    const wanted = await tx.db.select().from(releaseEntries).where(eq(releaseEntries.releaseId, target.id));
    const current = await releasedPolicySet(tx.db);
    const items: (HashedItem & { tenantId: string | null })[] = [];
    for (const e of wanted) {
      const now = current.find((c) => c.policyId === e.policyId);
      if (now?.version !== e.version)
        items.push({
          policyId: e.policyId,
          name: e.name,
          kind: e.kind,
          tenantId: e.tenantId,
          fromVersion: now?.version ?? null,
          toVersion: e.version,
        });
    }
    // Released after N: an item that stays at its version; releasing the rollback takes the policy out.
    for (const c of current)
      if (!wanted.some((e) => e.policyId === c.policyId))
        items.push({
          policyId: c.policyId,
          name: c.name,
          kind: c.kind,
          tenantId: c.tenantId,
          fromVersion: c.version,
          toVersion: c.version,
        });
    const defaultChange = await platformDefaultBackTo(tx.db, target.number);
    if (items.length === 0 && !defaultChange)
      throw new Conflict(
        `The current release ${base} already has release ${target.number}'s policy set and platform default: there is nothing to roll back.`,
      );
    // The approvals are bound to the platform default it restores as well as to the policies.
    const policiesHash = await changeContentHash(tx.db, items);
    const hash = defaultChange
      ? contentHash({ policies: policiesHash, platformDefault: { fromVersion: defaultChange.fromVersion, ...defaultChange.to } })
      : policiesHash;
    const tenantIds = [...new Set(items.map((i) => i.tenantId))];
    const title = `Roll back to release ${target.number}`;
    const [cr] = await tx.db
      .insert(changeRequests)
      .values({
        title,
        description: input.reason,
        authorId: ctx.actor.type === "user" ? ctx.actor.id : null,
        authorLabel: ctx.actor.label,
        tenantId: tenantIds.length === 1 ? (tenantIds[0] ?? null) : null,
        contentHash: hash,
      })
      .returning();
    if (items.length > 0)
      await tx.db
        .insert(changeRequestItems)
        .values(items.map((i) => ({ changeRequestId: cr!.id, policyId: i.policyId, fromVersion: i.fromVersion, toVersion: i.toVersion })));
    if (defaultChange)
      await tx.db.insert(changeRequestPlatformDefaults).values({
        changeRequestId: cr!.id,
        fromVersion: defaultChange.fromVersion,
        enabled: defaultChange.to.enabled,
        excludeNamespaces: [...defaultChange.to.excludeNamespaces],
      });
    await tx.db.insert(changeRequestRollbacks).values({ changeRequestId: cr!.id, targetRelease: target.number, baseRelease: base });
    await recordAudit(tx, {
      action: "change.rollback_proposed",
      targetType: "change_request",
      targetId: cr!.id,
      targetLabel: `#${cr!.number} ${title}`,
      tenantId: cr!.tenantId,
      after: {
        rollbackTo: target.number,
        from: base,
        reason: input.reason,
        contentHash: hash,
        items: items.map((i) => ({
          policy: i.name,
          fromVersion: i.fromVersion,
          toVersion: wanted.some((e) => e.policyId === i.policyId) ? i.toVersion : null,
        })),
        platformDefault: defaultChange,
      },
    });
    return { number: cr!.number, state: cr!.state, contentHash: hash, rollbackTo: target.number };
  });
}

/** Release `number`'s platform default as a change from the one in force, or null when they are the same setting. */
async function platformDefaultBackTo(db: ServiceContext["db"], number: number) {
  const [current, wanted] = await Promise.all([platformDefaultInForce(db), platformDefaultOfRelease(db, number)]);
  const change = platformDefaultChange(current.version, setting(current), setting(wanted));
  return change.summary.length === 0 ? null : { ...change, restoresVersion: wanted.version };
}

/** The rollback a change request is, if it is one. */
export async function rollbackOf(db: ServiceContext["db"], changeRequestId: string) {
  const [row] = await db.select().from(changeRequestRollbacks).where(eq(changeRequestRollbacks.changeRequestId, changeRequestId));
  return row ?? null;
}

/** A reviewer (an approver, never the admin who made the emergency release) acknowledges the review it owes. */
export async function acknowledgeEmergencyReview({ ctx, input }: { ctx: ServiceContext; input: AcknowledgeReviewInput }) {
  // Organisation-wide committee approvers (admins rank above them), refused before anything is looked up.
  if (ctx.actor.type !== "user" || !hasRole(ctx.actor, "approver"))
    throw new Forbidden(`Only a committee approver can acknowledge the review of emergency release ${input.number}.`);
  return withTransaction(ctx, async (tx) => {
    const [release] = await tx.db.select().from(releases).where(eq(releases.number, input.number));
    if (!release) throw new NotFound(`No release ${input.number}.`);
    const [review] = await tx.db.select().from(emergencyReviews).where(eq(emergencyReviews.releaseId, release.id)).for("update");
    if (!review) throw new Conflict(`Release ${input.number} was not an emergency release: it owes no review.`);
    if (review.acknowledgedAt)
      throw new Conflict(`Release ${input.number}'s emergency review was already acknowledged by ${review.acknowledgedByLabel}.`);
    if (release.createdById === ctx.actor.id)
      throw new Forbidden(`You made emergency release ${input.number}: someone else must review it.`);
    const now = new Date();
    await tx.db
      .update(emergencyReviews)
      .set({ acknowledgedAt: now, acknowledgedById: ctx.actor.id, acknowledgedByLabel: ctx.actor.label, note: input.note })
      .where(eq(emergencyReviews.id, review.id));
    await recordAudit(tx, {
      action: "release.emergency_review_acknowledged",
      targetType: "release",
      targetId: release.id,
      targetLabel: `release ${release.number}`,
      before: { reason: review.reason },
      after: { note: input.note },
    });
    return { number: release.number, acknowledgedBy: ctx.actor.label };
  });
}
