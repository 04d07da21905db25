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
import { and, asc, eq, inArray, isNull, lt, lte, or } from "drizzle-orm";
import type { Database, Queryable } from "@/db/client";
import { auditEvents, clusterObserved, clusterProfiles, clusters, exceptionRerenders, exceptions, type ExceptionRow } from "@/db/schema";
import { recordAudit } from "@/server/audit/record";
import { exportGitOps } from "@/server/clusters/gitops";
import { renderInputFor, storeDrift } from "@/server/clusters/observed";
import { systemActor, withTransaction, type ServiceContext } from "@/server/context";
import { runEngine } from "@/server/engine-pool/pool";
import { env } from "@/server/env";
import { alertAudience } from "@/server/alerts/evaluate";
import { notifyPeople, exceptionAuditTarget } from "./access";
import { documentOfRow, exceptionObjectsIn, storedException } from "./in-force";

export type ExceptionEvent = "started" | "expired" | "revoked";

export interface RerenderOptions {
  /** The GitOps repository to commit to (default POLICYPLANE_GITOPS_DIR; none: no commit). */
  gitopsDir?: string;
}

/** The pending re-render a run works off: marked done in the transaction that writes its audit events. */
type PendingRerender = typeof exceptionRerenders.$inferSelect;

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
 * the transaction that recorded the event (and its pending re-render); a failing GitOps export is
 * recorded, never thrown (the event stands, and the desired state is computed from the database at
 * every read anyway). Anything else that throws leaves the pending re-render for a retry; null when
 * another run had finished it first (then this one wrote nothing).
 */
async function rerenderForException(
  db: Database,
  e: ExceptionRow,
  event: ExceptionEvent,
  at: Date,
  options: RerenderOptions,
  pending: PendingRerender,
): Promise<RerenderResult | null> {
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
      const exported = await exportGitOps({ ctx, dir, reason });
      gitopsCommit = exported.commit;
      // Committed locally but not delivered to the remote: the failure is this rerender's to report.
      if (exported.push && !exported.push.pushed) gitopsError = exported.push.error;
    } catch (error) {
      gitopsError = error instanceof Error ? error.message : String(error);
    }
  }

  const recorded = await withTransaction(ctx, async (tx) => {
    // Done exactly once: a replica that finished it first leaves nothing to mark, and then this one writes no audit.
    const done = await tx.db
      .update(exceptionRerenders)
      .set({ doneAt: new Date(), claimedUntil: null, lastError: null })
      .where(and(eq(exceptionRerenders.id, pending.id), isNull(exceptionRerenders.doneAt)))
      .returning({ id: exceptionRerenders.id });
    if (done.length === 0) return false;
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
      ...exceptionAuditTarget(e),
      after: {
        event,
        at: at.toISOString(),
        renderedAt: renderedAt.toISOString(),
        clusters: reached.map((c) => c.name),
        gitopsCommit,
        gitopsError,
        ...(pending.attempts > 1 ? { attempt: pending.attempts } : {}),
      },
    });
    return true;
  });
  if (!recorded) return null;
  return { exception: e.number, event, clusters: reached.map((c) => c.name), gitopsCommit, gitopsError };
}

/**
 * Owes the clusters a re-render for the exception's event: call inside the transaction that records
 * the event, so the debt is as durable as the event. One per exception and event (idempotent).
 */
export async function recordPendingRerender(db: Queryable, exceptionId: string, event: ExceptionEvent, at: Date): Promise<void> {
  await db.insert(exceptionRerenders).values({ exceptionId, event, at, nextAttemptAt: at }).onConflictDoNothing();
}

/** A claim lasts this long: a replica that stopped mid-render loses it, and another one retries. */
const CLAIM_MS = 5 * 60_000;
const RETRY_FIRST_MS = 15_000;
const RETRY_MAX_MS = 15 * 60_000;

/**
 * The attempt whose failure raises the alert: by then (15 s + 30 s of back-off after the first) the
 * clusters have kept enforcing a changed exception for about a minute, past what the agent promises.
 */
export const RERENDER_ALERT_ATTEMPTS = 3;

export const RERENDER_FAILING_ACTION = "exception.rerender_failing";

/** Waits after the n-th failed attempt: 15 s, 30 s, 1 min, … up to 15 min. */
export function retryDelayMs(attempts: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** Math.max(0, attempts - 1));
}

export interface RerenderFailure {
  exception: number;
  event: ExceptionEvent;
  attempts: number;
  error: string;
  nextAttemptAt: string;
}

export interface PendingRerenderRun {
  rerendered: RerenderResult[];
  failed: RerenderFailure[];
}

/**
 * Works off the re-renders that are due (all of them, or only `only`), at `now` (the server's
 * clock). Each is claimed with a conditional update, so two replicas never render the same one at
 * once; one that throws is kept with its error and retried after a back-off. Never throws for a
 * failing re-render.
 */
export async function runPendingRerenders(
  db: Database,
  now: Date,
  options: RerenderOptions = {},
  only?: { exceptionId: string; event: ExceptionEvent },
): Promise<PendingRerenderRun> {
  const due = await db
    .select({ pending: exceptionRerenders, exception: exceptions })
    .from(exceptionRerenders)
    .innerJoin(exceptions, eq(exceptions.id, exceptionRerenders.exceptionId))
    .where(
      and(
        isNull(exceptionRerenders.doneAt),
        ...(only
          ? [eq(exceptionRerenders.exceptionId, only.exceptionId), eq(exceptionRerenders.event, only.event)]
          : [lte(exceptionRerenders.nextAttemptAt, now)]),
      ),
    )
    .orderBy(asc(exceptionRerenders.createdAt), asc(exceptions.number));
  const out: PendingRerenderRun = { rerendered: [], failed: [] };
  for (const { pending, exception } of due) {
    const [claimed] = await db
      .update(exceptionRerenders)
      .set({ claimedUntil: new Date(now.getTime() + CLAIM_MS), attempts: pending.attempts + 1 })
      .where(
        and(
          eq(exceptionRerenders.id, pending.id),
          eq(exceptionRerenders.attempts, pending.attempts),
          isNull(exceptionRerenders.doneAt),
          or(isNull(exceptionRerenders.claimedUntil), lt(exceptionRerenders.claimedUntil, now)),
        ),
      )
      .returning();
    if (!claimed) continue; // another replica has it, or finished it
    try {
      const result = await rerenderForException(db, exception, claimed.event, claimed.at, options, claimed);
      if (result) out.rerendered.push(result);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const nextAttemptAt = new Date(now.getTime() + retryDelayMs(claimed.attempts));
      const ctx: ServiceContext = { db, actor: systemActor("exception re-render"), requestId: `rerender-${randomUUID()}` };
      await withTransaction(ctx, async (tx) => {
        await tx.db
          .update(exceptionRerenders)
          .set({ lastError: message.slice(0, 2000), claimedUntil: null, nextAttemptAt })
          .where(and(eq(exceptionRerenders.id, claimed.id), isNull(exceptionRerenders.doneAt)));
        // Once per re-render (the claim counted this attempt, so one replica alone sees this number).
        if (claimed.attempts === RERENDER_ALERT_ATTEMPTS) await alertRerenderFailing(tx, exception, claimed, message, nextAttemptAt);
      });
      console.error(
        `[exceptions] re-render of E-${exception.number} (${claimed.event}) failed, attempt ${claimed.attempts}; retried from ${nextAttemptAt.toISOString()}`,
        error,
      );
      out.failed.push({
        exception: exception.number,
        event: claimed.event,
        attempts: claimed.attempts,
        error: message,
        nextAttemptAt: nextAttemptAt.toISOString(),
      });
    }
  }
  return out;
}

/**
 * A re-render that keeps failing leaves the clusters enforcing what the exception no longer allows
 * (or lacking what it now does): the admins, security approvers and the requester are told, in the
 * console and through the outgoing webhook, and the trail records it.
 */
async function alertRerenderFailing(tx: ServiceContext, e: ExceptionRow, pending: PendingRerender, error: string, nextAttemptAt: Date) {
  const title = `Exception E-${e.number} “${e.title}” ${pending.event}, but its re-render has failed ${pending.attempts} times: clusters may still enforce the old state (${error.slice(0, 200)})`;
  await recordAudit(tx, {
    action: RERENDER_FAILING_ACTION,
    ...exceptionAuditTarget(e),
    after: {
      event: pending.event,
      at: pending.at.toISOString(),
      attempts: pending.attempts,
      error,
      nextAttemptAt: nextAttemptAt.toISOString(),
    },
  });
  await notifyPeople(tx, "exception-rerender-failing", title, e.number, [...(await alertAudience(tx.db)), e.requesterId]);
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
