import "server-only";
// Prometheus metrics (issue 18 item 7), with prom-client: one registry per process. The console
// (Next.js) and `policyplane serve` expose it at GET /api/v1/metrics (server/api/metrics.ts); each
// replica reports its own counts, as Prometheus expects (sum them in PromQL).
import { sql } from "drizzle-orm";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Database } from "@/db/client";
import { decisionPointHealth } from "@/server/decide/point";
import { perProcess } from "@/server/lib/per-process";

export const METRICS_PREFIX = "policyplane_";

/** Request latency buckets in seconds: the decision point answers in about a millisecond, pages in tens to hundreds. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Sweeper runs take from milliseconds (nothing to do) to minutes (a large retention purge). */
export const SWEEP_BUCKETS = [0.005, 0.025, 0.1, 0.5, 1, 5, 15, 60, 300];

/** What is known of the database pool (postgres-js exposes no counts of busy or idle connections; see README "Metrics"). */
export interface DatabasePool {
  kind: "postgres" | "pglite";
  /** Connections the pool may open (PGlite: one, in process). */
  maxConnections: number;
}

function build() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: METRICS_PREFIX });
  const m = {
    registry,
    httpRequests: new Counter({
      name: `${METRICS_PREFIX}http_requests_total`,
      help: "HTTP requests answered, by route pattern (never the raw path), method and status code.",
      labelNames: ["app", "method", "route", "status"] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: `${METRICS_PREFIX}http_request_duration_seconds`,
      help: "Time from receiving a request to its response, by route pattern and method.",
      labelNames: ["app", "method", "route"] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    decisions: new Counter({
      name: `${METRICS_PREFIX}decisions_total`,
      help: "Answers of POST /api/v1/decide by verdict and source: release (the release in force), dry_run (a change request's proposal), fail_closed (no release loaded, database unreachable).",
      labelNames: ["verdict", "source"] as const,
      registers: [registry],
    }),
    decideDuration: new Histogram({
      name: `${METRICS_PREFIX}decide_duration_seconds`,
      help: "Time to decide one flow (authentication, engine or cache), by verdict.",
      labelNames: ["verdict"] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    cacheLookups: new Counter({
      name: `${METRICS_PREFIX}decide_cache_lookups_total`,
      help: "Decision cache lookups for release decisions, by result (hit or miss).",
      labelNames: ["result"] as const,
      registers: [registry],
    }),
    sweeperRuns: new Counter({
      name: `${METRICS_PREFIX}sweeper_runs_total`,
      help: "Runs of the background sweepers (exceptions: starts and expiries; flow_retention: samples and aggregates; flow_minute_close: aggregates closed into SIEM events) by outcome.",
      labelNames: ["sweeper", "outcome"] as const,
      registers: [registry],
    }),
    sweeperDuration: new Histogram({
      name: `${METRICS_PREFIX}sweeper_duration_seconds`,
      help: "Duration of a sweeper run.",
      labelNames: ["sweeper"] as const,
      buckets: SWEEP_BUCKETS,
      registers: [registry],
    }),
    sweeperLastSuccess: new Gauge({
      name: `${METRICS_PREFIX}sweeper_last_success_timestamp_seconds`,
      help: "Unix time of the sweeper's last successful run (alert when it stops moving).",
      labelNames: ["sweeper"] as const,
      registers: [registry],
    }),
    sweeperItems: new Counter({
      name: `${METRICS_PREFIX}sweeper_items_total`,
      help: "What the sweepers changed: exceptions started or expired, flow aggregates deleted, sample sets cleared.",
      labelNames: ["sweeper", "item"] as const,
      registers: [registry],
    }),
    pool: null as DatabasePool | null,
    /** prom-client children by label values (see `child`). */
    children: new Map<string, { inc(): void } | { observe(value: number): void }>(),
  };
  new Gauge({
    name: `${METRICS_PREFIX}decide_cache_hit_ratio`,
    help: "Share of release decisions answered from the cache since this process started (hits / lookups; 0 before any).",
    registers: [registry],
    collect() {
      const { hits, misses } = decisionPointHealth().cache;
      this.set(hits + misses === 0 ? 0 : hits / (hits + misses));
    },
  });
  new Gauge({
    name: `${METRICS_PREFIX}decide_loaded_releases`,
    help: "Release number of each cluster's engine loaded by this decision point.",
    labelNames: ["cluster"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const c of decisionPointHealth().clusters) this.set({ cluster: c.cluster }, c.release);
    },
  });
  new Gauge({
    name: `${METRICS_PREFIX}database_pool_max_connections`,
    help: "Connections the database pool may open (PGlite: one, in process).",
    labelNames: ["kind"] as const,
    registers: [registry],
    collect() {
      this.reset();
      if (m.pool) this.set({ kind: m.pool.kind }, m.pool.maxConnections);
    },
  });
  const up = new Gauge({
    name: `${METRICS_PREFIX}database_up`,
    help: "1 when a `select 1` through the pool answered at this scrape, else 0.",
    registers: [registry],
  });
  const ping = new Gauge({
    name: `${METRICS_PREFIX}database_ping_seconds`,
    help: "Round trip of the scrape's `select 1` through the pool (includes waiting for a free connection).",
    registers: [registry],
  });
  return Object.assign(m, {
    /** Probe the database (at most PING_TIMEOUT_MS) and fill database_up and database_ping_seconds. */
    async probeDatabase(getDb: () => Promise<Database>): Promise<void> {
      const started = performance.now();
      try {
        await withTimeout(
          getDb().then((db) => db.execute(sql`select 1`)),
          PING_TIMEOUT_MS,
        );
        up.set(1);
        ping.set((performance.now() - started) / 1000);
      } catch {
        up.set(0);
        ping.set(NaN);
      }
    },
  });
}

const PING_TIMEOUT_MS = 2000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** This process's metrics (built on first use). */
export const metrics = perProcess("Metrics", build);

/** Say what the database pool is (the console's runtime and `policyplane serve` call this once they open it). */
export function observeDatabasePool(pool: DatabasePool): void {
  metrics().pool = pool;
}

/** The exposition (text format 0.0.4) after probing the database. */
export async function renderMetrics(getDb: () => Promise<Database>): Promise<{ contentType: string; body: string }> {
  const m = metrics();
  await m.probeDatabase(getDb);
  return { contentType: m.registry.contentType, body: await m.registry.metrics() };
}

/** Time one run of a sweeper and count it: ok or failed, with what it changed. Rethrows the run's error. */
export async function timedSweep<T>(sweeper: string, run: () => Promise<T>, items: (result: T) => Record<string, number>): Promise<T> {
  const m = metrics();
  const end = m.sweeperDuration.startTimer({ sweeper });
  try {
    const result = await run();
    m.sweeperRuns.inc({ sweeper, outcome: "ok" });
    m.sweeperLastSuccess.set({ sweeper }, Date.now() / 1000);
    for (const [item, n] of Object.entries(items(result))) if (n > 0) m.sweeperItems.inc({ sweeper, item }, n);
    return result;
  } catch (error) {
    m.sweeperRuns.inc({ sweeper, outcome: "failed" });
    throw error;
  } finally {
    end();
  }
}

/** A fetch handler counted and timed under one route label (the console's tRPC endpoint). */
export function countedHandler(app: string, route: string, handle: (request: Request) => Promise<Response>) {
  return async (request: Request): Promise<Response> => {
    const started = performance.now();
    let status = 500;
    try {
      const response = await handle(request);
      status = response.status;
      return response;
    } finally {
      recordRequest({ app, method: request.method, route }, status, started);
    }
  };
}

/**
 * The metric's child for these label values, made once: prom-client hashes a label object on every call,
 * which costs microseconds for a fresh object and a fraction of one for a kept one (the decision point's hot path).
 */
function child<C extends { inc(): void } | { observe(value: number): void }>(key: string, make: () => C): C {
  const children = metrics().children;
  let found = children.get(key) as C | undefined;
  if (!found) children.set(key, (found = make()));
  return found;
}

/** One answered request: its latency since `started` (performance.now()) and its status. */
export function recordRequest(labels: { app: string; method: string; route: string }, status: number, started: number): void {
  const m = metrics();
  const key = `${labels.app} ${labels.method} ${labels.route}`;
  child(`request ${key}`, () => m.httpDuration.labels(labels)).observe((performance.now() - started) / 1000);
  child(`request ${key} ${status}`, () => m.httpRequests.labels({ ...labels, status: String(status) })).inc();
}

/** One answer of the decision point: its verdict, where it came from and the time since `started`. */
export function recordDecision(verdict: "allow" | "deny", source: "release" | "dry_run" | "fail_closed", started: number): void {
  const m = metrics();
  child(`decision ${verdict} ${source}`, () => m.decisions.labels({ verdict, source })).inc();
  child(`decide ${verdict}`, () => m.decideDuration.labels({ verdict })).observe((performance.now() - started) / 1000);
}

/** One lookup in the decision cache. */
export function recordCacheLookup(hit: boolean): void {
  const result = hit ? "hit" : "miss";
  child(`cache ${result}`, () => metrics().cacheLookups.labels({ result })).inc();
}
