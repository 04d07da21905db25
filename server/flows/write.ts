import "server-only";
// Writing flow batches' aggregates (./ingest.ts): upserted into flow_aggregates, in one
// transaction. Nothing else is written per batch: the SIEM stream's events are emitted once per
// path and minute by the minute closer (./close.ts); a write that adds flows to an aggregate marks
// it as having flows to emit (closed = false), which is how flows arriving after their minute
// closed become a late delta event.
//
// Group commit: batches that arrive while a write is in progress wait for it and are then written
// together, merged, in one transaction (per database handle). A path seen by several of them is
// one row written instead of several, the database does one round of statements for them all,
// and this process parses and attributes the next batches meanwhile. Each batch's request is
// answered once the transaction holding its rows commits; if a group's transaction fails, its
// batches are written again one by one, so one batch's failure is no other batch's.
import { sql } from "drizzle-orm";
import type { Database, Queryable } from "@/db/client";
import type { FlowAttribution, FlowSample } from "@/db/schema";
import type { ServiceContext } from "@/server/context";

/** Raw records kept per aggregate. */
export const SAMPLES_PER_AGGREGATE = 3;
/** Rows per INSERT statement. */
const UPSERT_CHUNK = 5_000;

/** A flow_aggregates row as the statement reads it (from JSON, by column name). */
export interface AggregateRow {
  cluster_id: string;
  /** ISO instants (one format, so they compare as text). */
  minute: string;
  source: string;
  source_namespace: string | null;
  source_tenant_id: string | null;
  destination: string;
  destination_namespace: string | null;
  destination_tenant_id: string | null;
  port: number;
  protocol: string;
  verdict: string;
  flow_class: string;
  engine_verdict: string | null;
  release_number: number | null;
  rationale: string;
  attribution: FlowAttribution | null;
  destination_criticality: string | null;
  severity: string | null;
  count: number;
  samples: FlowSample[];
  first_seen: string;
  last_seen: string;
}

export interface KeyedRow {
  /** The row's identity: cluster, minute, source, destination, port, protocol, verdict, class. */
  key: string;
  minuteMs: number;
  row: AggregateRow;
}

/**
 * Aggregates this process knows hold their full samples (a write sent SAMPLES_PER_AGGREGATE for it,
 * so the stored value had that many after its upsert; samples only grow until the retention sweeper
 * clears them, days later). Later writes of the same minute send none for them: the raw lines were
 * most of the bytes written and parsed per batch. Only recent minutes are remembered, far inside the
 * shortest sample retention (1 day), and a bounded number of them.
 */
const FULL_SAMPLES_MAX_AGE_MS = 60 * 60_000;
const FULL_SAMPLES_MAX_KEYS = 200_000;

function forgetOldFullSamples(fullSamples: Map<string, number>, now: number): void {
  if (fullSamples.size <= FULL_SAMPLES_MAX_KEYS) return;
  for (const [key, minute] of fullSamples) if (minute < now - FULL_SAMPLES_MAX_AGE_MS) fullSamples.delete(key);
  // Still too many recent ones: start over (a key forgotten only costs its samples being sent again).
  if (fullSamples.size > FULL_SAMPLES_MAX_KEYS) fullSamples.clear();
}

interface Waiting {
  rows: KeyedRow[];
  resolve(): void;
  reject(error: unknown): void;
}

/** One per database handle (two test databases may hold the same cluster ids). */
class AggregateWriter {
  /** Aggregate key → its minute (ms), for those known full. */
  private readonly fullSamples = new Map<string, number>();
  private waiting: Waiting[] = [];
  private writing = false;

  constructor(private readonly db: Database) {}

  write(rows: KeyedRow[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ rows, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.waiting.length > 0) {
        const group = this.waiting;
        this.waiting = [];
        try {
          await this.commit(group.flatMap((w) => w.rows));
          for (const w of group) w.resolve();
        } catch (error) {
          if (group.length === 1) group[0]!.reject(error);
          else for (const w of group) await this.commit(w.rows).then(w.resolve, w.reject);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private async commit(rows: KeyedRow[]): Promise<void> {
    const merged = mergeRows(rows);
    const now = Date.now();
    const rowsToWrite = merged.map((r) => (this.fullSamples.has(r.key) ? { ...r.row, samples: [] } : r.row));
    await this.db.transaction((tx) => writeRows(tx, rowsToWrite));
    // Committed: aggregates this write brought a full set of samples for are full in the database too.
    forgetOldFullSamples(this.fullSamples, now);
    for (const r of merged)
      if (r.row.samples.length >= SAMPLES_PER_AGGREGATE && r.minuteMs >= now - FULL_SAMPLES_MAX_AGE_MS)
        this.fullSamples.set(r.key, r.minuteMs);
  }
}

const writers = new WeakMap<object, AggregateWriter>();

/**
 * Writes a batch's aggregates; resolves once they are committed. In a transaction of the caller's,
 * they are written in it (and no samples are taken as known full: it could still roll back).
 */
export async function writeAggregates(ctx: ServiceContext, rows: KeyedRow[]): Promise<void> {
  if (ctx.inTransaction)
    return writeRows(
      ctx.db,
      mergeRows(rows).map((r) => r.row),
    );
  let writer = writers.get(ctx.db);
  if (!writer) writers.set(ctx.db, (writer = new AggregateWriter(ctx.db as Database)));
  return writer.write(rows);
}

/**
 * One row per key, in key order: one order for every write, so concurrent writers (other replicas)
 * lock shared rows in the same order. Later rows' attribution wins; counts add up; the first
 * samples are kept.
 */
function mergeRows(rows: KeyedRow[]): KeyedRow[] {
  const byKey = new Map<string, KeyedRow>();
  for (const r of rows) {
    const seen = byKey.get(r.key);
    if (!seen) {
      byKey.set(r.key, r);
      continue;
    }
    const a = seen.row;
    const b = r.row;
    byKey.set(r.key, {
      ...seen,
      row: {
        ...b,
        count: a.count + b.count,
        samples: a.samples.length >= SAMPLES_PER_AGGREGATE ? a.samples : [...a.samples, ...b.samples].slice(0, SAMPLES_PER_AGGREGATE),
        first_seen: a.first_seen < b.first_seen ? a.first_seen : b.first_seen,
        last_seen: a.last_seen > b.last_seen ? a.last_seen : b.last_seen,
      },
    });
  }
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

async function writeRows(tx: Queryable, rows: AggregateRow[]): Promise<void> {
  // One statement per chunk with the rows as one JSON parameter (jsonb_to_recordset): building
  // thousands of bound values through the query builder cost more than the engine's work.
  for (let i = 0; i < rows.length; i += UPSERT_CHUNK) {
    const chunk = rows.slice(i, i + UPSERT_CHUNK);
    // An aggregate whose samples are full keeps its stored value as it is (no new jsonb to build,
    // compress and write for every later batch of its minute); one this write brings none for is
    // not even read (its stored samples are TOASTed: reading their length meant fetching and
    // decompressing them).
    await tx.execute(sql`
        insert into flow_aggregates (cluster_id, minute, source, source_namespace, source_tenant_id, destination, destination_namespace,
          destination_tenant_id, port, protocol, verdict, flow_class, engine_verdict, release_number, rationale, attribution,
          destination_criticality, severity, count, samples, first_seen, last_seen)
        select cluster_id, minute, source, source_namespace, source_tenant_id, destination, destination_namespace, destination_tenant_id,
          port, protocol, verdict, flow_class, engine_verdict, release_number, rationale, nullif(attribution, 'null'::jsonb),
          destination_criticality, severity, count, samples, first_seen, last_seen
        from jsonb_to_recordset(${JSON.stringify(chunk)}::jsonb) as x(cluster_id uuid, minute timestamptz, source text,
          source_namespace text, source_tenant_id uuid, destination text, destination_namespace text, destination_tenant_id uuid,
          port integer, protocol text, verdict text, flow_class text, engine_verdict text, release_number integer, rationale text,
          attribution jsonb, destination_criticality text, severity text, count integer, samples jsonb, first_seen timestamptz,
          last_seen timestamptz)
        on conflict (cluster_id, minute, source, destination, port, protocol, verdict, flow_class) do update set
          count = flow_aggregates.count + excluded.count,
          samples = case when excluded.samples = '[]'::jsonb then flow_aggregates.samples
            when jsonb_array_length(flow_aggregates.samples) >= ${SAMPLES_PER_AGGREGATE} then flow_aggregates.samples
            else (select coalesce(jsonb_agg(e order by n), '[]'::jsonb)
              from jsonb_array_elements(flow_aggregates.samples || excluded.samples) with ordinality as s(e, n)
              where n <= ${SAMPLES_PER_AGGREGATE}) end,
          first_seen = least(flow_aggregates.first_seen, excluded.first_seen),
          last_seen = greatest(flow_aggregates.last_seen, excluded.last_seen),
          engine_verdict = excluded.engine_verdict,
          release_number = excluded.release_number,
          rationale = excluded.rationale,
          attribution = excluded.attribution,
          destination_criticality = excluded.destination_criticality,
          severity = excluded.severity,
          -- New flows to emit (a no-op while the minute is open: the row stays a heap-only update).
          closed = false`);
  }
}
