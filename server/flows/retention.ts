import "server-only";
// Retention of observed flows (issue 17): raw samples are cleared after
// FLOW_SAMPLES_RETENTION_DAYS, aggregates deleted after
// FLOW_AGGREGATES_RETENTION_DAYS. Safe with several replicas sweeping at once:
// each pass takes a bounded chunk of rows with FOR UPDATE SKIP LOCKED, so two
// sweepers split the work instead of waiting on (or deadlocking with) each
// other, and clearing or deleting what is already gone is a no-op.
import { sql } from "drizzle-orm";
import type { Database, Queryable } from "@/db/client";
import { inChunks } from "@/server/lib/affected-rows";
import { scheduleEvery } from "@/server/lib/schedule";
import { timedSweep } from "@/server/metrics/metrics";

export interface FlowRetention {
  samplesDays: number;
  aggregatesDays: number;
}

export const DEFAULT_FLOW_RETENTION: FlowRetention = { samplesDays: 7, aggregatesDays: 90 };
const CHUNK = 5_000;

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
  // The SIEM export's events go with their aggregates (on delete cascade; a collector reads them long before).
  const deletedAggregates = await inChunks(CHUNK, () =>
    db.execute(sql`delete from flow_aggregates where id in (
      select id from flow_aggregates where minute < ${aggregatesBefore.toISOString()}::timestamptz limit ${CHUNK} for update skip locked)`),
  );
  const clearedSamples = await inChunks(CHUNK, () =>
    db.execute(sql`update flow_aggregates set samples = '[]'::jsonb where id in (
      select id from flow_aggregates where minute < ${samplesBefore.toISOString()}::timestamptz and samples <> '[]'::jsonb limit ${CHUNK} for update skip locked)`),
  );
  return { clearedSamples, deletedAggregates };
}

/** Sweeps every `everySeconds` (0: never) in this process; returns the stop function. */
export function scheduleFlowSweep(
  db: Database,
  options: FlowRetention & { everySeconds: number },
  log: (message: string, error?: unknown) => void,
): () => void {
  return scheduleEvery(
    options.everySeconds,
    async () => {
      const r = await sweepFlows(db, options);
      if (r.deletedAggregates + r.clearedSamples > 0)
        log(`flow retention: ${r.deletedAggregates} aggregates deleted, samples of ${r.clearedSamples} cleared`);
    },
    (error) => log("could not sweep observed flows", error),
  );
}
