/**
 * Flow ingestion benchmark (issue 17, performance): records per second through POST /api/v1/flows,
 * end to end in one process (the REST app's request handling, gunzip, Hubble parsing, the engine's
 * attribution against the release in force, aggregation and the upserts), on the demo organisation.
 * Target: >= 50,000 records/s into PostgreSQL; the PGlite figure is stated.
 *
 *   npx tsx --conditions=react-server bench/ingest.ts              # in-memory PGlite
 *   TEST_DB=postgres npx tsx --conditions=react-server bench/ingest.ts   # a fresh database on TEST_POSTGRES_URL (default 127.0.0.1:5432)
 *   BENCH_CONCURRENCY=2 …                                                # batches in flight at once (default 1)
 *
 * Besides the wall-clock rate it prints the CPU time spent: this process's (request handling,
 * parsing, the engine, aggregation; with PGlite also the database) and, for a PostgreSQL server on
 * this machine, its backends' for the bench's database (read from /proc). On a machine other work
 * shares, records per CPU-second is the figure that does not depend on that load.
 *
 * Records: Hubble records (`hubble observe -o json` shape, with labels) between random pairs of the
 * demo's prod-eu-1 workloads on their ports, 10 % DROPPED, spread over ten minutes, in gzip batches
 * of 5,000 lines sent one after the other (what `policyplane ingest` does).
 */
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { eq, sql } from "drizzle-orm";
import { openTestDatabase, testDatabaseKind } from "../db/testing";
import * as t from "../db/schema";
import { IngestAlertTrigger } from "../server/alerts/on-ingest";
import { createApiApp } from "../server/api/app";
import { seedDemoOrganisation } from "../server/seed/demo";
import { loadClusterModels } from "../server/inventory/cluster-model";
import { createCaller } from "../server/trpc/root";
import { loadGrants } from "../server/auth/authorize";
import { machineDescription } from "./lib/report";

const RECORDS = Number(process.env.BENCH_RECORDS ?? 200_000);
/** Batches in flight at once (senders: a cluster's nodes each run their own `policyplane ingest`). */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 1);
const BATCH = 5_000;
const TARGET = 50_000;

async function main() {
  const handle = await openTestDatabase();
  const db = handle.db;
  await seedDemoOrganisation(db);
  const [admin] = await db.select().from(t.user).where(eq(t.user.email, "alex.admin@acme.example"));
  const caller = createCaller({
    db,
    actor: { type: "user", id: admin!.id, label: admin!.email, grants: await loadGrants(db, admin!.id) },
    requestId: "bench",
  });
  const { token } = await caller.settings.createToken({
    name: "bench",
    role: "viewer",
    tenantId: null,
    scopes: ["flows"],
    expiresInDays: 1,
  });
  // As the server runs it: the alert rules a batch can affect are evaluated after it commits (debounced).
  const alertsOnIngest = new IngestAlertTrigger(async () => db, {
    minIntervalMs: 1000,
    log: (message, error) => console.error(message, error ?? ""),
  });
  const api = createApiApp(async () => db, { alertsOnIngest });

  const [cluster] = await loadClusterModels(db, ["prod-eu-1"]);
  const workloads = cluster!.model.workloads.filter((w) => w.ports.length > 0 || w.kind !== "Job");
  let seed = 42;
  const rand = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  const labels = (w: (typeof workloads)[number]) => [
    ...Object.entries(w.labels).map(([k, v]) => `k8s:${k}=${v}`),
    `k8s:io.kubernetes.pod.namespace=${w.namespace}`,
  ];
  const start = Date.now() - 10 * 60_000;
  const line = (i: number) => {
    const s = workloads[rand(workloads.length)]!;
    const d = workloads[rand(workloads.length)]!;
    const port = d.ports[rand(Math.max(1, d.ports.length))]?.port ?? 8080;
    const time = new Date(start + Math.floor((i / RECORDS) * 10 * 60_000)).toISOString();
    return JSON.stringify({
      flow: {
        time,
        verdict: rand(10) === 0 ? "DROPPED" : "FORWARDED",
        IP: { source: "10.0.0.1", destination: "10.0.0.2", ipVersion: "IPv4" },
        l4: { TCP: { source_port: 30000 + rand(30000), destination_port: port } },
        source: { namespace: s.namespace, pod_name: `${s.name}-6c8d7f9b4-${(i % 7).toString().padStart(5, "a")}`, labels: labels(s) },
        destination: { namespace: d.namespace, pod_name: `${d.name}-6c8d7f9b4-abcde`, labels: labels(d) },
        node_name: "prod-eu-1/node-a",
        Type: "L3_L4",
      },
      node_name: "prod-eu-1/node-a",
      time,
    });
  };
  const batches: Uint8Array<ArrayBuffer>[] = [];
  for (let b = 0; b < RECORDS; b += BATCH) {
    const lines: string[] = [];
    for (let i = b; i < Math.min(RECORDS, b + BATCH); i++) lines.push(line(i));
    batches.push(new Uint8Array(gzipSync(lines.join("\n"))));
  }
  const post = (body: Uint8Array<ArrayBuffer>) =>
    api.request("/api/v1/flows?cluster=prod-eu-1", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson", "content-encoding": "gzip" },
      body,
    });
  // Warm-up: the engine is built for the cluster on its first batch.
  const t0w = performance.now();
  const warm = await post(batches[0]!);
  if (warm.status !== 200) throw new Error(`warm-up batch: HTTP ${warm.status} ${await warm.text()}`);
  const warmMs = performance.now() - t0w;

  let accepted = 0;
  const pg0 = await postgresCpuMs(db);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const queue = batches.slice(1);
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let body = queue.shift(); body; body = queue.shift()) {
        const r = await post(body);
        if (r.status !== 200) throw new Error(`HTTP ${r.status} ${await r.text()}`);
        accepted += ((await r.json()) as { accepted: number }).accepted;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const nodeCpuS = (cpu.user + cpu.system) / 1e6;
  const pgCpuS = pg0 === null ? null : ((await postgresCpuMs(db))! - pg0) / 1000;
  const [stored] = await db.select({ rows: sql<number>`count(*)::int`, flows: sql<number>`sum(count)::int` }).from(t.flowAggregates);
  const [size] = await db
    .execute<{ bytes: string }>(sql`select pg_total_relation_size('flow_aggregates')::text as bytes`)
    .then((r) => (Array.isArray(r) ? r : ((r as { rows: { bytes: string }[] }).rows ?? [])));
  const rate = accepted / seconds;
  console.log(`database: ${testDatabaseKind()}`);
  console.log(`first batch (engine built for the cluster): ${BATCH} records in ${warmMs.toFixed(0)} ms`);
  console.log(
    `ingested: ${accepted.toLocaleString("en")} records in ${seconds.toFixed(2)} s = ${Math.round(rate).toLocaleString("en")} records/s (target >= ${TARGET.toLocaleString("en")}/s on PostgreSQL)`,
  );
  console.log(
    `stored: ${stored!.rows.toLocaleString("en")} aggregates for ${Number(stored!.flows).toLocaleString("en")} flows; flow_aggregates ${(Number(size?.bytes ?? 0) / 1024 / 1024).toFixed(1)} MiB`,
  );
  const cpuS = nodeCpuS + (pgCpuS ?? 0);
  console.log(
    `CPU: this process ${nodeCpuS.toFixed(2)} s${pgCpuS === null ? "" : `, PostgreSQL backends ${pgCpuS.toFixed(2)} s`} = ${Math.round(accepted / cpuS).toLocaleString("en")} records per CPU-second (${CONCURRENCY} batch(es) in flight)`,
  );
  console.log(`machine: ${machineDescription()}`);
  await alertsOnIngest.settled();
  await handle.close();
}

/** CPU time (ms) the PostgreSQL backends serving this database have used, when the server runs on this machine (else null). */
async function postgresCpuMs(db: Awaited<ReturnType<typeof openTestDatabase>>["db"]): Promise<number | null> {
  if (testDatabaseKind() !== "postgres") return null;
  const result = await db.execute<{ pid: number }>(sql`select pid from pg_stat_activity where datname = current_database()`);
  const pids = (Array.isArray(result) ? result : (result as unknown as { rows: { pid: number }[] }).rows).map((r) => r.pid);
  const ticksPerSecond = 100; // USER_HZ on Linux
  let ms = 0;
  for (const pid of pids) {
    try {
      // Fields after the command name: state is the 1st, utime the 12th, stime the 13th.
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      ms += ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
    } catch {
      return null; // not on this machine
    }
  }
  return ms;
}

await main();
