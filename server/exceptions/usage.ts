import "server-only";
// Was the exception actually used? (issue 14, renew). Ingested flows that only an
// exception allowed are near-misses attributed to it (server/flows/classify.ts,
// with the exception in the flows engine); their per-minute aggregates give the
// count, the last time seen and the clusters. Aggregates are kept 90 days
// (server/flows/retention.ts), so "never seen" means within that.
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { clusters, flowAggregates, type ExceptionRow } from "@/db/schema";
import { exceptionDocumentName } from "./document";

export interface ExceptionUsage {
  /** Flows observed that only this exception allowed. */
  flows: number;
  lastSeen: string | null;
  clusters: { name: string; flows: number; lastSeen: string }[];
}

const NONE: ExceptionUsage = { flows: 0, lastSeen: null, clusters: [] };

/** The attribution `server/flows/classify.ts` records for a flow this exception decided. */
export const exceptionAttribution = (number: number) => `Exception ${exceptionDocumentName(number)}`;

/** Each exception's use, by number (every exception given has an entry; unused ones have none counted). */
export async function exceptionUsage(db: Queryable, rows: readonly Pick<ExceptionRow, "number">[]): Promise<Map<number, ExceptionUsage>> {
  const out = new Map<number, ExceptionUsage>(rows.map((r) => [r.number, NONE]));
  if (rows.length === 0) return out;
  const byLabel = new Map(rows.map((r) => [exceptionAttribution(r.number), r.number]));
  const policy = sql<string>`${flowAggregates.attribution}->>'policy'`;
  const found = await db
    .select({
      policy,
      cluster: clusters.name,
      flows: sql<number>`sum(${flowAggregates.count})::bigint`.mapWith(Number),
      lastSeen: sql<Date>`max(${flowAggregates.lastSeen})`.mapWith((v: Date | string) => new Date(v)),
    })
    .from(flowAggregates)
    .innerJoin(clusters, eq(clusters.id, flowAggregates.clusterId))
    .where(and(eq(flowAggregates.flowClass, "near-miss"), inArray(policy, [...byLabel.keys()])))
    .groupBy(policy, clusters.name);
  for (const f of found.sort((a, b) => b.flows - a.flows || a.cluster.localeCompare(b.cluster))) {
    const number = byLabel.get(f.policy);
    if (number === undefined) continue;
    const u = out.get(number)!;
    const lastSeen = f.lastSeen.toISOString();
    out.set(number, {
      flows: u.flows + f.flows,
      lastSeen: u.lastSeen === null || lastSeen > u.lastSeen ? lastSeen : u.lastSeen,
      clusters: [...u.clusters, { name: f.cluster, flows: f.flows, lastSeen }],
    });
  }
  return out;
}
