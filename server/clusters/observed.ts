import "server-only";
// A cluster's observed state, uploaded by hand in the console or pushed by its
// agent (REST): every good object is kept, each bad one reported with its place
// in the list. The drift against the cluster's desired state (its release,
// compiled for it by the engine) is computed with each upload and kept with
// when each drift was first seen, so the page shows its age.
import { and, desc, eq, inArray, or } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import {
  clusterDriftPoints,
  clusterDrifts,
  clusterObserved,
  clusterProfiles,
  clusters,
  releaseClusterRollouts,
  releases,
} from "@/db/schema";
import type { ObservedObject } from "@/db/schema/clusters";
import { recordAudit } from "@/server/audit/record";
import { requireRole } from "@/server/auth/authorize";
import { withTransaction, type ServiceContext } from "@/server/context";
import { serverNow } from "@/server/clock";
import { runEngine } from "@/server/engine-pool/pool";
import { stagedDocuments } from "@/server/releases/staged";
import { withApprovedExceptions } from "@/server/exceptions/in-force";
import { Conflict, InvalidInput, NotFound } from "@/server/errors";
import { platformDefaultOfRelease } from "@/server/platform-default/get";
import type { clusterDrift as clusterDriftTask } from "@/server/clusters/engine";
import type { ReleaseRenderInput } from "@/server/releases/render";
import { releaseDocuments, releaseTargets } from "@/server/releases/rollout";
import { requireClusterScope } from "@/server/tokens/scopes";
import { desiredKey, memoisedDesired } from "./desired-memo";
import type { UploadObservedInput } from "./schemas";

/** Rejected objects named in an answer (the rest are counted). */
const REJECTED_SHOWN = 100;

export async function findCluster(db: Queryable, name: string) {
  const [row] = await db.select().from(clusters).where(eq(clusters.name, name));
  if (!row) throw new NotFound(`No cluster named "${name}".`);
  const [profile] = await db.select().from(clusterProfiles).where(eq(clusterProfiles.clusterId, row.id));
  return { ...row, profile: profile ?? null };
}

/**
 * The release whose compiled objects the cluster should run: the newest one rendered for it (or
 * applied) by a rollout, including one whose GitOps push failed (it is still what the cluster
 * should run, and what the next export pushes again); a cluster no rollout has rendered for yet
 * is compared with the newest release.
 */
export async function desiredReleaseOf(db: Queryable, clusterId: string): Promise<{ id: string; number: number } | null> {
  const [rendered] = await db
    .select({ id: releases.id, number: releases.number })
    .from(releaseClusterRollouts)
    .innerJoin(releases, eq(releases.id, releaseClusterRollouts.releaseId))
    .where(
      and(
        eq(releaseClusterRollouts.clusterId, clusterId),
        or(inArray(releaseClusterRollouts.status, ["rendered", "applied"]), eq(releaseClusterRollouts.failedBy, "gitops-push")),
      ),
    )
    .orderBy(desc(releases.number))
    .limit(1);
  if (rendered) return rendered;
  const [newest] = await db.select({ id: releases.id, number: releases.number }).from(releases).orderBy(desc(releases.number)).limit(1);
  return newest ?? null;
}

/**
 * What the engine needs to render the cluster's desired state (null: no release exists, nothing is
 * desired): its release and the approved exceptions, judged at `at` (the server's clock), so an
 * exception's objects are desired from its start to its expiry (or revocation) only.
 */
export async function renderInputFor(
  db: Queryable,
  cluster: { id: string; name: string },
  at: Date = serverNow(),
): Promise<ReleaseRenderInput | null> {
  const release = await desiredReleaseOf(db, cluster.id);
  if (!release) return null;
  const [documents, targets, setting, staged] = await Promise.all([
    releaseDocuments(db, release.id).then((docs) => withApprovedExceptions(db, docs)),
    releaseTargets(db, [cluster.name]),
    platformDefaultOfRelease(db, release.number),
    // Staged versions render as audit-only objects (Calico's staged policies): desired, compared and applied like the rest.
    stagedDocuments(db, release.id),
  ]);
  return {
    documents,
    staged,
    clusters: targets.filter((t) => t.name === cluster.name),
    platformDefault: { enabled: setting.enabled, excludeNamespaces: setting.excludeNamespaces },
    release: String(release.number),
    time: at.toISOString(),
  };
}

type DriftRows = Awaited<ReturnType<typeof clusterDriftTask>>["drifts"];

/**
 * Replaces the cluster's drifts; one seen before (same object, same kind of drift) keeps its
 * first-seen time. Each recompute also leaves a point of the drift trend (the counts at `now`).
 */
export async function storeDrift(db: Queryable, clusterId: string, drifts: DriftRows, now: Date) {
  const previous = await db
    .select({ objectKey: clusterDrifts.objectKey, type: clusterDrifts.type, firstSeenAt: clusterDrifts.firstSeenAt })
    .from(clusterDrifts)
    .where(eq(clusterDrifts.clusterId, clusterId));
  const since = new Map(previous.map((p) => [`${p.type} ${p.objectKey}`, p.firstSeenAt]));
  await db.delete(clusterDrifts).where(eq(clusterDrifts.clusterId, clusterId));
  if (drifts.length > 0)
    await db
      .insert(clusterDrifts)
      .values(drifts.map((d) => ({ clusterId, ...d, firstSeenAt: since.get(`${d.type} ${d.objectKey}`) ?? now, lastSeenAt: now })));
  const counts = { missing: 0, unmanaged: 0, modified: 0 };
  for (const d of drifts) counts[d.type]++;
  await db.insert(clusterDriftPoints).values({ clusterId, at: now, ...counts });
  return counts;
}

/**
 * Stores a cluster's observed state (replacing the last), its last contact, and the drift. People
 * need the admin role; a machine token also the "observed-state" scope and, if bound, this cluster.
 */
export async function uploadObserved({
  ctx,
  input,
  source,
}: {
  ctx: ServiceContext;
  input: UploadObservedInput;
  source: "upload" | "agent";
}) {
  requireRole(ctx.actor, "admin");
  const cluster = await findCluster(ctx.db, input.name);
  requireClusterScope(ctx.actor, "observed-state", cluster);
  if (cluster.profile?.retiredAt) throw new Conflict(`Cluster ${cluster.name} is retired; it takes no observed state.`);
  const parsed = await runEngine("parseObserved", { text: input.yaml });
  if (parsed.objects.length === 0) {
    const first = parsed.rejected[0];
    throw new InvalidInput(
      first
        ? `No object could be kept: ${first.index !== null ? `object ${first.index} (line ${first.line})` : `line ${first.line}`}: ${first.message}` +
            (parsed.rejected.length > 1 ? ` (and ${parsed.rejected.length - 1} more problems)` : "")
        : "The upload holds no Kubernetes objects.",
      "yaml",
      first ? { line: first.line, column: 1 } : undefined,
    );
  }
  const render = await renderInputFor(ctx.db, cluster);
  const result = await runEngine("clusterDrift", { render, observed: parsed.objects });
  if (result.errors.length > 0)
    throw new Conflict(
      `Release ${render?.release} does not compile for ${cluster.name}, so drift cannot be computed: ${result.errors.join("; ")}`,
    );
  return withTransaction(ctx, async (tx) => {
    // One upload per cluster at a time: the row lock orders them.
    await tx.db.select({ id: clusters.id }).from(clusters).where(eq(clusters.id, cluster.id)).for("update");
    const now = new Date();
    const observedRow = {
      objects: parsed.objects,
      rejected: parsed.rejected,
      source,
      desiredRelease: render ? Number(render.release) : null,
      uploadedByLabel: ctx.actor.label,
      uploadedAt: now,
    };
    await tx.db
      .insert(clusterObserved)
      .values({ clusterId: cluster.id, ...observedRow })
      .onConflictDoUpdate({ target: clusterObserved.clusterId, set: observedRow });
    await tx.db
      .insert(clusterProfiles)
      .values({ clusterId: cluster.id, lastContactAt: now })
      .onConflictDoUpdate({ target: clusterProfiles.clusterId, set: { lastContactAt: now } });
    const counts = await storeDrift(tx.db, cluster.id, result.drifts, now);
    await recordAudit(tx, {
      action: "cluster.observed_state",
      targetType: "cluster",
      targetId: cluster.id,
      targetLabel: `cluster ${cluster.name}`,
      after: {
        source,
        objects: parsed.objects.length,
        rejected: parsed.rejected.length,
        release: observedRow.desiredRelease,
        drift: counts,
      },
    });
    return {
      cluster: cluster.name,
      kept: parsed.objects.length,
      rejected: parsed.rejected.slice(0, REJECTED_SHOWN),
      rejectedCount: parsed.rejected.length,
      release: observedRow.desiredRelease,
      drift: counts,
    };
  });
}

/**
 * The desired objects of a cluster (remediation: apply these; the agent's --apply polls them),
 * memoised by what they are rendered from (desired-memo.ts): an unchanged state costs a few small
 * queries, not a compile.
 */
export async function desiredManifests({ ctx, input }: { ctx: ServiceContext; input: { name: string } }) {
  requireRole(ctx.actor, "admin");
  const cluster = await findCluster(ctx.db, input.name);
  requireClusterScope(ctx.actor, "manifests", cluster);
  const at = serverNow();
  const release = await desiredReleaseOf(ctx.db, cluster.id);
  const key = await desiredKey(ctx.db, cluster, release, at);
  const { value } = await memoisedDesired(cluster.id, key, async () => {
    const render = await renderInputFor(ctx.db, cluster, at);
    const { desired, errors } = await runEngine("desiredObjects", render);
    if (errors.length > 0) throw new Conflict(`Release ${render?.release} does not compile for ${cluster.name}: ${errors.join("; ")}`);
    return { release: render ? Number(render.release) : null, objects: desired as ObservedObject[] };
  });
  return value;
}
