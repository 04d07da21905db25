import "server-only";
// The committee's figures on the Overview page (issue 17 item 6): coverage by
// default deny (the engine, on the release's cached graphs), violations of the
// last 24 hours and their trend, drift, exceptions expiring within 7 days,
// approvals waiting and the last releases. Each figure is one aggregate query
// (coverage reads the engine's evaluators the graph keeps warm). A reader
// limited to some tenants counts their tenants' part only, as the pages the
// figures link to show it.
import { and, count, countDistinct, eq, gt, gte, inArray, isNull, lte, or, sql, type SQL } from "drizzle-orm";
import { changeRequests, clusterDrifts, clusters, exceptions, flowAggregates, namespaces } from "@/db/schema";
import { readableTenantIds } from "@/server/auth/authorize";
import { defaultDenials } from "@/server/changes/impact";
import { serverNow } from "@/server/clock";
import type { ServiceContext } from "@/server/context";
import { flowScope } from "@/server/flows/query";
import { clusterNames, loadGraph } from "@/server/graph/service";
import { listReleases } from "@/server/releases/list";
import { reviewQueue } from "@/server/reviews/queue";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
export const EXPIRING_WITHIN_DAYS = 7;
const LISTED = 5;

export interface Coverage {
  /** Workloads the reader may see, in every cluster. */
  workloads: number;
  /** Of them, those whose ingress traffic no rule allows is denied (a namespace policy isolating them, a baseline deny, the platform default). */
  ingress: number;
  /** Of them, those denied by default in both directions. */
  both: number;
  /** Per cluster, for the card's breakdown. */
  perCluster: { cluster: string; workloads: number; ingress: number; both: number }[];
}

/** Tenant-owned rows a reader may see: their tenants' and those of no tenant (as the exceptions list reads). */
function readableOrNone(
  column: typeof exceptions.tenantId | typeof changeRequests.tenantId,
  readable: string[] | undefined,
): SQL | undefined {
  if (readable === undefined) return undefined;
  return readable.length === 0 ? isNull(column) : or(isNull(column), inArray(column, readable));
}

async function coverage(ctx: ServiceContext, readable: string[] | undefined): Promise<Coverage> {
  const names = await clusterNames(ctx.db);
  // Which namespaces a scoped reader may see, per cluster name (workloads of no tenant are not theirs).
  let visible: Set<string> | undefined;
  if (readable !== undefined) {
    const rows =
      readable.length === 0
        ? []
        : await ctx.db
            .select({ namespace: namespaces.name, cluster: clusters.name })
            .from(namespaces)
            .innerJoin(clusters, eq(clusters.id, namespaces.clusterId))
            .where(inArray(namespaces.tenantId, readable));
    visible = new Set(rows.map((r) => `${r.cluster}/${r.namespace}`));
  }
  const perCluster: Coverage["perCluster"] = [];
  for (const name of names) {
    // The release's graph of one cluster: computed at start-up and cached, as the graph page reads it.
    const { graph } = await loadGraph(ctx.db, name, { kind: "release" }, null);
    const figures = { cluster: name, workloads: 0, ingress: 0, both: 0 };
    for (const state of graph.base)
      for (const [key, denied] of defaultDenials(state.evaluator)) {
        if (visible !== undefined && !visible.has(`${name}/${key.split("/")[0]}`)) continue;
        figures.workloads++;
        if (denied.ingress) figures.ingress++;
        if (denied.ingress && denied.egress) figures.both++;
      }
    if (figures.workloads > 0 || visible === undefined) perCluster.push(figures);
  }
  return {
    workloads: perCluster.reduce((n, c) => n + c.workloads, 0),
    ingress: perCluster.reduce((n, c) => n + c.ingress, 0),
    both: perCluster.reduce((n, c) => n + c.both, 0),
    perCluster,
  };
}

async function violations(ctx: ServiceContext, now: Date) {
  const since = new Date(now.getTime() - DAY_MS);
  const where = and(await flowScope(ctx, {}, new Date(now.getTime() - 2 * DAY_MS)), eq(flowAggregates.flowClass, "violation"));
  // A Date inside raw SQL reaches postgres-js untyped and is refused; an ISO string cast to timestamptz works on both drivers.
  const sinceSql = sql`${since.toISOString()}::timestamptz`;
  const hour = sql`date_bin(interval '1 hour', ${flowAggregates.minute}, timestamptz '2000-01-01T00:00:00Z')`;
  const [[totals], hours] = await Promise.all([
    ctx.db
      .select({
        last24h: sql<number>`coalesce(sum(${flowAggregates.count}) filter (where ${flowAggregates.minute} >= ${sinceSql}), 0)::int`,
        previous24h: sql<number>`coalesce(sum(${flowAggregates.count}) filter (where ${flowAggregates.minute} < ${sinceSql}), 0)::int`,
      })
      .from(flowAggregates)
      .where(where),
    ctx.db
      .select({
        t: sql<string>`to_char(${hour} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`,
        n: sql<number>`sum(${flowAggregates.count})::int`,
      })
      .from(flowAggregates)
      .where(and(where, gte(flowAggregates.minute, since)))
      .groupBy(hour)
      .orderBy(hour),
  ]);
  // 24 hourly points ending with the current hour, zero where nothing was dropped.
  const byHour = new Map(hours.map((h) => [h.t, h.n]));
  const last = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
  const series = Array.from({ length: 24 }, (_, i) => {
    const t = new Date(last - (23 - i) * HOUR_MS).toISOString().replace(/\.\d{3}Z$/, "Z");
    return { t, n: byHour.get(t) ?? 0 };
  });
  return { last24h: totals?.last24h ?? 0, previous24h: totals?.previous24h ?? 0, series };
}

async function drift(ctx: ServiceContext, readable: string[] | undefined) {
  const figures = { objects: count(), clusters: countDistinct(clusterDrifts.clusterId) };
  if (readable === undefined) {
    const [row] = await ctx.db.select(figures).from(clusterDrifts);
    return { objects: row?.objects ?? 0, clusters: row?.clusters ?? 0 };
  }
  if (readable.length === 0) return { objects: 0, clusters: 0 };
  // A scoped reader: drifted objects in their tenants' namespaces.
  const [row] = await ctx.db
    .select(figures)
    .from(clusterDrifts)
    .innerJoin(namespaces, and(eq(namespaces.clusterId, clusterDrifts.clusterId), eq(namespaces.name, clusterDrifts.namespace)))
    .where(inArray(namespaces.tenantId, readable));
  return { objects: row?.objects ?? 0, clusters: row?.clusters ?? 0 };
}

async function expiringExceptions(ctx: ServiceContext, readable: string[] | undefined) {
  const now = serverNow();
  const until = new Date(now.getTime() + EXPIRING_WITHIN_DAYS * DAY_MS);
  const where = and(
    eq(exceptions.state, "approved"),
    gt(exceptions.expiresAt, now),
    lte(exceptions.expiresAt, until),
    readableOrNone(exceptions.tenantId, readable),
  );
  const [[total], soonest] = await Promise.all([
    ctx.db.select({ n: count() }).from(exceptions).where(where),
    ctx.db
      .select({ number: exceptions.number, title: exceptions.title, expiresAt: exceptions.expiresAt })
      .from(exceptions)
      .where(where)
      .orderBy(exceptions.expiresAt, exceptions.number)
      .limit(LISTED),
  ]);
  return { count: total?.n ?? 0, soonest };
}

async function approvals(ctx: ServiceContext, readable: string[] | undefined) {
  const [[changes], [requested], queue] = await Promise.all([
    ctx.db
      .select({ n: count() })
      .from(changeRequests)
      .where(and(eq(changeRequests.state, "in-review"), readableOrNone(changeRequests.tenantId, readable))),
    ctx.db
      .select({ n: count() })
      .from(exceptions)
      .where(and(eq(exceptions.state, "requested"), readableOrNone(exceptions.tenantId, readable))),
    // What the signed-in person may approve themselves: the review queue's own rule.
    reviewQueue({ ctx }),
  ]);
  return { changesInReview: changes?.n ?? 0, exceptionsRequested: requested?.n ?? 0, yours: queue.items.length };
}

export async function committeeOverview({ ctx }: { ctx: ServiceContext }) {
  const readable = readableTenantIds(ctx.actor);
  const [cov, viol, drifted, expiring, waiting, lastReleases] = await Promise.all([
    coverage(ctx, readable),
    violations(ctx, new Date()),
    drift(ctx, readable),
    expiringExceptions(ctx, readable),
    approvals(ctx, readable),
    // As the Releases page lists them: another tenant's change is not named to a tenant-scoped reader.
    listReleases({ ctx, limit: LISTED }),
  ]);
  return {
    coverage: cov,
    violations: viol,
    drift: drifted,
    expiringExceptions: { ...expiring, withinDays: EXPIRING_WITHIN_DAYS },
    approvals: waiting,
    releases: lastReleases.map((r) => ({
      number: r.number,
      title: r.title,
      createdAt: r.createdAt,
      emergency: r.emergency,
      rollbackTo: r.rollbackTo,
    })),
  };
}

export type CommitteeOverview = Awaited<ReturnType<typeof committeeOverview>>;
