import "server-only";
// Rolling a release out to the clusters in waves (issue 13 §10): canary
// clusters first, then the rest (server/releases/waves.ts plans them from the
// clusters' labels). Starting a wave renders each of its clusters with the
// engine's compiler; the cluster side (GitOps or the agent) then reports
// applied or failed. The next wave starts only when the current one is wholly
// applied and the rollout is not paused; a release superseded by a newer one
// rolls out no further. When every cluster has applied, the change request
// moves released → rolled-out.
import { and, asc, eq, gt, isNull, max } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { changeRequests, clusterProfiles, clusters, releaseClusterRollouts, releaseEntries, releaseRollouts, releases } from "@/db/schema";
import { recordAudit } from "@/server/audit/record";
import { hasRole, requireRole } from "@/server/auth/authorize";
import { withTransaction, type ServiceContext } from "@/server/context";
import { releasedWith } from "@/server/drafts/documents";
import { serverNow } from "@/server/clock";
import { runEngine } from "@/server/engine-pool/pool";
import { withApprovedExceptions } from "@/server/exceptions/in-force";
import { Conflict, NotFound } from "@/server/errors";
import { requireClusterScope } from "@/server/tokens/scopes";
import { loadClusterModels } from "@/server/inventory/cluster-model";
import { notify } from "@/server/notifications/notify";
import { platformDefaultOfRelease } from "@/server/platform-default/get";
import { requireTransition } from "@/server/workflow/states";
import { moveChange } from "@/server/workflow/transition";
import type { ReleaseTarget } from "./render";
import type { ClusterStatusInput, ReleaseNumberInput } from "./schemas";
import { clusterCnis, stagedDocuments } from "./staged";
import { planWaves, targetOf } from "./waves";

type ReleaseRow = typeof releases.$inferSelect;
type RolloutRow = typeof releaseRollouts.$inferSelect;
type ClusterRolloutRow = typeof releaseClusterRollouts.$inferSelect;

/** The clusters as a release renders them (all, or the named ones): the engine's model and each cluster's compile target. */
export async function releaseTargets(db: Queryable, names?: readonly string[]): Promise<ReleaseTarget[]> {
  const [models, rows, cnis] = await Promise.all([
    loadClusterModels(db, names),
    db.select({ name: clusters.name, labels: clusters.labels }).from(clusters),
    clusterCnis(db),
  ]);
  const labels = new Map(rows.map((r) => [r.name, r.labels]));
  return models.map((c) => ({
    name: c.name,
    region: c.region,
    model: c.model,
    target: targetOf(labels.get(c.name) ?? {}),
    cni: cnis.get(c.name) ?? null,
  }));
}

/** Every policy version of a release, as the engine takes documents. */
export async function releaseDocuments(db: Queryable, releaseId: string) {
  const entries = await db
    .select({ policyId: releaseEntries.policyId, version: releaseEntries.version })
    .from(releaseEntries)
    .where(eq(releaseEntries.releaseId, releaseId));
  return releasedWith(db, entries, []);
}

/** Plans a new release's rollout: every cluster pending in its wave. Runs in the release's transaction. */
export async function planRollout(tx: ServiceContext, releaseId: string): Promise<void> {
  // A retired cluster (server/clusters/manage.ts) is planned no more.
  const rows = await tx.db
    .select({ id: clusters.id, name: clusters.name, labels: clusters.labels })
    .from(clusters)
    .leftJoin(clusterProfiles, eq(clusterProfiles.clusterId, clusters.id))
    .where(isNull(clusterProfiles.retiredAt))
    .orderBy(asc(clusters.name));
  const plan = planWaves(rows);
  await tx.db.insert(releaseRollouts).values({ releaseId, waves: Math.max(0, ...plan.map((p) => p.wave)) });
  if (plan.length > 0)
    await tx.db
      .insert(releaseClusterRollouts)
      .values(plan.map((p) => ({ releaseId, clusterId: rows.find((r) => r.name === p.name)!.id, clusterName: p.name, wave: p.wave })));
}

export type RolloutState = "not-started" | "rolling-out" | "paused" | "rolled-out" | "superseded";

function stateOf(rollout: RolloutRow, clusterRows: readonly ClusterRolloutRow[], superseded: boolean): RolloutState {
  if (clusterRows.length > 0 && clusterRows.every((c) => c.status === "applied")) return "rolled-out";
  if (superseded) return "superseded";
  if (rollout.pausedAt) return "paused";
  return rollout.currentWave === 0 ? "not-started" : "rolling-out";
}

interface Locked {
  release: ReleaseRow;
  rollout: RolloutRow;
  clusters: ClusterRolloutRow[];
  /** The newest release's number, when it is not this one. */
  supersededBy: number | null;
}

/** Release `number` with its rollout, the rollout row locked: wave moves and status reports of one release run one at a time. */
async function lockRollout(db: Queryable, number: number): Promise<Locked> {
  const [release] = await db.select().from(releases).where(eq(releases.number, number));
  if (!release) throw new NotFound(`No release ${number}.`);
  const [rollout] = await db.select().from(releaseRollouts).where(eq(releaseRollouts.releaseId, release.id)).for("update");
  if (!rollout) throw new NotFound(`Release ${number} has no rollout plan.`);
  const clusterRows = await db
    .select()
    .from(releaseClusterRollouts)
    .where(eq(releaseClusterRollouts.releaseId, release.id))
    .orderBy(asc(releaseClusterRollouts.wave), asc(releaseClusterRollouts.clusterName));
  const [newest] = await db.select({ n: max(releases.number) }).from(releases);
  const supersededBy = newest?.n !== undefined && newest.n !== null && newest.n > number ? newest.n : null;
  return { release, rollout, clusters: clusterRows, supersededBy };
}

function refuseSuperseded(l: Locked, what: string): void {
  if (l.supersededBy !== null)
    throw new Conflict(
      `Release ${l.release.number} cannot ${what}: release ${l.supersededBy} has been made since and replaces it; roll out release ${l.supersededBy} instead.`,
    );
}

const auditTarget = (release: ReleaseRow) => ({ targetType: "release", targetId: release.id, targetLabel: `release ${release.number}` });

/** Starts the next wave: renders each of its clusters with the compiler (status rendered, or failed when the compile fails). */
export async function rolloutNextWave({ ctx, input }: { ctx: ServiceContext; input: ReleaseNumberInput }) {
  requireRole(ctx.actor, "admin");
  return withTransaction(ctx, async (tx) => {
    const l = await lockRollout(tx.db, input.number);
    const n = l.release.number;
    refuseSuperseded(l, "roll out further");
    if (l.rollout.pausedAt) throw new Conflict(`Release ${n}'s rollout is paused (by ${l.rollout.pausedByLabel}): resume it first.`);
    if (l.rollout.currentWave >= l.rollout.waves)
      throw new Conflict(
        l.rollout.waves === 0
          ? `Release ${n} has no clusters to roll out to.`
          : `Every wave of release ${n} has started (${l.rollout.waves} of ${l.rollout.waves}); the clusters report the rest.`,
      );
    const current = l.clusters.filter((c) => c.wave === l.rollout.currentWave);
    const waiting = current.filter((c) => c.status !== "applied");
    if (waiting.length > 0)
      throw new Conflict(
        `Release ${n} cannot start wave ${l.rollout.currentWave + 1}: wave ${l.rollout.currentWave} is not applied everywhere yet (${waiting
          .map((c) => `${c.clusterName} is ${c.status}${c.message ? `: ${c.message}` : ""}`)
          .join("; ")}).`,
      );
    const wave = l.rollout.currentWave + 1;
    const next = l.clusters.filter((c) => c.wave === wave);
    const [documents, targets, setting, staged] = await Promise.all([
      // The approved exceptions too, as the clusters' desired state has them (server/clusters/observed.ts).
      releaseDocuments(tx.db, l.release.id).then((docs) => withApprovedExceptions(tx.db, docs)),
      releaseTargets(tx.db),
      platformDefaultOfRelease(tx.db, n),
      stagedDocuments(tx.db, l.release.id),
    ]);
    const wanted = targets.filter((t) => next.some((c) => c.clusterName === t.name));
    const rendered = await runEngine("renderRelease", {
      documents,
      clusters: wanted,
      platformDefault: { enabled: setting.enabled, excludeNamespaces: setting.excludeNamespaces },
      release: String(n),
      time: serverNow().toISOString(),
      staged,
    });
    const now = new Date();
    const results = next.map((c) => {
      const r = rendered.find((x) => x.cluster === c.clusterName);
      if (!r) return { cluster: c.clusterName, status: "failed" as const, message: "the cluster is no longer in the inventory" };
      if (r.errors.length > 0)
        return { cluster: c.clusterName, status: "failed" as const, message: `the compile failed: ${r.errors.join("; ")}`.slice(0, 2000) };
      // What the staged versions became here: audit-only objects, or why none (a CNI without them): the rollout page shows it.
      const stagedNote =
        staged.length === 0
          ? null
          : [
              r.staged.objects > 0 ? `${r.staged.objects} staged (audit-only, not enforced) Calico object(s) rendered` : null,
              ...r.staged.notes,
            ]
              .filter((x): x is string => x !== null)
              .join("; ")
              .slice(0, 2000);
      return {
        cluster: c.clusterName,
        status: "rendered" as const,
        message: stagedNote,
        objects: r.objects,
        hash: r.hash,
        target: r.target,
      };
    });
    for (const r of results)
      await tx.db
        .update(releaseClusterRollouts)
        .set({
          status: r.status,
          message: r.message,
          failedBy: r.status === "failed" ? "compile" : null,
          renderedObjects: "objects" in r ? r.objects : null,
          renderedHash: "hash" in r ? r.hash : null,
          updatedAt: now,
        })
        .where(and(eq(releaseClusterRollouts.releaseId, l.release.id), eq(releaseClusterRollouts.clusterName, r.cluster)));
    await tx.db.update(releaseRollouts).set({ currentWave: wave, updatedAt: now }).where(eq(releaseRollouts.releaseId, l.release.id));
    for (const r of results)
      if (r.status === "failed") await notify(tx, { type: "release.failed", release: n, cluster: r.cluster, reason: r.message });
    await recordAudit(tx, {
      action: "rollout.wave_started",
      ...auditTarget(l.release),
      before: { wave: l.rollout.currentWave },
      after: { wave, of: l.rollout.waves, clusters: results.map(({ cluster, status, message }) => ({ cluster, status, message })) },
    });
    return { number: n, wave, clusters: results.map(({ cluster, status }) => ({ cluster, status })) };
  });
}

export async function pauseRollout({ ctx, input }: { ctx: ServiceContext; input: ReleaseNumberInput }) {
  requireRole(ctx.actor, "admin");
  return withTransaction(ctx, async (tx) => {
    const l = await lockRollout(tx.db, input.number);
    const n = l.release.number;
    const state = stateOf(l.rollout, l.clusters, l.supersededBy !== null);
    if (state === "paused") throw new Conflict(`Release ${n}'s rollout is already paused (by ${l.rollout.pausedByLabel}).`);
    if (state === "rolled-out") throw new Conflict(`Release ${n} is rolled out to every cluster: there is nothing left to pause.`);
    refuseSuperseded(l, "be paused");
    const now = new Date();
    await tx.db
      .update(releaseRollouts)
      .set({ pausedAt: now, pausedByLabel: ctx.actor.label, updatedAt: now })
      .where(eq(releaseRollouts.releaseId, l.release.id));
    await recordAudit(tx, { action: "rollout.paused", ...auditTarget(l.release), after: { wave: l.rollout.currentWave } });
    return { number: n, state: "paused" as const };
  });
}

export async function resumeRollout({ ctx, input }: { ctx: ServiceContext; input: ReleaseNumberInput }) {
  requireRole(ctx.actor, "admin");
  return withTransaction(ctx, async (tx) => {
    const l = await lockRollout(tx.db, input.number);
    const n = l.release.number;
    if (!l.rollout.pausedAt) throw new Conflict(`Release ${n}'s rollout is not paused.`);
    refuseSuperseded(l, "be resumed");
    await tx.db
      .update(releaseRollouts)
      .set({ pausedAt: null, pausedByLabel: null, updatedAt: new Date() })
      .where(eq(releaseRollouts.releaseId, l.release.id));
    await recordAudit(tx, {
      action: "rollout.resumed",
      ...auditTarget(l.release),
      before: { pausedAt: l.rollout.pausedAt, pausedBy: l.rollout.pausedByLabel },
      after: { wave: l.rollout.currentWave },
    });
    return { number: n, state: l.rollout.currentWave === 0 ? ("not-started" as const) : ("rolling-out" as const) };
  });
}

/**
 * A cluster reports applied or failed for a release it was rendered for. When every cluster has
 * applied, the release's change request moves to rolled-out in the same transaction.
 */
export async function reportClusterStatus({ ctx, input }: { ctx: ServiceContext; input: ClusterStatusInput }) {
  requireRole(ctx.actor, "admin");
  return withTransaction(ctx, async (tx) => {
    const l = await lockRollout(tx.db, input.number);
    const n = l.release.number;
    const row = l.clusters.find((c) => c.clusterName === input.cluster);
    if (!row) throw new NotFound(`Release ${n} does not go to a cluster named "${input.cluster}".`);
    requireClusterScope(ctx.actor, "observed-state", { id: row.clusterId, name: row.clusterName });
    refuseSuperseded(l, `take a status from ${input.cluster}`);
    if (row.status === "pending")
      throw new Conflict(
        `Cluster ${input.cluster} cannot report on release ${n} yet: it is in wave ${row.wave}, which has not started (wave ${l.rollout.currentWave} of ${l.rollout.waves} is the last started).`,
      );
    const message = input.message?.trim() || null;
    if (input.status === "failed" && !message) throw new Conflict(`Say why ${input.cluster} failed: send a message with status "failed".`);
    const now = new Date();
    await tx.db
      .update(releaseClusterRollouts)
      .set({ status: input.status, message, failedBy: input.status === "failed" ? "cluster" : null, updatedAt: now })
      .where(eq(releaseClusterRollouts.id, row.id));
    await recordAudit(tx, {
      action: input.status === "applied" ? "rollout.cluster_applied" : "rollout.cluster_failed",
      ...auditTarget(l.release),
      before: { cluster: row.clusterName, status: row.status, message: row.message },
      after: { cluster: row.clusterName, status: input.status, message, renderedHash: row.renderedHash },
    });
    const everywhere = l.clusters.every((c) => (c.id === row.id ? input.status : c.status) === "applied");
    // The release's author and releaser hear of a failure, and of the last cluster applying.
    if (input.status === "failed") await notify(tx, { type: "release.failed", release: n, cluster: row.clusterName, reason: message! });
    else if (everywhere) await notify(tx, { type: "release.rolled-out", release: n });
    let changeState: string | null = null;
    if (everywhere && l.release.changeRequestId) {
      const [cr] = await tx.db.select().from(changeRequests).where(eq(changeRequests.id, l.release.changeRequestId)).for("update");
      if (cr && cr.state === "released") {
        const next = requireTransition(cr.number, cr.state, "roll-out");
        await moveChange(tx, cr, "roll-out", next, { release: n, clusters: l.clusters.length });
        changeState = next;
      } else changeState = cr?.state ?? null;
    }
    return { number: n, cluster: row.clusterName, status: input.status, rolledOut: everywhere, changeState };
  });
}

/** A release's rollout for the release page: its state, the waves and each cluster's status. */
export async function getRollout({ ctx, input }: { ctx: ServiceContext; input: ReleaseNumberInput }) {
  const [release] = await ctx.db.select().from(releases).where(eq(releases.number, input.number));
  if (!release) throw new NotFound(`No release ${input.number}.`);
  const [rollout] = await ctx.db.select().from(releaseRollouts).where(eq(releaseRollouts.releaseId, release.id));
  if (!rollout) return null;
  const rows = await ctx.db
    .select()
    .from(releaseClusterRollouts)
    .where(eq(releaseClusterRollouts.releaseId, release.id))
    .orderBy(asc(releaseClusterRollouts.wave), asc(releaseClusterRollouts.clusterName));
  const [newer] = await ctx.db.select({ number: releases.number }).from(releases).where(gt(releases.number, input.number)).limit(1);
  const state = stateOf(rollout, rows, newer !== undefined);
  const canAdmin = hasRole(ctx.actor, "admin");
  const current = rows.filter((c) => c.wave === rollout.currentWave);
  return {
    state,
    currentWave: rollout.currentWave,
    waves: Array.from({ length: rollout.waves }, (_, i) => ({
      wave: i + 1,
      canary: i === 0 && rollout.waves > 1,
      started: i + 1 <= rollout.currentWave,
      clusters: rows
        .filter((c) => c.wave === i + 1)
        .map((c) => ({
          cluster: c.clusterName,
          status: c.status,
          message: c.message,
          renderedObjects: c.renderedObjects,
          renderedHash: c.renderedHash,
          updatedAt: c.updatedAt,
        })),
    })),
    pausedBy: rollout.pausedByLabel,
    pausedAt: rollout.pausedAt,
    /** What the signed-in person may do now (the server checks again). */
    actions: {
      nextWave:
        canAdmin &&
        (state === "not-started" || state === "rolling-out") &&
        rollout.currentWave < rollout.waves &&
        current.every((c) => c.status === "applied"),
      pause: canAdmin && (state === "not-started" || state === "rolling-out"),
      resume: canAdmin && state === "paused",
    },
  };
}
