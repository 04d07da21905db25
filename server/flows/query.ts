import "server-only";
// The violations dashboard's reads (issue 17): classes over time, by cluster,
// tenant and namespace, the top paths, and one path's samples and rationale,
// all from the per-minute aggregates. A reader limited to some tenants sees the
// flows from or to their namespaces only.
import { and, asc, desc, eq, gte, inArray, lt, ne, or, sql, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { clusters, flowAggregates, tenants, type FlowAttribution, type FlowClass, type FlowSample } from "@/db/schema";
import { readableTenantIds } from "@/server/auth/authorize";
import type { ServiceContext } from "@/server/context";
import type { Severity } from "@/lib/flows";
import { NotFound } from "@/server/errors";
import {
  flowPathInput,
  observedDenialsInput,
  violationsDashboardInput,
  type DashboardRange,
  type FlowPathInput,
  type ObservedDenialsInput,
  type ViolationsDashboardInput,
} from "./schemas";
import type { ObservedDenial } from "@/lib/graph/observed";

const RANGE_MS: Record<DashboardRange, number> = {
  "1h": 3_600_000,
  "6h": 6 * 3_600_000,
  "24h": 86_400_000,
  "7d": 7 * 86_400_000,
  "30d": 30 * 86_400_000,
};
/** Chart buckets: about 50-100 points whatever the range. */
const BUCKET_MINUTES: Record<DashboardRange, number> = { "1h": 1, "6h": 5, "24h": 15, "7d": 120, "30d": 720 };
const TOP_PATHS = 25;
const TOP_GROUPS = 10;

export interface ClassCounts {
  violations: number;
  nearMisses: number;
  gaps: number;
}

export interface TopPath extends ClassCounts {
  cluster: string;
  source: string;
  destination: string;
  port: number;
  protocol: string;
  flowClass: FlowClass;
  count: number;
  lastSeen: Date;
  rationale: string;
  attribution: FlowAttribution | null;
  severity: Severity | null;
  /** Never seen before the range began. */
  isNew: boolean;
}

export interface ViolationsDashboard {
  range: DashboardRange;
  from: Date;
  to: Date;
  bucketMinutes: number;
  clusters: string[];
  tenants: { name: string; displayName: string }[];
  totals: ClassCounts & { allowed: number };
  series: ({ t: string } & ClassCounts)[];
  byCluster: ({ name: string } & ClassCounts)[];
  byTenant: ({ name: string } & ClassCounts)[];
  byNamespace: ({ name: string } & ClassCounts)[];
  topPaths: Omit<TopPath, "violations" | "nearMisses" | "gaps">[];
}

const srcTenant = alias(tenants, "src_tenant");
const dstTenant = alias(tenants, "dst_tenant");

const classSum = (c: FlowClass) =>
  sql<number>`coalesce(sum(${flowAggregates.count}) filter (where ${flowAggregates.flowClass} = ${c}), 0)::int`;
const counts = {
  violations: classSum("violation"),
  nearMisses: classSum("near-miss"),
  gaps: classSum("enforcement-gap"),
};

/** The aggregates since `from` a reader may see (flows from or to their tenants' namespaces), filtered by cluster, tenant and severity. */
export async function flowScope(
  ctx: ServiceContext,
  input: { cluster?: string; tenant?: string; severity?: Severity },
  from: Date,
): Promise<SQL | undefined> {
  const conditions: (SQL | undefined)[] = [gte(flowAggregates.minute, from)];
  if (input.severity) conditions.push(eq(flowAggregates.severity, input.severity));
  if (input.cluster) {
    const [c] = await ctx.db.select({ id: clusters.id }).from(clusters).where(eq(clusters.name, input.cluster));
    if (!c) throw new NotFound(`No cluster named "${input.cluster}".`);
    conditions.push(eq(flowAggregates.clusterId, c.id));
  }
  if (input.tenant) {
    const [t] = await ctx.db.select({ id: tenants.id }).from(tenants).where(eq(tenants.name, input.tenant));
    if (!t) throw new NotFound(`No tenant named "${input.tenant}".`);
    conditions.push(or(eq(flowAggregates.sourceTenantId, t.id), eq(flowAggregates.destinationTenantId, t.id)));
  }
  const readable = readableTenantIds(ctx.actor);
  if (readable !== undefined)
    conditions.push(
      readable.length === 0
        ? sql`false`
        : or(inArray(flowAggregates.sourceTenantId, readable), inArray(flowAggregates.destinationTenantId, readable)),
    );
  return and(...conditions);
}

export async function violationsDashboard({
  ctx,
  input: raw,
}: {
  ctx: ServiceContext;
  input: ViolationsDashboardInput;
}): Promise<ViolationsDashboard> {
  const input = violationsDashboardInput.parse(raw);
  const to = new Date();
  const from = new Date(to.getTime() - RANGE_MS[input.range]);
  const where = await flowScope(ctx, input, from);
  const notAllowed = and(where, ne(flowAggregates.flowClass, "allowed"));
  const bucketMinutes = BUCKET_MINUTES[input.range];
  // The interval is one of BUCKET_MINUTES's numbers, inlined so GROUP BY and SELECT are the same expression.
  const bucket = sql<string>`date_bin(${sql.raw(`interval '${Number(bucketMinutes)} minutes'`)}, ${flowAggregates.minute}, timestamptz '2000-01-01T00:00:00Z')`;
  const { db } = ctx;
  const [clusterRows, tenantRows, [totals], series, byCluster, byTenant, byNamespace, top] = await Promise.all([
    db.select({ name: clusters.name }).from(clusters).orderBy(asc(clusters.name)),
    db.select({ name: tenants.name, displayName: tenants.displayName }).from(tenants).orderBy(asc(tenants.name)),
    db
      .select({ ...counts, allowed: classSum("allowed") })
      .from(flowAggregates)
      .where(where),
    db
      .select({ t: sql<string>`to_char(${bucket} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`, ...counts })
      .from(flowAggregates)
      .where(notAllowed)
      .groupBy(bucket)
      .orderBy(bucket),
    db
      .select({ name: clusters.name, ...counts })
      .from(flowAggregates)
      .innerJoin(clusters, eq(clusters.id, flowAggregates.clusterId))
      .where(notAllowed)
      .groupBy(clusters.name)
      .orderBy(desc(counts.violations), asc(clusters.name))
      .limit(TOP_GROUPS),
    db
      .select({ name: sql<string>`coalesce(${dstTenant.name}, ${srcTenant.name}, '(no tenant)')`, ...counts })
      .from(flowAggregates)
      .leftJoin(dstTenant, eq(dstTenant.id, flowAggregates.destinationTenantId))
      .leftJoin(srcTenant, eq(srcTenant.id, flowAggregates.sourceTenantId))
      .where(notAllowed)
      .groupBy(sql`1`)
      .orderBy(desc(counts.violations))
      .limit(TOP_GROUPS),
    db
      .select({ name: sql<string>`coalesce(${flowAggregates.destinationNamespace}, '(outside the cluster)')`, ...counts })
      .from(flowAggregates)
      .where(notAllowed)
      .groupBy(sql`1`)
      .orderBy(desc(counts.violations))
      .limit(TOP_GROUPS),
    db
      .select({
        cluster: clusters.name,
        clusterId: flowAggregates.clusterId,
        source: flowAggregates.source,
        destination: flowAggregates.destination,
        port: flowAggregates.port,
        protocol: flowAggregates.protocol,
        flowClass: flowAggregates.flowClass,
        count: sql<number>`sum(${flowAggregates.count})::int`,
        lastSeen: sql<Date>`max(${flowAggregates.lastSeen})`,
        rationale: sql<string>`(array_agg(${flowAggregates.rationale} order by ${flowAggregates.lastSeen} desc))[1]`,
        attribution: sql<FlowAttribution | null>`(array_agg(${flowAggregates.attribution} order by ${flowAggregates.lastSeen} desc))[1]`,
        severity: sql<Severity | null>`(array_agg(${flowAggregates.severity} order by ${flowAggregates.lastSeen} desc))[1]`,
      })
      .from(flowAggregates)
      .innerJoin(clusters, eq(clusters.id, flowAggregates.clusterId))
      .where(notAllowed)
      .groupBy(
        clusters.name,
        flowAggregates.clusterId,
        flowAggregates.source,
        flowAggregates.destination,
        flowAggregates.port,
        flowAggregates.protocol,
        flowAggregates.flowClass,
      )
      .orderBy(desc(sql`sum(${flowAggregates.count})`), asc(flowAggregates.source))
      .limit(TOP_PATHS),
  ]);
  // New paths: no aggregate of the same path and class before the range began.
  const seenBefore = new Set<string>();
  const pathKey = (p: { clusterId: string; source: string; destination: string; port: number; protocol: string; flowClass: string }) =>
    JSON.stringify([p.clusterId, p.source, p.destination, p.port, p.protocol, p.flowClass]);
  if (top.length > 0) {
    const earlier = await db
      .selectDistinct({
        clusterId: flowAggregates.clusterId,
        source: flowAggregates.source,
        destination: flowAggregates.destination,
        port: flowAggregates.port,
        protocol: flowAggregates.protocol,
        flowClass: flowAggregates.flowClass,
      })
      .from(flowAggregates)
      .where(
        and(
          lt(flowAggregates.minute, from),
          or(
            ...top.map((p) =>
              and(
                eq(flowAggregates.clusterId, p.clusterId),
                eq(flowAggregates.source, p.source),
                eq(flowAggregates.destination, p.destination),
              ),
            ),
          ),
        ),
      );
    for (const e of earlier) seenBefore.add(pathKey(e));
  }
  return {
    range: input.range,
    from,
    to,
    bucketMinutes,
    clusters: clusterRows.map((c) => c.name),
    tenants: tenantRows,
    totals: totals ?? { violations: 0, nearMisses: 0, gaps: 0, allowed: 0 },
    series: densify(series, from, to, bucketMinutes),
    byCluster,
    byTenant,
    byNamespace,
    topPaths: top.map(({ clusterId, ...p }) => ({
      ...p,
      lastSeen: new Date(p.lastSeen),
      isNew: !seenBefore.has(pathKey({ clusterId, ...p })),
    })),
  };
}

const EPOCH_2000 = Date.parse("2000-01-01T00:00:00Z");

/** Every bucket of the range, empty ones at zero (the chart's time axis is then the range, and one busy minute still draws). */
export function densify(
  series: ({ t: string } & ClassCounts)[],
  from: Date,
  to: Date,
  bucketMinutes: number,
): ({ t: string } & ClassCounts)[] {
  const step = bucketMinutes * 60_000;
  const byTime = new Map(series.map((b) => [Date.parse(b.t), b]));
  const out: ({ t: string } & ClassCounts)[] = [];
  for (let t = EPOCH_2000 + Math.floor((from.getTime() - EPOCH_2000) / step) * step; t <= to.getTime(); t += step)
    out.push(byTime.get(t) ?? { t: new Date(t).toISOString().replace(".000Z", "Z"), violations: 0, nearMisses: 0, gaps: 0 });
  return out;
}

export interface FlowPathDetail {
  cluster: string;
  source: string;
  destination: string;
  port: number;
  protocol: string;
  flowClass: FlowClass;
  count: number;
  firstSeen: Date;
  lastSeen: Date;
  verdicts: string[];
  engineVerdict: string | null;
  releaseNumber: number | null;
  rationale: string;
  attribution: FlowAttribution | null;
  /** The newest samples (raw records as received). */
  samples: FlowSample[];
  /** Flows per minute, newest first (at most 60). */
  minutes: { minute: Date; count: number }[];
}

const MAX_SAMPLES = 10;

export async function flowPath({ ctx, input: raw }: { ctx: ServiceContext; input: FlowPathInput }): Promise<FlowPathDetail> {
  const input = flowPathInput.parse(raw);
  const from = new Date(Date.now() - RANGE_MS[input.range]);
  const where = and(
    await flowScope(ctx, { cluster: input.cluster }, from),
    eq(flowAggregates.source, input.source),
    eq(flowAggregates.destination, input.destination),
    eq(flowAggregates.port, input.port),
    eq(flowAggregates.protocol, input.protocol),
    eq(flowAggregates.flowClass, input.flowClass),
  );
  const rows = await ctx.db.select().from(flowAggregates).where(where).orderBy(desc(flowAggregates.minute)).limit(500);
  if (rows.length === 0) throw new NotFound("No such flows in this time range (or none you may read).");
  const newest = rows[0]!;
  return {
    cluster: input.cluster,
    source: input.source,
    destination: input.destination,
    port: input.port,
    protocol: input.protocol,
    flowClass: input.flowClass,
    count: rows.reduce((n, r) => n + r.count, 0),
    firstSeen: new Date(Math.min(...rows.map((r) => r.firstSeen.getTime()))),
    lastSeen: new Date(Math.max(...rows.map((r) => r.lastSeen.getTime()))),
    verdicts: [...new Set(rows.map((r) => r.verdict))].sort(),
    engineVerdict: newest.engineVerdict,
    releaseNumber: newest.releaseNumber,
    rationale: newest.rationale,
    attribution: newest.attribution,
    samples: rows.flatMap((r) => [...r.samples].reverse()).slice(0, MAX_SAMPLES),
    minutes: rows.slice(0, 60).map((r) => ({ minute: r.minute, count: r.count })),
  };
}

/** Paths drawn on the graph at most (the busiest). */
const MAX_GRAPH_DENIALS = 2_000;

/** The paths the clusters dropped in the range, for the graph's red edges (what the reader may see). */
export async function observedDenials({
  ctx,
  input: raw,
}: {
  ctx: ServiceContext;
  input: ObservedDenialsInput;
}): Promise<ObservedDenial[]> {
  const input = observedDenialsInput.parse(raw);
  const from = new Date(Date.now() - RANGE_MS[input.range]);
  const where = and(
    await flowScope(ctx, input.cluster === "all" ? {} : { cluster: input.cluster }, from),
    eq(flowAggregates.flowClass, "violation"),
  );
  return ctx.db
    .select({
      cluster: clusters.name,
      source: flowAggregates.source,
      destination: flowAggregates.destination,
      port: flowAggregates.port,
      protocol: flowAggregates.protocol,
      count: sql<number>`sum(${flowAggregates.count})::int`,
    })
    .from(flowAggregates)
    .innerJoin(clusters, eq(clusters.id, flowAggregates.clusterId))
    .where(where)
    .groupBy(clusters.name, flowAggregates.source, flowAggregates.destination, flowAggregates.port, flowAggregates.protocol)
    .orderBy(desc(sql`sum(${flowAggregates.count})`))
    .limit(MAX_GRAPH_DENIALS);
}
