import "server-only";
// Release an approved change request: its proposed versions become the
// released ones, and the whole policy set as it now stands is recorded as the
// next numbered, immutable release. One release per change request, under any
// concurrency: the request's row is locked, releases are numbered under one
// lock, and unique indexes back both.
import { and, eq, isNotNull, max, notInArray, sql } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { emergencyReviews, policies, releaseEntries, releases } from "@/db/schema";
import { runEngine } from "@/server/engine-pool/pool";
import { platformDefaultInForce } from "@/server/platform-default/get";
import { releasePlatformDefaultChange } from "@/server/platform-default/propose";
import { recordAudit } from "@/server/audit/record";
import { requireRole } from "@/server/auth/authorize";
import { withTransaction, type ServiceContext } from "@/server/context";
import { Conflict, violatedUniqueConstraint } from "@/server/errors";
import { findChange, loadReview } from "@/server/workflow/review";
import type { ReleaseChangeInput } from "@/server/workflow/schemas";
import { requireTransition } from "@/server/workflow/states";
import { moveChange } from "@/server/workflow/transition";
import { requireNoFreeze } from "./freezes";
import { compileCheckRefusal } from "./render";
import { rollbackOf } from "./rollback";
import { planRollout, releaseTargets } from "./rollout";
import { policySetHash, releasedPolicySet } from "./snapshot";
import { nextStagedSet, recordStagedSet, stagedEntriesOf } from "./staged";
import { releasedDocuments } from "@/server/drafts/documents";
import { approvedExceptionDocuments, inWindowAt, storedException } from "@/server/exceptions/in-force";
import { serverNow } from "@/server/clock";

// Any constant works; it only has to be the same for every writer of releases.
const RELEASE_LOCK = 7_301_913;

export async function releaseChange({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: ReleaseChangeInput;
}): Promise<{ release: number; number: number; state: "released" }> {
  requireRole(ctx.actor, "admin");
  return withTransaction(ctx, async (tx) => {
    const { cr, items } = await findChange(tx.db, ctx.actor, input.number, true);
    const review = await loadReview(tx.db, cr, items);
    const emergency = input.emergency;
    if (emergency) {
      // The emergency rule replaces the other rules' quorum (and a freeze), never separation of duties or the rebase.
      requireTransition(cr.number, cr.state, "emergency-release");
      if (!review.emergency)
        throw new Conflict(`Change request #${cr.number} cannot be released as an emergency: no emergency rule is configured.`);
      if (!review.emergency.satisfied) {
        const missing = review.emergency.rules.flatMap((r) =>
          r.required.filter((s) => s.givenBy.length < s.count).map((s) => `${s.count - s.givenBy.length} × ${s.function}`),
        );
        throw new Conflict(
          `Change request #${cr.number} cannot be released as an emergency: the emergency rule's approvals are missing: ${missing.join(", ")}.`,
        );
      }
    } else {
      if (cr.state === "in-review" || cr.state === "changes-requested" || cr.state === "draft") {
        const missing = review.evaluation.rules.flatMap((r) =>
          r.required.filter((s) => s.givenBy.length < s.count).map((s) => `${s.count - s.givenBy.length} × ${s.function} (${r.rule})`),
        );
        throw new Conflict(
          `Change request #${cr.number} cannot be released: it is ${cr.state}, approvals missing: ${missing.join(", ") || (cr.state === "in-review" ? "none, but it was not approved" : "it must be submitted and approved")}.`,
        );
      }
      requireTransition(cr.number, cr.state, "release");
      // The rules may have changed since the approvals: release only what meets them now.
      if (!review.evaluation.satisfied) {
        throw new Conflict(
          `Change request #${cr.number} cannot be released: its approvals no longer meet the approval rules${review.evaluation.uncovered.length ? ` (no rule covers ${review.evaluation.uncovered.join(", ")})` : ""}.`,
        );
      }
    }
    const stale = items.filter((i) => i.releasedVersion !== i.fromVersion);
    if (stale.length > 0) {
      throw new Conflict(
        `Change request #${cr.number} must be rebased before release: ${stale.map((i) => `${i.name} was proposed from ${i.fromVersion === null ? "nothing" : `v${i.fromVersion}`}, but v${i.releasedVersion} has been released since`).join("; ")}. Edit it onto the current release and have it approved again.`,
      );
    }
    await tx.db.execute(sql`SELECT pg_advisory_xact_lock(${RELEASE_LOCK})`);
    // Under the release lock, so a freeze that starts now is seen by every release after it.
    if (!emergency) await requireNoFreeze(tx.db, `Change request #${cr.number}`);
    const [last] = await tx.db.select({ n: max(releases.number) }).from(releases);
    const number = (last?.n ?? 0) + 1;
    const rollback = await rollbackOf(tx.db, cr.id);
    if (rollback && rollback.baseRelease !== number - 1)
      throw new Conflict(
        `Change request #${cr.number} rolls release ${rollback.baseRelease} back to release ${rollback.targetRelease}, but release ${number - 1} has been made since: propose the rollback again from the current release.`,
      );
    // A staged change enforces nothing: the released versions stay, its versions only join the staged set below.
    if (!cr.staged)
      for (const i of items)
        await tx.db.update(policies).set({ releasedVersion: i.toVersion, updatedAt: new Date() }).where(eq(policies.id, i.policyId));
    if (rollback) await takeOutPoliciesAbsentFrom(tx.db, rollback.targetRelease);
    // A platform default change takes effect here: the next version, which the compile check below and every cluster's render read.
    if (review.platformDefault) await releasePlatformDefaultChange(tx, cr, review.platformDefault, number, rollback?.targetRelease ?? null);
    const entries = await releasedPolicySet(tx.db);
    // What stays staged (a rollback returns to its target's), without what this release enforces, plus a staged change's versions.
    const staged = await nextStagedSet(
      tx.db,
      await stagedEntriesOf(tx.db, rollback?.targetRelease ?? number - 1),
      cr.staged ? { changeRequestNumber: cr.number, items } : null,
    );
    // Issue 10: what each cluster would enforce must decide every flow as the console does, or nothing ships.
    const check = await checkCompile(tx.db, number, serverNow());
    if (check.refusal) throw new Conflict(`Change request #${cr.number} cannot be released: ${check.refusal}.`);
    const moved = new Set(cr.staged ? [] : items.map((i) => i.policyId));
    const [release] = await tx.db
      .insert(releases)
      .values({
        number,
        changeRequestId: cr.id,
        changeRequestNumber: cr.number,
        title: cr.title,
        policySetHash: policySetHash(entries, check.platformDefault, staged),
        exceptionIds: check.exceptions.map(String),
        createdById: ctx.actor.type === "user" ? ctx.actor.id : null,
        createdByLabel: ctx.actor.label,
        emergencyReason: emergency?.reason ?? null,
        rollbackTo: rollback?.targetRelease ?? null,
        staged: cr.staged,
      })
      .returning({ id: releases.id })
      .catch((error: unknown) => {
        const which = violatedUniqueConstraint(error);
        if (which === "releases_change_request") throw new Conflict(`Change request #${cr.number} is already released.`);
        if (which === "releases_number") throw new Conflict("Another release was made at the same moment. Try again.");
        throw error;
      });
    const fromOf = new Map(items.map((i) => [i.policyId, i.fromVersion]));
    if (entries.length > 0) {
      await tx.db.insert(releaseEntries).values(
        entries.map((e) => ({
          ...e,
          releaseId: release!.id,
          changed: moved.has(e.policyId),
          previousVersion: moved.has(e.policyId) ? (fromOf.get(e.policyId) ?? null) : e.version,
        })),
      );
    }
    await recordStagedSet(tx.db, release!.id, staged);
    await planRollout(tx, release!.id);
    if (emergency) await tx.db.insert(emergencyReviews).values({ releaseId: release!.id, reason: emergency.reason });
    await recordAudit(tx, {
      action: "release.created",
      targetType: "release",
      targetId: release!.id,
      targetLabel: `release ${number}`,
      tenantId: cr.tenantId,
      after: {
        number,
        changeRequest: cr.number,
        contentHash: cr.contentHash,
        policies: entries.length,
        emergency: emergency
          ? { reason: emergency.reason, approvedBy: review.emergency?.rules.flatMap((r) => r.required.flatMap((q) => q.givenBy)) }
          : null,
        moved: cr.staged ? [] : items.map((i) => ({ policy: i.name, fromVersion: i.fromVersion, toVersion: i.toVersion })),
        staged: cr.staged,
        stagedPolicies: staged.map((e) => ({ policy: e.name, version: e.version, changeRequest: e.changeRequestNumber })),
        rollbackTo: rollback?.targetRelease ?? null,
        platformDefault: review.platformDefault ? { from: review.platformDefault.from, to: review.platformDefault.to } : null,
        compileCheck: { clusters: check.clusters, flows: check.flows, disagreements: 0, exceptions: check.exceptions },
        ...(emergency ? { emergencyReview: "open" } : {}),
      },
    });
    await moveChange(tx, cr, emergency ? "emergency-release" : "release", "released", {
      release: number,
      contentHash: cr.contentHash,
      ...(emergency ? { emergency: true, reason: emergency.reason } : {}),
    });
    return { release: number, number: cr.number, state: "released" as const };
  });
}

/** A rollback's policies released after its target release leave the release (their versions stay). */
async function takeOutPoliciesAbsentFrom(db: Queryable, targetRelease: number): Promise<void> {
  const [target] = await db.select({ id: releases.id }).from(releases).where(eq(releases.number, targetRelease));
  const keep = (await db.select({ id: releaseEntries.policyId }).from(releaseEntries).where(eq(releaseEntries.releaseId, target!.id))).map(
    (e) => e.id,
  );
  await db
    .update(policies)
    .set({ releasedVersion: null, updatedAt: new Date() })
    .where(and(isNotNull(policies.releasedVersion), keep.length ? notInArray(policies.id, keep) : undefined));
}

/**
 * The compile check of the policy set now in force (inside the release's transaction) on every
 * cluster, in the engine's workers. The approved exceptions are part of what the clusters get
 * (server/exceptions/in-force.ts), so they are part of what is checked: the compiler renders those
 * in their window at `now` and the check decides every flow at the same instant.
 */
async function checkCompile(db: Queryable, number: number, now: Date) {
  const [released, clusters, setting, exceptions] = await Promise.all([
    releasedDocuments(db),
    releaseTargets(db),
    platformDefaultInForce(db),
    approvedExceptionDocuments(db),
  ]);
  const checks = await runEngine("checkReleaseCompile", {
    documents: [...released, ...exceptions.map(storedException)],
    clusters,
    platformDefault: { enabled: setting.enabled, excludeNamespaces: setting.excludeNamespaces },
    release: String(number),
    time: now.toISOString(),
  });
  return {
    refusal: compileCheckRefusal(checks),
    clusters: checks.length,
    flows: checks.reduce((n, c) => n + c.flows, 0),
    /** The approved exceptions in their window at `now`: what the release's clusters enforce beside the policies. */
    exceptions: exceptions.filter((e) => inWindowAt(e, now)).map((e) => e.number),
    /** The platform default the release puts in force (part of its hash). */
    platformDefault: setting,
  };
}
