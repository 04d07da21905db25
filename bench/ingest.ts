/**
 * Flow ingestion benchmark (issue 17, performance): records per second through POST /api/v1/flows with
 * the engine's attribution (gunzip, Hubble parsing, the engine against the release in force,
 * aggregation and the upserts), on the demo organisation. Target: >= 50,000 records/s into
 * PostgreSQL; the PGlite figure is stated.
 *
 * Mode "serve" (the default) measures it as a user runs it, over real sockets between processes:
 * `policyplane serve` (its own process, on a fresh PostgreSQL database through DATABASE_URL, or on a
 * PGlite folder) receiving
 *   1. `policyplane ingest --server URL --token T --flows flows.jsonl` (its own process), then
 *   2. BENCH_SENDERS concurrent HTTP senders (keep-alive) posting gzip batches of 5,000 lines
 *      (a cluster's nodes each running their own sender).
 * Mode "in-process" posts the same batches through the REST app's handler (`app.request`) in this
 * process, without sockets or a second process.
 *
 *   npx tsx --conditions=react-server bench/ingest.ts                         # serve mode, PGlite folder
 *   TEST_DB=postgres npx tsx --conditions=react-server bench/ingest.ts        # serve mode, fresh database on TEST_POSTGRES_URL
 *   BENCH_MODE=in-process TEST_DB=postgres …                                  # the handler in this process
 *   BENCH_RECORDS=600000 BENCH_SENDERS=2 BENCH_PROFILE=dir …                  # records per run, senders, serve's --cpu-prof folder
 *
 * Printed per run: records/s (wall), the server process's CPU per 1,000 records (read from /proc),
 * the PostgreSQL backends' CPU for the bench's database, the sender's; at the end the storage per day
 * at 10,000 flows/s, and a check that the violation events hold every denied flow exactly once.
 * Violation events are emitted by the minute closer once the runs are over, its cost printed apart
 * (see storage()). On a machine other work shares, CPU per 1,000 records is the figure that does
 * not depend on that load.
 *
 * Records: Hubble records (`hubble observe -o json` shape, with labels) between random pairs of the
 * demo's prod-eu-1 workloads on their ports, 10 % DROPPED, timed as a cluster sending 10,000 flows/s
 * (BENCH_RECORDS records cover BENCH_RECORDS / 10,000 seconds of traffic, each run its own minutes,
 * within the last hour as a live stream's are), for the storage of a day at that rate.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { eq, sql } from "drizzle-orm";
import { openDatabase, type Database } from "../db/client";
import { createPostgresTestDatabase, openTestDatabase, testDatabaseKind } from "../db/testing";
import * as t from "../db/schema";
import { IngestAlertTrigger } from "../server/alerts/on-ingest";
import { closeMinutes } from "../server/flows/close";
import { createApiApp } from "../server/api/app";
import { seedDemoOrganisation } from "../server/seed/demo";
import { loadClusterModels } from "../server/inventory/cluster-model";
import { createCaller } from "../server/trpc/root";
import { loadGrants } from "../server/auth/authorize";
import { machineDescription } from "./lib/report";

const MODE = process.env.BENCH_MODE ?? "serve";
/** Records per run (each run its own minutes of traffic). */
const RECORDS = Number(process.env.BENCH_RECORDS ?? 300_000);
/** Concurrent senders of the HTTP run (serve mode), or batches in flight at once (in-process mode). */
const SENDERS = Number(process.env.BENCH_SENDERS ?? process.env.BENCH_CONCURRENCY ?? 2);
/** A folder for serve's --cpu-prof profile (serve mode). */
const PROFILE_DIR = process.env.BENCH_PROFILE;
const BATCH = 5_000;
const TARGET = 50_000;
/** The input rate the records are timed at, and the storage figure's premise. */
const FLOWS_PER_SECOND = 10_000;
const CLUSTER = "prod-eu-1";
const root = join(import.meta.dirname, "..");

interface Setup {
  token: string;
  /** Run `run`'s records as JSON lines. */
  lines(run: number): string[];
}

/** Seeds the demo organisation, makes a flows token, and the records' generator over prod-eu-1's workloads. */
async function prepare(db: Database): Promise<Setup> {
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
  const [cluster] = await loadClusterModels(db, [CLUSTER]);
  const workloads = cluster!.model.workloads.filter((w) => w.ports.length > 0 || w.kind !== "Job");
  const labels = (w: (typeof workloads)[number]) => [
    ...Object.entries(w.labels).map(([k, v]) => `k8s:${k}=${v}`),
    `k8s:io.kubernetes.pod.namespace=${w.namespace}`,
  ];
  const runMs = Math.ceil(RECORDS / FLOWS_PER_SECOND / 60) * 60_000;
  // Live traffic: within the last hour, each run on whole minutes of its own.
  const base = Math.floor((Date.now() - 50 * 60_000) / 60_000) * 60_000;
  const lines = (run: number) => {
    let seed = 42 + run;
    const rand = (n: number) => (seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) % n;
    const start = base + run * runMs;
    const out: string[] = [];
    for (let i = 0; i < RECORDS; i++) {
      const s = workloads[rand(workloads.length)]!;
      const d = workloads[rand(workloads.length)]!;
      const port = d.ports[rand(Math.max(1, d.ports.length))]?.port ?? 8080;
      const time = new Date(start + Math.floor((i * 1000) / FLOWS_PER_SECOND)).toISOString();
      out.push(
        JSON.stringify({
          flow: {
            time,
            verdict: rand(10) === 0 ? "DROPPED" : "FORWARDED",
            IP: { source: "10.0.0.1", destination: "10.0.0.2", ipVersion: "IPv4" },
            l4: { TCP: { source_port: 30000 + rand(30000), destination_port: port } },
            source: { namespace: s.namespace, pod_name: `${s.name}-6c8d7f9b4-${(i % 7).toString().padStart(5, "a")}`, labels: labels(s) },
            destination: { namespace: d.namespace, pod_name: `${d.name}-6c8d7f9b4-abcde`, labels: labels(d) },
            node_name: `${CLUSTER}/node-a`,
            Type: "L3_L4",
          },
          node_name: `${CLUSTER}/node-a`,
          time,
        }),
      );
    }
    return out;
  };
  return { token, lines };
}

const gzipBatches = (lines: string[]) => {
  const batches: Uint8Array<ArrayBuffer>[] = [];
  for (let b = 0; b < lines.length; b += BATCH) batches.push(new Uint8Array(gzipSync(lines.slice(b, b + BATCH).join("\n"))));
  return batches;
};

const flowsUrl = (base: string) => `${base}/api/v1/flows?cluster=${CLUSTER}`;
const postInit = (token: string, body: Uint8Array<ArrayBuffer>): RequestInit => ({
  method: "POST",
  headers: { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson", "content-encoding": "gzip" },
  body,
});

/** Posts every batch with `senders` in flight at once; the records accepted. */
async function sendAll(
  post: (body: Uint8Array<ArrayBuffer>) => Response | Promise<Response>,
  batches: Uint8Array<ArrayBuffer>[],
  senders: number,
) {
  let accepted = 0;
  const queue = [...batches];
  await Promise.all(
    Array.from({ length: senders }, async () => {
      for (let body = queue.shift(); body; body = queue.shift()) {
        const r = await post(body);
        if (r.status !== 200) throw new Error(`HTTP ${r.status} ${await r.text()}`);
        accepted += ((await r.json()) as { accepted: number }).accepted;
      }
    }),
  );
  return accepted;
}

/** CPU seconds (user + system) a process of this machine has used, from /proc. */
function processCpuS(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ
}

interface Figures {
  records: number;
  seconds: number;
  serverCpuS: number;
  pgCpuS: number | null;
  senderCpuS: number;
}

function report(label: string, f: Figures) {
  const rate = f.records / f.seconds;
  const per1k = (s: number) => `${((s * 1000 * 1000) / f.records).toFixed(1)} ms`;
  console.log(
    `${label}: ${f.records.toLocaleString("en")} records in ${f.seconds.toFixed(2)} s = ${Math.round(rate).toLocaleString("en")} records/s (target >= ${TARGET.toLocaleString("en")}/s on PostgreSQL)`,
  );
  console.log(
    `  CPU per 1,000 records: server ${per1k(f.serverCpuS)}${f.pgCpuS === null ? "" : `, PostgreSQL backends ${per1k(f.pgCpuS)}`}, sender ${per1k(f.senderCpuS)}` +
      ` (server + database = ${Math.round(f.records / (f.serverCpuS + (f.pgCpuS ?? 0))).toLocaleString("en")} records per CPU-second)`,
  );
}

/**
 * Storage per day at FLOWS_PER_SECOND. Aggregates are bounded per minute (one row per path and
 * minute, whatever the rate): their live size per minute of traffic (after VACUUM FULL: the
 * upserts' dead row versions are space autovacuum reuses) × 1,440. Violation events are too (one
 * per denied path and minute, emitted when the minute closes, plus late deltas): the minutes the
 * server's closer has not closed yet are closed here first, then their live size per minute × 1,440.
 * Checked: every denied flow is in exactly one event (per path and minute, the events add up to its count).
 */
async function storage(db: Database, records: number) {
  // (The records are timed up to 50 minutes back, replayed faster than they were observed: the
  // server's closer waits FLOW_CLOSE_GRACE_SECONDS=7200 here, or it would close minutes whose records
  // are still being sent. Closing them all once costs what its passes would have, measured here.)
  const pg0 = await postgresCpuS(db);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const closed = await closeMinutes(db, { graceSeconds: 0, now: new Date(Date.now() + 3_600_000) });
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const pg1 = await postgresCpuS(db);
  console.log(
    `minute closer: ${closed.toLocaleString("en")} aggregates closed in ${ms.toFixed(0)} ms, CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms in this process` +
      `${pg0 === null ? "" : ` + ${((pg1! - pg0) * 1000).toFixed(0)} ms PostgreSQL`} (${((((cpu.user + cpu.system) / 1000 + (pg0 === null ? 0 : (pg1! - pg0) * 1000)) * 1000) / records).toFixed(2)} ms per 1,000 records)`,
  );
  const [emitted] = await rows<{ denied: number; denied_flows: string; events: number; event_flows: string; paths_with_late: number }>(
    db,
    sql`select (select count(*)::int from flow_aggregates where flow_class <> 'allowed') as denied,
      (select coalesce(sum(count), 0)::text from flow_aggregates where flow_class <> 'allowed') as denied_flows,
      (select count(*)::int from violation_events) as events, (select coalesce(sum(count), 0)::text from violation_events) as event_flows,
      (select count(*)::int from (select aggregate_id from violation_events group by aggregate_id having count(*) > 1) l) as paths_with_late`,
  );
  const sizes = async () =>
    (
      await rows<{ aggregates: string; events: string; n: number; flows: string; minutes: number }>(
        db,
        sql`select pg_total_relation_size('flow_aggregates')::text as aggregates, pg_total_relation_size('violation_events')::text as events,
          (select count(*)::int from flow_aggregates) as n, (select coalesce(sum(count), 0)::text from flow_aggregates) as flows,
          (select count(distinct minute)::int from flow_aggregates) as minutes`,
      )
    )[0]!;
  const written = await sizes();
  await db.execute(sql`vacuum full flow_aggregates`);
  await db.execute(sql`vacuum full violation_events`);
  const live = await sizes();
  const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
  const gib = (b: number) => `${(b / 1024 ** 3).toFixed(2)} GiB`;
  const aggregatesPerDay = (Number(live.aggregates) / live.minutes) * 1440;
  const eventsPerDay = (Number(live.events) / live.minutes) * 1440;
  console.log(
    `stored: ${live.n.toLocaleString("en")} aggregates in ${live.minutes} minutes for ${Number(live.flows).toLocaleString("en")} flows: flow_aggregates ${mib(Number(written.aggregates))} as written, ${mib(Number(live.aggregates))} live; violation_events ${mib(Number(live.events))}`,
  );
  console.log(
    `violation events: ${emitted!.events.toLocaleString("en")} for ${emitted!.denied.toLocaleString("en")} denied path-minutes (${emitted!.paths_with_late} with a late delta), ${Number(emitted!.event_flows).toLocaleString("en")} flows in them of ${Number(emitted!.denied_flows).toLocaleString("en")} denied`,
  );
  console.log(
    `storage per day at ${FLOWS_PER_SECOND.toLocaleString("en")} flows/s: aggregates ${gib(aggregatesPerDay)} (${Math.round(live.n / live.minutes).toLocaleString("en")} per minute), violation events ${gib(eventsPerDay)} (${Math.round(emitted!.events / live.minutes).toLocaleString("en")} per minute), ${gib(aggregatesPerDay + eventsPerDay)} in all`,
  );
  if (emitted!.event_flows !== emitted!.denied_flows || emitted!.events < emitted!.denied)
    throw new Error(
      `violation events hold ${emitted!.event_flows} flows in ${emitted!.events} events for ${emitted!.denied_flows} denied flows in ${emitted!.denied} path-minutes`,
    );
  // Rows written per record (load-independent): what aggregation and group commit save the database.
  // (PostgreSQL only: an embedded database's statistics stay in the process that wrote.)
  if (testDatabaseKind() !== "postgres") return checkFlows(live.flows, records);
  await new Promise((r) => setTimeout(r, 1500)); // the servers' table statistics reach the shared view within a second
  const [writes] = await rows<{ aggregates: string; events: string }>(
    db,
    sql`select (select n_tup_ins + n_tup_upd from pg_stat_user_tables where relname = 'flow_aggregates')::text as aggregates,
      (select n_tup_ins from pg_stat_user_tables where relname = 'violation_events')::text as events`,
  );
  console.log(
    `rows written per 1,000 records: ${((Number(writes!.aggregates) * 1000) / records).toFixed(0)} aggregate upserts (and closes), ${((Number(writes!.events) * 1000) / records).toFixed(1)} violation events`,
  );
  checkFlows(live.flows, records);
}

function checkFlows(stored: string, records: number) {
  if (Number(stored) !== records) throw new Error(`stored ${stored} flows for ${records} records sent`);
}

async function rows<T>(db: Database, query: ReturnType<typeof sql>): Promise<T[]> {
  const r = await db.execute(query);
  return (Array.isArray(r) ? r : (r as unknown as { rows: T[] }).rows) as T[];
}

/** CPU time (s) the PostgreSQL backends serving this database have used, when the server runs on this machine (else null). */
async function postgresCpuS(db: Database): Promise<number | null> {
  if (testDatabaseKind() !== "postgres") return null;
  const pids = (await rows<{ pid: number }>(db, sql`select pid from pg_stat_activity where datname = current_database()`)).map(
    (r) => r.pid,
  );
  let s = 0;
  for (const pid of pids) {
    try {
      s += processCpuS(pid);
    } catch {
      return null; // not on this machine
    }
  }
  return s;
}

/** The handler in this process (`app.request`): no sockets, no second process. */
async function inProcess() {
  const handle = await openTestDatabase();
  const db = handle.db;
  const setup = await prepare(db);
  // As the server runs it: the alert rules a batch can affect are evaluated after it commits (debounced).
  const alertsOnIngest = new IngestAlertTrigger(async () => db, {
    minIntervalMs: 1000,
    log: (message, error) => console.error(message, error ?? ""),
  });
  const api = createApiApp(async () => db, { alertsOnIngest });
  const post = (body: Uint8Array<ArrayBuffer>) => api.request(flowsUrl(""), postInit(setup.token, body));
  const batches = gzipBatches(setup.lines(0));
  // Warm-up: the engine is built for the cluster on its first batch.
  const warm = await post(gzipBatches(setup.lines(99).slice(0, BATCH))[0]!);
  if (warm.status !== 200) throw new Error(`warm-up batch: HTTP ${warm.status} ${await warm.text()}`);
  const pg0 = await postgresCpuS(db);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const records = await sendAll(post, batches, SENDERS);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const pg1 = await postgresCpuS(db);
  console.log(`database: ${testDatabaseKind()}, mode in-process (app.request), ${SENDERS} batch(es) in flight`);
  report("in-process", {
    records,
    seconds,
    serverCpuS: (cpu.user + cpu.system) / 1e6,
    pgCpuS: pg0 === null ? null : pg1! - pg0,
    senderCpuS: 0,
  });
  await storage(db, records + BATCH);
  console.log(`machine: ${machineDescription()}`);
  await alertsOnIngest.settled();
  await handle.close();
}

/** Starts `policyplane serve` on the database; resolves with its URL once it listens. */
async function startServe(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string }> {
  const args = [
    ...(PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`] : []),
    join(root, "bin/policyplane.mjs"),
    "serve",
    "--port",
    "0",
    "--host",
    "127.0.0.1",
  ];
  const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)\/api\/v1/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`policyplane serve exited (${code}) before listening: ${out}`)));
  });
  return { child, url };
}

/** Runs `policyplane ingest` to its end: its wall time, CPU and totals. */
async function runIngestCli(url: string, token: string, file: string) {
  const reporter = join(mkdtempSync(join(tmpdir(), "pp-bench-cpu-")), "cpu.mjs");
  writeFileSync(
    reporter,
    'process.on("exit", () => { const u = process.cpuUsage(); process.stderr.write(`\\npp-cpu ${u.user + u.system}\\n`); });\n',
  );
  const child = spawn(
    process.execPath,
    [
      "--import",
      reporter,
      join(root, "bin/policyplane.mjs"),
      "ingest",
      "--server",
      url,
      "--token",
      token,
      "--cluster",
      CLUSTER,
      "--flows",
      file,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`policyplane ingest exited ${code}: ${stderr.slice(-2000)}`);
  const totals = JSON.parse(stdout.trim().split("\n").pop()!) as { accepted: number };
  return { accepted: totals.accepted, cpuS: Number(/pp-cpu (\d+)/.exec(stderr)?.[1] ?? Number.NaN) / 1e6 };
}

/** `policyplane serve` as its own process, fed by `policyplane ingest` and by concurrent HTTP senders. */
async function overSockets() {
  const kind = testDatabaseKind();
  const work = mkdtempSync(join(tmpdir(), "pp-bench-ingest-"));
  const pg = kind === "postgres" ? await createPostgresTestDatabase() : null;
  const target = pg ? ({ kind: "postgres", url: pg.url } as const) : ({ kind: "pglite", dataDir: join(work, "pglite") } as const);
  let handle = await openDatabase(target);
  const setup = await prepare(handle.db);
  const file = join(work, "flows.jsonl");
  writeFileSync(file, `${setup.lines(0).join("\n")}\n`);
  const batches = gzipBatches(setup.lines(1));
  const warmBatch = gzipBatches(setup.lines(99).slice(0, BATCH))[0]!;
  if (!pg) await handle.close(); // one process per PGlite folder: the server's, during the runs
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    POLICYPLANE_DEMO: "off",
    FLOW_CLOSE_GRACE_SECONDS: "7200",
    ...(pg ? { DATABASE_URL: pg.url } : { PGLITE_DIR: target.kind === "pglite" ? target.dataDir! : "" }),
  };
  const { child, url } = await startServe(env);
  console.log(
    `database: ${kind}, mode serve: \`policyplane serve\` (pid ${child.pid}) at ${url}${PROFILE_DIR ? `, profile in ${PROFILE_DIR}` : ""}`,
  );
  try {
    // Warm-up: the engine is built for the cluster on its first batch.
    const warm = await fetch(flowsUrl(url), postInit(setup.token, warmBatch));
    if (warm.status !== 200) throw new Error(`warm-up batch: HTTP ${warm.status} ${await warm.text()}`);
    await warm.text();

    const measure = async (label: string, run: () => Promise<{ records: number; senderCpuS: number }>) => {
      const server0 = processCpuS(child.pid!);
      const pg0 = pg ? await postgresCpuS(handle.db) : null;
      const t0 = performance.now();
      const { records, senderCpuS } = await run();
      const seconds = (performance.now() - t0) / 1000;
      const pg1 = pg ? await postgresCpuS(handle.db) : null;
      report(label, {
        records,
        seconds,
        serverCpuS: processCpuS(child.pid!) - server0,
        pgCpuS: pg0 === null ? null : pg1! - pg0,
        senderCpuS,
      });
      return records;
    };
    let records = BATCH;
    records += await measure("policyplane ingest (one process, stdin order)", async () => {
      const r = await runIngestCli(url, setup.token, file);
      return { records: r.accepted, senderCpuS: r.cpuS };
    });
    records += await measure(`${SENDERS} HTTP sender(s), keep-alive, gzip batches of ${BATCH.toLocaleString("en")}`, async () => {
      const cpu0 = process.cpuUsage();
      const n = await sendAll((body) => fetch(flowsUrl(url), postInit(setup.token, body)), batches, SENDERS);
      const cpu = process.cpuUsage(cpu0);
      return { records: n, senderCpuS: (cpu.user + cpu.system) / 1e6 };
    });
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
    if (!pg) handle = await openDatabase(target);
    await storage(handle.db, records);
  } finally {
    if (child.exitCode === null) child.kill("SIGTERM");
    await handle.close();
    await pg?.drop();
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`machine: ${machineDescription()}`);
}

await (MODE === "in-process" ? inProcess() : overSockets());
