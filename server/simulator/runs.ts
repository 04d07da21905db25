import "server-only";
// Replay runs: the release (baseline) and a change request or the pending drafts (proposal) decide
// every record of a dataset, in a worker thread. The page polls progress; a run can be cancelled.
// Results are written when the run ends, in short transactions (the embedded database runs on the
// request thread and one transaction at a time: one long write would hold every page up), each only
// while the run is still running; rows are shown once the run has succeeded, so a cancelled, failed
// or half-written run shows none, and a cancel deletes what was written before it.
import { and, asc, count, desc, eq, ilike, inArray, isNull, ne, or, sql, type SQL } from "drizzle-orm";
import type { Database, Queryable } from "@/db/client";
import { changeRequests, releases, replayRunPaths, replayRuns, type RunTotals } from "@/db/schema";
import { lineBatches } from "@/server/cli/io";
import { recordAudit } from "@/server/audit/record";
import { hasRole, mayReadTenant } from "@/server/auth/authorize";
import { redactPolicyNames, visibilityOf } from "@/server/auth/visibility";
import { withTransaction, type Actor, type ServiceContext } from "@/server/context";
import { Busy, Conflict, Forbidden, NotFound } from "@/server/errors";
import { clusterNames, documentSets } from "@/server/graph/service";
import { loadClusterModels } from "@/server/inventory/cluster-model";
import { platformDefaultInForce } from "@/server/platform-default/get";
import { perProcess } from "@/server/lib/per-process";
import type { RunOverlayPath } from "@/lib/graph/run-overlay";
import type { OverlaySpec } from "@/lib/graph/types";
import { RECORD_LINE_MAX_CHARS } from "@/lib/simulator";
import { datasetFile, defaultDatasetStore, loadDataset, type DatasetStore } from "./datasets";
import type { ChangeRunInput, RunIdInput, RunOverlayInput, RunPathsInput, RunSamplesInput, StartRunInput } from "./schemas";
import { startRun, type WorkerHandle } from "./threads";
// Types only: the work itself (and the CLI reader's worker threads) stays out of the Next.js bundle.
import type { Progress, RunResult } from "./work";

/** Runs at once (each takes a core; one stays with the pages). */
export const MAX_CONCURRENT_RUNS = 2;
const PROGRESS_WRITE_MS = 1000;
/** Path rows per write: each chunk its own transaction, a few tens of milliseconds on the embedded database. */
const INSERT_CHUNK = 100;

interface LiveRun {
  handle: WorkerHandle<RunResult>;
  cancelled: boolean;
  done: Promise<void>;
}
const live = perProcess("ReplayRuns", () => new Map<string, LiveRun>());

/** Resolves when the run's thread has ended and its outcome is stored. */
export async function runFinished(id: string): Promise<void> {
  await live().get(id)?.done;
}

type RunRow = typeof replayRuns.$inferSelect;

function mayCancel(actor: Actor, run: Pick<RunRow, "startedById">): boolean {
  return (actor.type === "user" && run.startedById === actor.id) || hasRole(actor, "admin");
}

async function proposalOf(db: Queryable, changeNumber: number | null) {
  if (changeNumber === null) return { overlay: { kind: "drafts" } as OverlaySpec, label: "the pending drafts", changeRequestId: null };
  const [cr] = await db
    .select({ id: changeRequests.id, title: changeRequests.title })
    .from(changeRequests)
    .where(eq(changeRequests.number, changeNumber));
  if (!cr) throw new NotFound(`No change request #${changeNumber}.`);
  return { overlay: { kind: "cr", id: cr.id } as OverlaySpec, label: `change #${changeNumber}: ${cr.title}`, changeRequestId: cr.id };
}

/** Starts a run in a worker thread and returns at once; poll getRun for its progress. */
export async function startReplayRun({
  ctx,
  input,
  store = defaultDatasetStore(),
}: {
  ctx: ServiceContext;
  input: StartRunInput;
  store?: DatasetStore;
}) {
  if (ctx.actor.grants.length === 0) throw new Forbidden("Starting a replay needs a role in the organisation.");
  const dataset = await loadDataset(ctx.db, input.datasetId);
  if (dataset.state === "scanning") throw new Conflict("The dataset is still being read: try again when it shows its record count.");
  if (dataset.state === "failed") throw new Conflict(`The dataset cannot be replayed: ${dataset.error}`);
  const names = await clusterNames(ctx.db);
  const cluster = input.cluster ?? names[0];
  if (!cluster) throw new NotFound("No cluster is registered yet: a replay resolves records through a cluster's inventory.");
  const proposal = await proposalOf(ctx.db, input.changeNumber);
  // documentSets refuses a change request the actor may not read in full (NotFound), as the graph does.
  if (!names.includes(cluster)) throw new NotFound(`No cluster named ${JSON.stringify(cluster)}.`);
  // Every cluster's inventory: records naming their cluster resolve through it (the chosen one is for the rest).
  const [docs, models, platformDefault, [release]] = await Promise.all([
    documentSets(ctx.db, proposal.overlay, ctx.actor),
    loadClusterModels(ctx.db, names),
    platformDefaultInForce(ctx.db),
    ctx.db.select({ number: releases.number }).from(releases).orderBy(desc(releases.number)).limit(1),
  ]);
  const running = await ctx.db.select({ n: count() }).from(replayRuns).where(eq(replayRuns.state, "running"));
  if ((running[0]?.n ?? 0) >= MAX_CONCURRENT_RUNS)
    throw new Busy(`${MAX_CONCURRENT_RUNS} replays are running already: wait for one to finish (or cancel one).`);

  const run = await withTransaction(ctx, async (tx) => {
    const [created] = await tx.db
      .insert(replayRuns)
      .values({
        datasetId: dataset.id,
        cluster,
        proposalKind: proposal.overlay.kind === "cr" ? "cr" : "drafts",
        changeRequestId: proposal.changeRequestId,
        // Before the first release through the workflow, the policies in force are the seeded/imported ones.
        baselineLabel: release ? `release #${release.number}` : "the policies in force",
        proposalLabel: proposal.label,
        windowFrom: input.from ? new Date(input.from) : null,
        windowTo: input.to ? new Date(input.to) : null,
        startedById: ctx.actor.type === "user" ? ctx.actor.id : null,
        startedByLabel: ctx.actor.label,
      })
      .returning();
    await recordAudit(tx, {
      action: "replay.run.start",
      targetType: "replay_run",
      targetId: created!.id,
      targetLabel: `${dataset.name} vs ${proposal.label}`,
      after: { dataset: dataset.name, cluster, proposal: proposal.label, from: input.from ?? null, to: input.to ?? null },
    });
    return created!;
  });

  const versioned = (d: { document: unknown; version: number }) => ({ document: d.document as never, version: d.version });
  const started = Date.now();
  let lastWrite = 0;
  const onProgress = (p: Progress) => {
    const now = Date.now();
    if (now - lastWrite < PROGRESS_WRITE_MS) return;
    lastWrite = now;
    const elapsed = (now - started) / 1000;
    const eta = p.fraction > 0.02 ? Math.round((elapsed * (1 - p.fraction)) / p.fraction) : null;
    void ctx.db
      .update(replayRuns)
      .set({ phase: p.phase, progress: p.fraction, etaSeconds: eta })
      // A late progress write never takes a run that is storing its results back to deciding.
      .where(and(eq(replayRuns.id, run.id), eq(replayRuns.state, "running"), ne(replayRuns.phase, "storing")))
      .catch((e: unknown) => console.error(`[simulator] progress of run ${run.id}`, e));
  };
  const handle = startRun(
    {
      file: datasetFile(store, dataset.fileName),
      format: dataset.format,
      textChars: dataset.textChars ?? dataset.sizeBytes,
      clusters: models.map((m) => ({ name: m.name, ...(m.region ? { region: m.region } : {}), model: m.model })),
      defaultCluster: cluster,
      release: docs.release.map(versioned),
      proposal: (docs.proposal ?? docs.release).map(versioned),
      platformDefault: { enabled: platformDefault.enabled, excludeNamespaces: [...platformDefault.excludeNamespaces] },
      window: {
        ...(input.from ? { from: Date.parse(input.from) } : {}),
        ...(input.to ? { to: Date.parse(input.to) } : {}),
      },
    },
    onProgress,
  );
  const entry: LiveRun = { handle, cancelled: false, done: Promise.resolve() };
  entry.done = handle.result
    .then((result) => (entry.cancelled ? undefined : storeOutcome(ctx.db as Database, run.id, result)))
    .catch((e: unknown) => console.error(`[simulator] storing run ${run.id}`, e))
    .finally(() => live().delete(run.id));
  live().set(run.id, entry);
  return run;
}

/** Locks the run's row; whether it is still running (a cancel takes the same lock, so the two never interleave). */
async function lockIfRunning(tx: Queryable, id: string): Promise<boolean> {
  const [current] = await tx.select({ state: replayRuns.state }).from(replayRuns).where(eq(replayRuns.id, id)).for("update");
  return current?.state === "running";
}

/**
 * The run's outcome, only while it is still running (a cancel may come first, or in between): the path
 * rows a chunk per transaction, then the totals and "succeeded" together. A cancel after some chunks
 * deletes them in its own transaction, and no chunk is written after it.
 */
async function storeOutcome(db: Database, id: string, result: RunResult | { ok: false; error: string }): Promise<void> {
  if (!result.ok) {
    await db
      .update(replayRuns)
      .set({ state: "failed", error: result.error, finishedAt: new Date() })
      .where(and(eq(replayRuns.id, id), eq(replayRuns.state, "running")));
    return;
  }
  const { summary } = result;
  for (let i = 0; i < summary.paths.length; i += INSERT_CHUNK) {
    const chunkStarted = performance.now();
    const written = await db.transaction(async (tx) => {
      if (!(await lockIfRunning(tx, id))) return false;
      // The records are all decided; the page says the results are being stored, and how far.
      await tx
        .update(replayRuns)
        .set({ phase: "storing", progress: i / summary.paths.length, etaSeconds: null })
        .where(eq(replayRuns.id, id));
      // The rows as one JSON parameter (as flow ingestion writes its aggregates): building thousands of bound
      // values through the query builder cost the request thread more than the insert itself.
      const chunk = summary.paths.slice(i, i + INSERT_CHUNK).map((p) => ({
        cluster: p.cluster,
        src: p.src,
        dst: p.dst,
        port: p.port,
        protocol: p.protocol,
        change: p.change,
        baseline: p.baseline,
        proposal: p.proposal,
        flows: p.flows,
        records: p.records,
        first_seen: new Date(p.firstSeen).toISOString(),
        last_seen: new Date(p.lastSeen).toISOString(),
        baseline_path: p.baselinePath,
        proposal_path: p.proposalPath,
        sample_lines: p.sampleLines,
      }));
      await tx.execute(sql`
        insert into replay_run_paths (run_id, cluster, src, dst, port, protocol, change, baseline, proposal, flows, records,
          first_seen, last_seen, baseline_path, proposal_path, sample_lines)
        select ${id}::uuid, cluster, src, dst, port, protocol, change, baseline, proposal, flows, records,
          first_seen, last_seen, baseline_path, proposal_path, sample_lines
        from jsonb_to_recordset(${JSON.stringify(chunk)}::jsonb) as x(cluster text, src text, dst text, port integer, protocol text,
          change text, baseline text, proposal text, flows bigint, records integer, first_seen timestamptz, last_seen timestamptz,
          baseline_path text, proposal_path text, sample_lines jsonb)`);
      return true;
    });
    if (!written) return;
    // Pause as long as the chunk took: a page's queries, each of which may have waited for one chunk, get at
    // least half of the database meanwhile (storing takes twice as long, in the background).
    await new Promise((resolve) => setTimeout(resolve, Math.min(performance.now() - chunkStarted, 250)));
  }
  const totals: RunTotals = {
    records: summary.records,
    unreadable: summary.unreadable,
    outsideWindow: result.outsideWindow,
    flows: summary.flows,
    changes: summary.changes,
  };
  await db.transaction(async (tx) => {
    if (!(await lockIfRunning(tx, id))) return;
    await tx
      .update(replayRuns)
      .set({ state: "succeeded", phase: "done", progress: 1, etaSeconds: 0, totals, finishedAt: new Date() })
      .where(eq(replayRuns.id, id));
  });
}

/** A run left "running" by a server that stopped has no thread any more: it failed (and the rows it was writing go). */
async function settleOrphan(db: Queryable, run: RunRow): Promise<RunRow> {
  if (run.state !== "running" || live().has(run.id)) return run;
  const updated = await db.transaction(async (tx) => {
    const [failed] = await tx
      .update(replayRuns)
      .set({ state: "failed", error: "the server stopped during the run", finishedAt: new Date() })
      .where(and(eq(replayRuns.id, run.id), eq(replayRuns.state, "running")))
      .returning();
    if (failed) await tx.delete(replayRunPaths).where(eq(replayRunPaths.runId, run.id));
    return failed;
  });
  return updated ?? run;
}

/** The run, if the actor may read it: a change request's run is as readable as the change. */
async function readableRun(ctx: ServiceContext, id: string): Promise<RunRow> {
  const [found] = await ctx.db
    .select({ run: replayRuns, tenantId: changeRequests.tenantId })
    .from(replayRuns)
    .leftJoin(changeRequests, eq(changeRequests.id, replayRuns.changeRequestId))
    .where(eq(replayRuns.id, id));
  if (!found || !mayReadTenant(ctx.actor, found.tenantId ?? null)) throw new NotFound("No such replay run.");
  return settleOrphan(ctx.db, found.run);
}

function runView(run: RunRow, actor: Actor, datasetName: string) {
  return { ...run, datasetName, mayCancel: run.state === "running" && mayCancel(actor, run) };
}
export type RunView = ReturnType<typeof runView>;

export async function getRun({ ctx, input }: { ctx: ServiceContext; input: RunIdInput }): Promise<RunView> {
  const run = await readableRun(ctx, input.id);
  const dataset = await loadDataset(ctx.db, run.datasetId);
  return redactPolicyNames(runView(run, ctx.actor, dataset.name), await visibilityOf(ctx.db, ctx.actor));
}

/** Recent runs (newest first), those of change requests the actor may not read left out. */
export async function listRuns({ ctx }: { ctx: ServiceContext }): Promise<RunView[]> {
  const rows = await ctx.db
    .select({
      run: replayRuns,
      tenantId: changeRequests.tenantId,
      datasetName: sql<string>`(select name from replay_datasets d where d.id = ${replayRuns.datasetId})`,
    })
    .from(replayRuns)
    .leftJoin(changeRequests, eq(changeRequests.id, replayRuns.changeRequestId))
    .orderBy(desc(replayRuns.createdAt))
    .limit(50);
  const out: RunView[] = [];
  for (const r of rows)
    if (mayReadTenant(ctx.actor, r.tenantId ?? null)) out.push(runView(await settleOrphan(ctx.db, r.run), ctx.actor, r.datasetName));
  return out;
}

/** A change request's latest run (null when none), for its page. */
export async function latestChangeRun({ ctx, input }: { ctx: ServiceContext; input: ChangeRunInput }): Promise<RunView | null> {
  const [cr] = await ctx.db
    .select({ id: changeRequests.id, tenantId: changeRequests.tenantId })
    .from(changeRequests)
    .where(eq(changeRequests.number, input.number));
  if (!cr || !mayReadTenant(ctx.actor, cr.tenantId)) throw new NotFound(`No change request #${input.number}.`);
  const [run] = await ctx.db
    .select()
    .from(replayRuns)
    .where(eq(replayRuns.changeRequestId, cr.id))
    .orderBy(desc(replayRuns.createdAt))
    .limit(1);
  if (!run) return null;
  const dataset = await loadDataset(ctx.db, run.datasetId);
  return redactPolicyNames(runView(await settleOrphan(ctx.db, run), ctx.actor, dataset.name), await visibilityOf(ctx.db, ctx.actor));
}

/** Stops a running run: its thread ends and it is marked cancelled, with no rows (one transaction). */
export async function cancelRun({ ctx, input }: { ctx: ServiceContext; input: RunIdInput }) {
  const run = await readableRun(ctx, input.id);
  if (!mayCancel(ctx.actor, run)) throw new Forbidden("Only the person who started a run, or an admin, may cancel it.");
  const cancelled = await withTransaction(ctx, async (tx) => {
    const [updated] = await tx.db
      .update(replayRuns)
      .set({ state: "cancelled", phase: "cancelled", etaSeconds: null, finishedAt: new Date() })
      .where(and(eq(replayRuns.id, run.id), eq(replayRuns.state, "running")))
      .returning();
    if (!updated) throw new Conflict(`The run has ${run.state === "running" ? "just finished" : run.state} already.`);
    await tx.db.delete(replayRunPaths).where(eq(replayRunPaths.runId, run.id));
    await recordAudit(tx, { action: "replay.run.cancel", targetType: "replay_run", targetId: run.id, targetLabel: run.proposalLabel });
    return updated;
  });
  const entry = live().get(run.id);
  if (entry) {
    entry.cancelled = true;
    await entry.handle.terminate();
  }
  return cancelled;
}

const SORTS = {
  flows: replayRunPaths.flows,
  src: replayRunPaths.src,
  dst: replayRunPaths.dst,
  port: replayRunPaths.port,
  firstSeen: replayRunPaths.firstSeen,
  lastSeen: replayRunPaths.lastSeen,
} as const;

/** A run's rows are its result once it has succeeded; before that some may be written already, and are not shown. */
function resultRows(run: RunRow): SQL {
  return run.state === "succeeded" ? eq(replayRunPaths.runId, run.id) : sql`false`;
}

function pathFilters(run: RunRow, input: Partial<RunPathsInput>): SQL {
  const where: SQL[] = [resultRows(run)];
  if (input.change) where.push(eq(replayRunPaths.change, input.change));
  if (input.port) where.push(eq(replayRunPaths.port, input.port));
  const search = input.search?.trim();
  if (search) {
    const like = `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    where.push(or(ilike(replayRunPaths.src, like), ilike(replayRunPaths.dst, like), ilike(replayRunPaths.cluster, like))!);
  }
  return and(...where)!;
}

/** The run's rows grouped by path, filtered and sorted. */
export async function runPaths({ ctx, input }: { ctx: ServiceContext; input: RunPathsInput }) {
  const run = await readableRun(ctx, input.id);
  const where = pathFilters(run, input);
  const order = input.direction === "asc" ? asc(SORTS[input.sort]) : desc(SORTS[input.sort]);
  const [rows, [total]] = await Promise.all([
    ctx.db
      .select()
      .from(replayRunPaths)
      .where(where)
      .orderBy(order, asc(replayRunPaths.src), asc(replayRunPaths.dst), asc(replayRunPaths.cluster))
      .limit(input.limit)
      .offset(input.offset),
    ctx.db.select({ n: count() }).from(replayRunPaths).where(where),
  ]);
  return redactPolicyNames({ rows, total: total?.n ?? 0 }, await visibilityOf(ctx.db, ctx.actor));
}

/** Every row of a run (for export), with the same filters as the table. */
export async function allRunPaths(ctx: ServiceContext, id: string, filters: Partial<RunPathsInput> = {}) {
  const run = await readableRun(ctx, id);
  const rows = await ctx.db
    .select()
    .from(replayRunPaths)
    .where(pathFilters(run, filters))
    .orderBy(desc(replayRunPaths.flows), asc(replayRunPaths.src), asc(replayRunPaths.dst));
  return { run, rows: redactPolicyNames(rows, await visibilityOf(ctx.db, ctx.actor)) };
}

/**
 * The run's changed paths (newly denied, newly allowed) in one cluster, or in all, for the graph's overlay;
 * readable as the run is. Rows naming no cluster were decided in the run's own cluster.
 */
export async function runOverlay({ ctx, input }: { ctx: ServiceContext; input: RunOverlayInput }): Promise<RunOverlayPath[]> {
  const run = await readableRun(ctx, input.id);
  const where: SQL[] = [resultRows(run), inArray(replayRunPaths.change, ["newly-denied", "newly-allowed"])];
  if (input.cluster !== "all") {
    const own = input.cluster === run.cluster ? isNull(replayRunPaths.cluster) : undefined;
    where.push(own ? or(eq(replayRunPaths.cluster, input.cluster), own)! : eq(replayRunPaths.cluster, input.cluster));
  }
  const rows = await ctx.db
    .select({
      cluster: replayRunPaths.cluster,
      src: replayRunPaths.src,
      dst: replayRunPaths.dst,
      port: replayRunPaths.port,
      protocol: replayRunPaths.protocol,
      change: replayRunPaths.change,
      flows: replayRunPaths.flows,
    })
    .from(replayRunPaths)
    .where(and(...where))
    .orderBy(desc(replayRunPaths.flows), asc(replayRunPaths.src), asc(replayRunPaths.dst), asc(replayRunPaths.port));
  return rows.map((r) => ({ ...r, cluster: r.cluster ?? run.cluster, change: r.change as RunOverlayPath["change"] }));
}

/** Shown per sample record: enough of a Hubble record to recognise it. */
const SAMPLE_CHARS = 4000;

/** The recorded lines behind one row (its sample lines, read back from the dataset's file). */
export async function runSamples({
  ctx,
  input,
  store = defaultDatasetStore(),
}: {
  ctx: ServiceContext;
  input: RunSamplesInput;
  store?: DatasetStore;
}) {
  const run = await readableRun(ctx, input.id);
  const [row] = await ctx.db
    .select()
    .from(replayRunPaths)
    .where(and(eq(replayRunPaths.id, input.pathId), resultRows(run)));
  if (!row) throw new NotFound("No such row in this run.");
  const dataset = await loadDataset(ctx.db, run.datasetId);
  const wanted = new Set(row.sampleLines);
  const last = Math.max(...row.sampleLines);
  const samples: { line: number; text: string }[] = [];
  let line = 0;
  outer: for await (const batch of lineBatches(datasetFile(store, dataset.fileName), RECORD_LINE_MAX_CHARS)) {
    for (const text of batch) {
      line++;
      if (wanted.has(line))
        samples.push({
          line,
          text: typeof text === "string" ? (text.length > SAMPLE_CHARS ? `${text.slice(0, SAMPLE_CHARS)}…` : text) : "(line too long)",
        });
      if (line >= last) break outer;
    }
  }
  return { path: row, samples };
}
