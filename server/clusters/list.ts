import "server-only";
// The Clusters page: each cluster with its capabilities, release and rollout,
// last contact and drift; and one cluster's drift list with each diff.
import { and, asc, count, desc, eq, gte, min } from "drizzle-orm";
import { clusterDriftPoints, clusterDrifts, clusterObserved, clusterProfiles, releaseClusterRollouts, releases } from "@/db/schema";
import { requireRole } from "@/server/auth/authorize";
import type { ServiceContext } from "@/server/context";
import { listClusters } from "@/server/org/list";
import { TARGET_LABEL, targetOf } from "@/server/releases/waves";
import { findCluster } from "./observed";
import type { ClusterNameInput } from "./schemas";

export async function listClusterOverview({ ctx }: { ctx: ServiceContext }) {
  const [base, profiles, observed, drifts, rollouts] = await Promise.all([
    listClusters({ ctx }),
    ctx.db.select().from(clusterProfiles),
    ctx.db
      .select({
        clusterId: clusterObserved.clusterId,
        uploadedAt: clusterObserved.uploadedAt,
        desiredRelease: clusterObserved.desiredRelease,
      })
      .from(clusterObserved),
    ctx.db
      .select({ clusterId: clusterDrifts.clusterId, type: clusterDrifts.type, n: count(), oldest: min(clusterDrifts.firstSeenAt) })
      .from(clusterDrifts)
      .groupBy(clusterDrifts.clusterId, clusterDrifts.type),
    ctx.db
      .select({
        clusterId: releaseClusterRollouts.clusterId,
        number: releases.number,
        status: releaseClusterRollouts.status,
        wave: releaseClusterRollouts.wave,
        message: releaseClusterRollouts.message,
      })
      .from(releaseClusterRollouts)
      .innerJoin(releases, eq(releases.id, releaseClusterRollouts.releaseId))
      .orderBy(desc(releases.number)),
  ]);
  return base.map((c) => {
    const profile = profiles.find((p) => p.clusterId === c.id);
    const own = rollouts.filter((r) => r.clusterId === c.id);
    const current = own.find((r) => r.status === "applied" || r.status === "rendered") ?? null;
    const latest = own[0] ?? null;
    const drift = drifts.filter((d) => d.clusterId === c.id);
    const oldest = drift.reduce<Date | null>((o, d) => (d.oldest && (!o || d.oldest < o) ? d.oldest : o), null);
    const { [TARGET_LABEL]: _target, ...labels } = c.labels;
    const seen = observed.find((o) => o.clusterId === c.id);
    return {
      ...c,
      labels,
      policyApi: targetOf(c.labels),
      cni: profile?.cni ?? null,
      istio: profile?.istio ?? false,
      adminPolicyApi: profile?.adminPolicyApi ?? null,
      capabilitiesReportedAt: profile?.capabilitiesReportedAt ?? null,
      retiredAt: profile?.retiredAt ?? null,
      lastContactAt: profile?.lastContactAt ?? null,
      /** The newest release rendered or applied here. */
      currentRelease: current ? { number: current.number, status: current.status } : null,
      /** The newest release's rollout to this cluster, when it is not the current one. */
      latestRollout:
        latest && latest !== current ? { number: latest.number, status: latest.status, wave: latest.wave, message: latest.message } : null,
      observedAt: seen?.uploadedAt ?? null,
      driftRelease: seen?.desiredRelease ?? null,
      drift: {
        total: drift.reduce((n, d) => n + d.n, 0),
        missing: drift.find((d) => d.type === "missing")?.n ?? 0,
        unmanaged: drift.find((d) => d.type === "unmanaged")?.n ?? 0,
        modified: drift.find((d) => d.type === "modified")?.n ?? 0,
        oldest,
      },
    };
  });
}

/** One cluster's drift, each with its field diff and both objects (organisation-wide roles only: objects span tenants). */
export async function getClusterDrift({ ctx, input }: { ctx: ServiceContext; input: ClusterNameInput }) {
  requireRole(ctx.actor, "viewer");
  const cluster = await findCluster(ctx.db, input.name);
  const [observed] = await ctx.db
    .select({
      uploadedAt: clusterObserved.uploadedAt,
      uploadedBy: clusterObserved.uploadedByLabel,
      source: clusterObserved.source,
      objects: clusterObserved.objects,
      rejected: clusterObserved.rejected,
      desiredRelease: clusterObserved.desiredRelease,
    })
    .from(clusterObserved)
    .where(eq(clusterObserved.clusterId, cluster.id));
  const drifts = await ctx.db
    .select()
    .from(clusterDrifts)
    .where(eq(clusterDrifts.clusterId, cluster.id))
    .orderBy(asc(clusterDrifts.firstSeenAt), asc(clusterDrifts.objectKey));
  return {
    name: cluster.name,
    retiredAt: cluster.profile?.retiredAt ?? null,
    observed: observed
      ? {
          uploadedAt: observed.uploadedAt,
          uploadedBy: observed.uploadedBy,
          source: observed.source,
          objects: observed.objects.length,
          rejected: observed.rejected,
          release: observed.desiredRelease,
        }
      : null,
    drifts: drifts.map((d) => ({
      id: d.id,
      type: d.type,
      kind: d.kind,
      namespace: d.namespace,
      name: d.name,
      diff: d.diff,
      desired: d.desired,
      observed: d.observed,
      effect: d.effect,
      firstSeenAt: d.firstSeenAt,
    })),
  };
}

/** Trend points kept on the chart: the newest ones within the window. */
const TREND_POINTS = 500;

/** The drift counts after each recompute over the last `days` days, oldest first (the cluster page's trend chart). */
export async function getDriftTrend({ ctx, input }: { ctx: ServiceContext; input: ClusterNameInput & { days: number } }) {
  requireRole(ctx.actor, "viewer");
  const cluster = await findCluster(ctx.db, input.name);
  const since = new Date(Date.now() - input.days * 86_400_000);
  const rows = await ctx.db
    .select({
      at: clusterDriftPoints.at,
      missing: clusterDriftPoints.missing,
      unmanaged: clusterDriftPoints.unmanaged,
      modified: clusterDriftPoints.modified,
    })
    .from(clusterDriftPoints)
    .where(and(eq(clusterDriftPoints.clusterId, cluster.id), gte(clusterDriftPoints.at, since)))
    .orderBy(desc(clusterDriftPoints.at))
    .limit(TREND_POINTS);
  return rows.reverse().map((r) => ({ ...r, total: r.missing + r.unmanaged + r.modified }));
}
