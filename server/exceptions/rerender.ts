import "server-only";
// Kubernetes does not expire objects (issue 10 item 4, issue 14 item 5): when
// an exception starts, expires or is revoked, the clusters' desired state
// (their release and the approved exceptions in force, compiled for each:
// server/clusters/observed.ts) changes. This records the change for every
// cluster the exception reaches, compares each one's last observed state with
// its new desired state (the drift view), re-runs the GitOps export when a
// repository is configured (one commit naming the exception) and audits it.
// Until a cluster reports an observed state without the exception's objects,
// the exception is "still enforced" there (stillEnforcedIn below).
import { randomUUID } from "node:crypto";
import { and, eq, inArray, isNull } from "drizzle-orm";
import type { Database, Queryable } from "@/db/client";
import { auditEvents, clusterObserved, clusterProfiles, clusters, type ExceptionRow } from "@/db/schema";
import { recordAudit } from "@/server/audit/record";
import { exportGitOps } from "@/server/clusters/gitops";
import { renderInputFor, storeDrift } from "@/server/clusters/observed";
import { systemActor, withTransaction, type ServiceContext } from "@/server/context";
import { runEngine } from "@/server/engine-pool/pool";
import { env } from "@/server/env";
import { documentOfRow, exceptionObjectsIn, storedException } from "./in-force";

export type ExceptionEvent = "started" | "expired" | "revoked";

export interface RerenderOptions {
  /** The GitOps repository to commit to (default POLICYPLANE_GITOPS_DIR; none: no commit). */
  gitopsDir?: string;
}

export interface RerenderResult {
  exception: number;
  event: ExceptionEvent;
  /** The clusters the exception reaches, whose desired state changed. */
  clusters: string[];
  gitopsCommit: string | null;
  gitopsError: string | null;
}

const WHAT: Record<ExceptionEvent, string> = {
  started: "started: re-rendered with it",
  expired: "expired: re-rendered without it",
  revoked: "was revoked: re-rendered without it",
};

export const RERENDER_ACTION = "exception.rerendered";

/** The clusters (not retired) the exception's compiled objects go to while it is in force. */
async function clustersReached(db: Queryable, e: ExceptionRow) {
  const active = await db
    .select({ id: clusters.id, name: clusters.name })
    .from(clusters)
    .leftJoin(clusterProfiles, eq(clusterProfiles.clusterId, clusters.id))
    .where(isNull(clusterProfiles.retiredAt))
    .orderBy(clusters.name);
  const stored = storedException({ number: e.number, contentHash: e.contentHash, document: documentOfRow(e), version: `E-${e.number}` });
  const reached: { id: string; name: string; objects: string[] }[] = [];
  for (const c of active) {
    const render = await renderInputFor(db, c, e.startsAt);
    if (!render) continue;
    // The exception alone, at its start: its own objects for this cluster (none when its flow is elsewhere).
    const { desired } = await runEngine("desiredObjects", { ...render, documents: [stored] });
    const objects = exceptionObjectsIn(desired, e.number).map((o) => o.metadata.name);
    if (objects.length > 0) reached.push({ ...c, objects });
  }
  return reached;
}

/**
 * Re-renders after an exception's start, expiry or revocation (at `at`, the server's clock). Runs after
 * the transaction that recorded the event; a failing GitOps export is recorded, never thrown (the
 * event stands, and the desired state is computed from the database at every read anyway).
 */
export async function rerenderForException(
  db: Database,
  e: ExceptionRow,
  event: ExceptionEvent,
  at: Date,
  options: RerenderOptions = {},
): Promise<RerenderResult> {
  const ctx: ServiceContext = { db, actor: systemActor("exception re-render"), requestId: `rerender-${randomUUID()}` };
  // Wall-clock, as observed states' upload times are: a cluster reporting after this has seen the new desired state.
  const renderedAt = new Date();
  const reached = await clustersReached(db, e);
  const reason = `Exception E-${e.number} “${e.title}” ${WHAT[event]}`;

  // Each cluster's last observed state compared with its new desired state.
  const drifts: { cluster: (typeof reached)[number]; drifts: Awaited<ReturnType<typeof storeDrift>> | null; release: number | null }[] = [];
  for (const c of reached) {
    const render = await renderInputFor(db, c, at);
    const [observed] = await db.select().from(clusterObserved).where(eq(clusterObserved.clusterId, c.id));
    if (!observed) {
      drifts.push({ cluster: c, drifts: null, release: render ? Number(render.release) : null });
      continue;
    }
    const result = await runEngine("clusterDrift", { render, observed: observed.objects });
    if (result.errors.length > 0) {
      drifts.push({ cluster: c, drifts: null, release: render ? Number(render.release) : null });
      continue;
    }
    const counts = await withTransaction(ctx, (tx) => storeDrift(tx.db, c.id, result.drifts, new Date()));
    drifts.push({ cluster: c, drifts: counts, release: render ? Number(render.release) : null });
  }

  const dir = options.gitopsDir ?? env().POLICYPLANE_GITOPS_DIR;
  let gitopsCommit: string | null = null;
  let gitopsError: string | null = null;
  if (dir && reached.length > 0) {
    try {
      gitopsCommit = (await exportGitOps({ ctx, dir, reason })).commit;
    } catch (error) {
      gitopsError = error instanceof Error ? error.message : String(error);
    }
  }

  await withTransaction(ctx, async (tx) => {
    for (const d of drifts)
      await recordAudit(tx, {
        action: "cluster.desired_state_changed",
        targetType: "cluster",
        targetId: d.cluster.id,
        targetLabel: `cluster ${d.cluster.name}`,
        tenantId: e.tenantId,
        after: {
          exception: `E-${e.number}`,
          event,
          at: at.toISOString(),
          release: d.release,
          exceptionObjects: d.cluster.objects,
          drift: d.drifts ?? "no observed state to compare",
        },
      });
    await recordAudit(tx, {
      action: RERENDER_ACTION,
      targetType: "exception",
      targetId: e.id,
      targetLabel: `E-${e.number} ${e.title}`,
      tenantId: e.tenantId,
      after: {
        event,
        at: at.toISOString(),
        renderedAt: renderedAt.toISOString(),
        clusters: reached.map((c) => c.name),
        gitopsCommit,
        gitopsError,
      },
    });
  });
  return { exception: e.number, event, clusters: reached.map((c) => c.name), gitopsCommit, gitopsError };
}

/**
 * For each ended (expired or revoked) exception: the clusters that may still enforce it, i.e. those its
 * re-render reached whose last observed state still has its objects, or that have not reported since
 * the re-render.
 */
export async function stillEnforcedIn(db: Queryable, ended: readonly ExceptionRow[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (ended.length === 0) return out;
  const events = await db
    .select({ targetId: auditEvents.targetId, after: auditEvents.after, seq: auditEvents.seq })
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.action, RERENDER_ACTION),
        inArray(
          auditEvents.targetId,
          ended.map((e) => e.id),
        ),
      ),
    );
  type After = { event?: ExceptionEvent; renderedAt?: string; clusters?: string[] };
  const lastEnd = new Map<string, After>();
  for (const ev of events.sort((a, b) => a.seq - b.seq)) {
    const after = ev.after as After | null;
    if (after && (after.event === "expired" || after.event === "revoked") && Array.isArray(after.clusters) && ev.targetId)
      lastEnd.set(ev.targetId, after);
  }
  const names = [...new Set([...lastEnd.values()].flatMap((a) => a.clusters ?? []))];
  if (names.length === 0) return out;
  const observed = await db
    .select({ name: clusters.name, objects: clusterObserved.objects, uploadedAt: clusterObserved.uploadedAt })
    .from(clusters)
    .leftJoin(clusterObserved, eq(clusterObserved.clusterId, clusters.id))
    .where(inArray(clusters.name, names));
  const byName = new Map(observed.map((o) => [o.name, o]));
  for (const e of ended) {
    const end = lastEnd.get(e.id);
    if (!end) continue;
    const since = Date.parse(end.renderedAt ?? "");
    const still = (end.clusters ?? []).filter((name) => {
      const o = byName.get(name);
      if (!o) return false; // the cluster is gone
      if (!o.uploadedAt || !o.objects || o.uploadedAt.getTime() < since) return true;
      return exceptionObjectsIn(o.objects, e.number).length > 0;
    });
    if (still.length > 0) out.set(e.id, still);
  }
  return out;
}
