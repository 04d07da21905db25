/**
 * The console stays responsive during a replay (issue 15): the console as `npm start` serves it
 * (production build, embedded database, demo organisation), a dataset of Hubble records (bench/replay.ts's
 * generator) uploaded through `POST /api/v1/replay/datasets` with a signed-in session, a run started
 * as the Simulator page starts it (`simulator.startRun`), and meanwhile, once a second, the pages a
 * user would open timed as requests: the Simulator page's HTML and the run's own status query.
 * Target: a page request during the run answers in < 200 ms. The run's own time is printed beside
 * `policyplane replay`'s over the same file (bench/replay.ts measures that one against its floor).
 *
 *   npx tsx bench/replay-page.ts                      # starts the console on port 3650 (builds it when needed)
 *   npx tsx bench/replay-page.ts --url http://127.0.0.1:3000 --records 200000
 *   npx tsx bench/replay-page.ts --port 3315 --records 200000   # another port for the console it starts
 */
import { createReadStream, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { cliClusterYaml } from "./lib/cli-cluster";
import { signedInHeaders, startConsole, trpcCall, type RunningConsole } from "./lib/console";
import { machineDescription } from "./lib/report";
import { writeRecords } from "./replay";

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const RECORDS = Number(arg("--records") ?? 1_000_000);
const PORT = Number(arg("--port") ?? 3650);

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "pp-bench-replay-page-"));
  let running: RunningConsole | undefined;
  try {
    const given = arg("--url");
    if (!given) running = await startConsole(PORT, join(work, "data"));
    const url = given ?? running!.url;
    const headers = await signedInHeaders(url);
    const query = <T>(procedure: string, input: unknown) => trpcCall<T>(url, headers, procedure, input);

    mkdirSync(join(work, "flows"), { recursive: true });
    const flows = join(work, "flows", "flows.jsonl");
    await writeRecords(flows, cliClusterYaml().pods, RECORDS);
    const size = statSync(flows).size;
    console.log(`generated ${RECORDS.toLocaleString("en")} Hubble records (${(size / 2 ** 20).toFixed(0)} MiB)`);

    let t = performance.now();
    const uploaded = await fetch(`${url}/api/v1/replay/datasets?name=${encodeURIComponent(`bench ${RECORDS} records`)}`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/x-ndjson", "content-length": String(size) },
      body: Readable.toWeb(createReadStream(flows)) as ReadableStream,
      duplex: "half",
    } as RequestInit);
    if (uploaded.status !== 201) throw new Error(`upload: ${uploaded.status} ${await uploaded.text()}`);
    const dataset = (await uploaded.json()) as { id: string };
    for (;;) {
      const d = await query<{ state: string; records: number; error?: string | null }>("simulator.dataset", { id: dataset.id });
      if (d.state === "failed") throw new Error(`dataset failed: ${d.error}`);
      if (d.state === "ready") break;
      await new Promise((r) => setTimeout(r, 500));
    }
    console.log(`upload and scan: ${((performance.now() - t) / 1000).toFixed(1)} s`);

    // Warm: the first render of a page after start-up compiles and caches what a user never waits for again.
    for (let i = 0; i < 3; i++) await (await fetch(`${url}/simulator`, { headers })).text();
    const timePage = async () => {
      const s = performance.now();
      const page = await fetch(`${url}/simulator`, { headers });
      await page.text();
      if (!page.ok) throw new Error(`GET /simulator: ${page.status}`);
      return performance.now() - s;
    };
    // The server's own event-loop delay, from its Prometheus metrics (prom-client resets the histogram at
    // each scrape): scraped once before the run starts and once after it ends, the second covers the run.
    const metricsToken = await trpcCall<{ token: string }>(
      url,
      headers,
      "settings.createToken",
      { name: `bench replay-page ${Date.now()}`, role: "viewer", tenantId: null, scopes: ["metrics"], expiresInDays: 1 },
      true,
    );
    const eventLoopDelay = async () => {
      const response = await fetch(`${url}/api/v1/metrics`, { headers: { authorization: `Bearer ${metricsToken.token}` } });
      if (!response.ok) throw new Error(`GET /api/v1/metrics: ${response.status} ${await response.text()}`);
      const text = await response.text();
      const gauge = (name: string) => {
        const m = new RegExp(`^policyplane_nodejs_eventloop_lag_${name}_seconds (\\S+)$`, "m").exec(text);
        if (!m) throw new Error(`no eventloop_lag_${name} in the metrics`);
        return Number(m[1]) * 1000;
      };
      return { p99: gauge("p99"), max: gauge("max") };
    };
    // The same page with no run going: what the machine's load alone costs (the scrape resets the delay histogram).
    await eventLoopDelay();
    const idleTimes: number[] = [];
    for (let i = 0; i < 8; i++) {
      idleTimes.push(await timePage());
      await new Promise((r) => setTimeout(r, 250));
    }

    const idleDelay = await eventLoopDelay();
    t = performance.now();
    const run = await trpcCall<{ id: string }>(url, headers, "simulator.startRun", { datasetId: dataset.id, changeNumber: null }, true);

    // While it runs: the Simulator page (server-rendered HTML) and the run's status, timed once a second each.
    const pageTimes: number[] = [];
    const statusTimes: number[] = [];
    let state = "running";
    while (state === "running") {
      pageTimes.push(await timePage());
      const s = performance.now();
      state = (await query<{ state: string }>("simulator.run", { id: run.id })).state;
      statusTimes.push(performance.now() - s);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const runSeconds = (performance.now() - t) / 1000;
    const runDelay = await eventLoopDelay();
    if (state !== "succeeded") throw new Error(`the run ended ${state}`);

    const stats = (xs: number[]) => {
      const sorted = [...xs].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
      return `median ${at(0.5).toFixed(0)} ms, p95 ${at(0.95).toFixed(0)} ms, max ${sorted[sorted.length - 1]!.toFixed(0)} ms over ${xs.length} requests`;
    };
    const worst = Math.max(...pageTimes, ...statusTimes);
    console.log(
      `console run: ${runSeconds.toFixed(1)} s for ${RECORDS.toLocaleString("en")} records (${Math.round(RECORDS / runSeconds).toLocaleString("en")} records/s)`,
    );
    console.log(`GET /simulator with no run going: ${stats(idleTimes)}`);
    console.log(`GET /simulator during the run: ${stats(pageTimes)}`);
    console.log(`simulator.run status query during the run: ${stats(statusTimes)}`);
    console.log(`server event-loop delay with no run going: p99 ${idleDelay.p99.toFixed(0)} ms, max ${idleDelay.max.toFixed(0)} ms`);
    console.log(`server event-loop delay during the run: p99 ${runDelay.p99.toFixed(0)} ms, max ${runDelay.max.toFixed(0)} ms`);
    console.log(`page requests during a run < 200 ms: ${worst < 200 ? "met" : "MISSED"} (slowest ${worst.toFixed(0)} ms)`);
    console.log(`machine: ${machineDescription()}`);
  } finally {
    running?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
