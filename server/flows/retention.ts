import "server-only";
// Retention of observed flows (issue 17): raw samples are cleared after
// FLOW_SAMPLES_RETENTION_DAYS, aggregates deleted after
// FLOW_AGGREGATES_RETENTION_DAYS. Safe with several replicas sweeping at once:
// each pass takes a bounded chunk of rows with FOR UPDATE SKIP LOCKED, so two
// sweepers split the work instead of waiting on (or deadlocking with) each
// other, and clearing or deleting what is already gone is a no-op.
import { sql } from "drizzle-orm";
import type { Database, Queryable } from "@/db/client";
import { timedSweep } from "@/server/metrics/metrics";

export interface FlowRetention {
  samplesDays: number;
  aggregatesDays: number;
}

export const DEFAULT_FLOW_RETENTION: FlowRetention = { samplesDays: 7, aggregatesDays: 90 };
const CHUNK = 5_000;

const affected = (result: unknown): number => {
  const r = result as { rowCount?: number | null; affectedRows?: number; count?: number; length?: number };
  return r.rowCount ?? r.affectedRows ?? r.count ?? 0;
};

export async function sweepFlows(
  db: Queryable,
  retention: FlowRetention = DEFAULT_FLOW_RETENTION,
  now = new Date(),
): Promise<{ clearedSamples: number; deletedAggregates: number }> {
  return timedSweep(
    "flow_retention",
    () => sweepOnce(db, retention, now),
    (r) => ({ aggregates_deleted: r.deletedAggregates, samples_cleared: r.clearedSamples }),
  );
}

async function sweepOnce(
  db: Queryable,
  retention: FlowRetention,
  now: Date,
): Promise<{ clearedSamples: number; deletedAggregates: number }> {
  const samplesBefore = new Date(now.getTime() - retention.samplesDays * 86_400_000);
  const aggregatesBefore = new Date(now.getTime() - retention.aggregatesDays * 86_400_000);
  let deletedAggregates = 0;
  let clearedSamples = 0;
  for (;;) {
    const n = affected(
      await db.execute(sql`delete from flow_aggregates where id in (
        select id from flow_aggregates where minute < ${aggregatesBefore.toISOString()}::timestamptz limit ${CHUNK} for update skip locked)`),
    );
    deletedAggregates += n;
    if (n < CHUNK) break;
  }
  // The SIEM export's events go with the aggregates (a collector reads them long before).
  for (;;) {
    const n = affected(
      await db.execute(sql`delete from violation_events where seq in (
        select seq from violation_events where minute < ${aggregatesBefore.toISOString()}::timestamptz limit ${CHUNK} for update skip locked)`),
    );
    if (n < CHUNK) break;
  }
  for (;;) {
    const n = affected(
      await db.execute(sql`update flow_aggregates set samples = '[]'::jsonb where id in (
        select id from flow_aggregates where minute < ${samplesBefore.toISOString()}::timestamptz and samples <> '[]'::jsonb limit ${CHUNK} for update skip locked)`),
    );
    clearedSamples += n;
    if (n < CHUNK) break;
  }
  return { clearedSamples, deletedAggregates };
}

/** Sweeps every `everySeconds` (0: never) in this process; returns the stop function. */
export function scheduleFlowSweep(
  db: Database,
  options: FlowRetention & { everySeconds: number },
  log: (message: string, error?: unknown) => void,
): () => void {
  if (options.everySeconds === 0) return () => {};
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweepFlows(db, options)
      .then((r) => {
        if (r.deletedAggregates + r.clearedSamples > 0)
          log(`flow retention: ${r.deletedAggregates} aggregates deleted, samples of ${r.clearedSamples} cleared`);
      })
      .catch((error: unknown) => log("could not sweep observed flows", error))
      .finally(() => {
        running = false;
      });
  }, options.everySeconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
