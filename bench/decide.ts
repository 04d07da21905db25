/**
 * Decision point benchmark (issue 18, performance): `policyplane serve` answering POST /api/v1/decide
 * against a bare node:http server answering a fixed JSON body, measured side by side in the same run
 * with autocannon (a separate process, so the load generator does not share the servers' event loop).
 * Both servers run in this process on an in-memory PGlite seeded with the demo organisation; the
 * decide flows rotate over the demo's workloads (answers cached per release and flow after the first).
 *
 * Then the same endpoint through the Next.js server (`npm start`, started by this script on its own
 * data folder, a token created by the signed-in demo admin), for its figure beside serve's.
 *
 *   npx tsx --conditions=react-server bench/decide.ts                   # 60 s per server
 *   npx tsx --conditions=react-server bench/decide.ts --seconds 10 --write
 *   npx tsx --conditions=react-server bench/decide.ts --skip-console    # without the Next.js figure
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { openDatabase } from "../db/client";
import { serveApi } from "../server/cli/commands/serve";
import { loadClusterModels } from "../server/inventory/cluster-model";
import { seedDemoOrganisation } from "../server/seed/demo";
import { demoActor } from "../server/testing/actors";
import { createCaller } from "../server/trpc/root";
import { signedInHeaders, startConsole, trpcCall } from "./lib/console";
import { machineDescription, writeSection, type Row } from "./lib/report";

const ROOT = join(import.meta.dirname, "..");
const WRITE = process.argv.includes("--write");
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SECONDS = arg("--seconds", 60);
const CONNECTIONS = arg("--connections", 10);
const CLUSTER = "prod-eu-1";
const CONSOLE_PORT = 3651;

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}

async function load(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<AutocannonResult> {
  const args = [join(ROOT, "node_modules/autocannon/autocannon.js"), "-c", String(CONNECTIONS), "-d", String(SECONDS), "--json"];
  if (options.method) args.push("-m", options.method);
  for (const [k, v] of Object.entries(options.headers ?? {})) args.push("-H", `${k}=${v}`);
  if (options.body) args.push("-b", options.body);
  args.push(url);
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout) as AutocannonResult;
}

const listen = (server: Server) =>
  new Promise<string>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );

async function main() {
  const handle = await openDatabase({ kind: "pglite", dataDir: null });
  await seedDemoOrganisation(handle.db);
  const admin = createCaller({ db: handle.db, actor: await demoActor(handle.db, "alex.admin@acme.example"), requestId: randomUUID() });
  const { token } = await admin.settings.createToken({
    name: "bench decision point",
    role: "viewer",
    tenantId: null,
    scopes: ["decide"],
    clusterId: null,
    expiresInDays: 1,
  });
  const [cluster] = await loadClusterModels(handle.db, [CLUSTER]);
  const workloads = cluster!.model.workloads.filter((w) => w.ports.length > 0);
  // One fixed flow per run (autocannon sends one body); the first call loads the engine.
  const flow = {
    cluster: CLUSTER,
    source: { namespace: workloads[0]!.namespace, pod: workloads[0]!.name },
    destination: { namespace: workloads[1]!.namespace, pod: workloads[1]!.name },
    port: workloads[1]!.ports[0]!.port,
  };
  const body = JSON.stringify(flow);

  const { server: api, url: apiUrl } = await serveApi(async () => handle.db, 0, "127.0.0.1");
  const headers = { "content-type": "application/json", authorization: `Bearer ${token}` };
  const first = await fetch(`${apiUrl}/api/v1/decide`, { method: "POST", headers, body });
  const answer = await first.text();
  if (first.status !== 200) throw new Error(`decide answered ${first.status}: ${answer}`);
  // The bare server answers a body of the same size, fixed.
  const bare = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(answer);
  });
  const bareUrl = await listen(bare);

  console.log(`decide: ${body} → ${answer}`);
  console.log(`autocannon: ${CONNECTIONS} connections, ${SECONDS} s per server`);
  // CPU time of this process (both servers; only the one under load is busy) per answered request: less
  // sensitive than throughput to what else the machine runs.
  const cpuPer = async (run: () => Promise<AutocannonResult>) => {
    const before = process.cpuUsage();
    const result = await run();
    const used = process.cpuUsage(before);
    return { result, cpuMicros: (used.user + used.system) / Math.max(1, result.requests.total) };
  };
  const { result: b, cpuMicros: bareCpu } = await cpuPer(() => load(bareUrl));
  console.log(
    `bare node:http: ${Math.round(b.requests.average)} req/s, p99 ${b.latency.p99} ms, errors ${b.errors + b.timeouts + b.non2xx}, ${Math.round(bareCpu)} µs CPU/request`,
  );
  const { result: d, cpuMicros: decideCpu } = await cpuPer(() => load(`${apiUrl}/api/v1/decide`, { method: "POST", headers, body }));
  console.log(
    `serve /decide:  ${Math.round(d.requests.average)} req/s, p99 ${d.latency.p99} ms, errors ${d.errors + d.timeouts + d.non2xx}, ${Math.round(decideCpu)} µs CPU/request`,
  );

  const throughNext = process.argv.includes("--skip-console") ? null : await throughConsole(flow);
  if (throughNext)
    console.log(
      `Next.js /decide: ${Math.round(throughNext.requests.average)} req/s, p99 ${throughNext.latency.p99} ms, errors ${throughNext.errors + throughNext.timeouts + throughNext.non2xx}`,
    );

  const ratio = d.requests.average / b.requests.average;
  const rows: Row[] = [
    ["bare node:http, fixed JSON body", `${Math.round(b.requests.average)} req/s, p99 ${b.latency.p99} ms`, "(reference)", true],
    [
      "`policyplane serve` POST /api/v1/decide",
      `${Math.round(d.requests.average)} req/s, p99 ${d.latency.p99} ms`,
      "≥ 50 % of bare",
      ratio >= 0.5,
    ],
    ["throughput ratio", `${Math.round(ratio * 100)} %`, "≥ 50 %", ratio >= 0.5],
    [
      "server CPU per request: bare / decide",
      `${Math.round(bareCpu)} µs / ${Math.round(decideCpu)} µs`,
      "(cost, independent of the machine's load)",
      true,
    ],
    ["decide p99 latency at that load", `${d.latency.p99} ms`, "< 10 ms", d.latency.p99 < 10],
    ["decide errors (errors + timeouts + non-2xx)", String(d.errors + d.timeouts + d.non2xx), "0", d.errors + d.timeouts + d.non2xx === 0],
    ...(throughNext
      ? ([
          [
            "the same POST /api/v1/decide through the Next.js server (`npm start`)",
            `${Math.round(throughNext.requests.average)} req/s, p99 ${throughNext.latency.p99} ms, errors ${throughNext.errors + throughNext.timeouts + throughNext.non2xx} (${Math.round((throughNext.requests.average / b.requests.average) * 100)} % of bare)`,
            "(stated beside serve's)",
            true,
          ],
        ] satisfies Row[])
      : []),
  ];
  console.table(rows.map(([what, value, target, ok]) => ({ what, value, target, ok })));
  if (WRITE)
    writeSection(
      join(ROOT, "docs/benchmarks.md"),
      "Decision point",
      `\`npx tsx --conditions=react-server bench/decide.ts --seconds ${SECONDS} --write\`: autocannon (${CONNECTIONS} connections, ${SECONDS} s each, in a separate process) against a bare node:http server answering a fixed JSON body and against \`policyplane serve\` answering POST /api/v1/decide with a machine token, one after the other in the same run, both servers in one process on an in-memory PGlite with the demo organisation.`,
      machineDescription(),
      rows,
      [
        "The decide figure covers token verification (a database read at most every 5 s per token), input validation, the answer cache, the decision log's sampling check (off in this run) and the JSON reply; the flow is the same for every call, so after the first it comes from the cache of the release.",
        throughNext
          ? "Through the Next.js server the request passes Next's routing and its route handler before the same REST app; that server runs in its own process (the console as `npm start` serves it, on its own embedded database with the demo organisation), measured after the other two."
          : "Through the Next.js server (`/api/v1/decide` under `npm start`) the same endpoint was not measured in this run (--skip-console).",
        "Profiled with the inspector during the load: after the move to @hono/node-server (lazy Request, string bodies written without streams) no single hot spot was left in the Hono path — adapter, routing and context, middleware, prom-client's label hashing, zod. `policyplane serve` now answers POST /api/v1/decide in its node:http listener before Hono (server/api/decide-lean.ts: the same decision core, edge checks, error bodies and request metrics, proven equal to the app's route by server/api/decide-lean.int.test.ts), checks the common body shape by hand before zod, serialises the reply from the answer's cached reasons, and keeps prom-client children per label set. What remains in the profile beyond the bare server's work is the socket write, reading and parsing the body, the token's SHA-256 and the metrics.",
        "Server CPU per request is this process's CPU time over the requests answered: the cost of one answer, which a busy machine bends far less than it bends throughput. Throughput and p99 depend on what else the machine runs (read the load average above); the ratio compares two servers measured one after the other in the same run.",
      ],
    );
  await new Promise((r) => api.close(r));
  await new Promise((r) => bare.close(r));
  await handle.close();
}

/** The same flow through the console's Next.js server: started on its own data folder, a decide token made by the demo admin. */
async function throughConsole(flow: object): Promise<AutocannonResult> {
  const dir = mkdtempSync(join(tmpdir(), "pp-bench-decide-console-"));
  const running = await startConsole(CONSOLE_PORT, dir);
  try {
    const session = await signedInHeaders(running.url);
    const { token } = await trpcCall<{ token: string }>(
      running.url,
      session,
      "settings.createToken",
      { name: "bench decision point", role: "viewer", tenantId: null, scopes: ["decide"], clusterId: null, expiresInDays: 1 },
      true,
    );
    const headers = { "content-type": "application/json", authorization: `Bearer ${token}` };
    const body = JSON.stringify(flow);
    const first = await fetch(`${running.url}/api/v1/decide`, { method: "POST", headers, body });
    if (first.status !== 200) throw new Error(`decide through Next.js answered ${first.status}: ${await first.text()}`);
    return await load(`${running.url}/api/v1/decide`, { method: "POST", headers, body });
  } finally {
    running.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
