/**
 * Replay from the console vs the CLI (issue 15): the same Hubble records (bench/replay.ts's
 * generator) over the same inventory (bench/lib/cli-cluster.ts's namespaces and pods, without its
 * policies: the console's proposals are Policyplane documents, the CLI's Kubernetes manifests, so
 * only the inventory is common), decided twice by each:
 * - the CLI as a process: `policyplane replay --output summary` (its reader uses parse workers);
 * - the console's run: the Simulator's worker thread (server/simulator/run-worker.ts, bundled as
 *   the server bundles it), started from this process, whose event loop stands for the server's
 *   (its delay during the run is printed: pages answer from that loop).
 * Target: console ≤ 2 × CLI.
 *
 *   npx tsx bench/replay-console.ts --records 200000
 */
import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { buildEngineWorker, ENGINE_WORKER_DIR } from "../scripts/engine-worker.mjs";
import { readManifestSources } from "../server/policy/read/manifests";
import { PLATFORM_DEFAULT_OFF } from "../server/policy/model";
import type { RunInput, RunResult, WorkFailure } from "../server/simulator/work";
import { cliClusterYaml } from "./lib/cli-cluster";
import { timedProcess } from "./lib/process";
import { machineDescription } from "./lib/report";
import { writeRecords } from "./replay";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = join(root, "bin", "policyplane.mjs");
const recordsArg = process.argv.indexOf("--records");
const RECORDS = recordsArg > 0 ? Number(process.argv[recordsArg + 1]) : 1_000_000;
const dir = join(tmpdir(), `pp-bench-replay-console-${process.pid}`);

async function consoleRun(workerFile: string, input: RunInput): Promise<{ seconds: number; maxDelayMs: number; result: RunResult }> {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const t = performance.now();
  const worker = new Worker(workerFile, { workerData: { task: "run", input }, resourceLimits: { maxOldGenerationSizeMb: 1024 } });
  const result = await new Promise<RunResult | WorkFailure>((resolve, reject) => {
    worker.on("message", (m: { type: string; result?: RunResult | WorkFailure }) => m.type === "result" && resolve(m.result!));
    worker.on("error", reject);
  });
  const seconds = (performance.now() - t) / 1000;
  delay.disable();
  await worker.terminate();
  if (!result.ok) throw new Error(`console run failed: ${result.error}`);
  return { seconds, maxDelayMs: delay.max / 1e6, result };
}

async function main(): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const { yaml, pods } = cliClusterYaml();
  // The inventory only: Namespaces and Pods.
  const inventory = yaml
    .split(/\n---\n/)
    .filter((d) => /\nkind: (Namespace|Pod)\n/.test(`\n${d}`))
    .join("\n---\n");
  const inventoryFile = join(dir, "inventory.yaml");
  writeFileSync(inventoryFile, inventory);
  const flows = join(dir, "flows.jsonl");
  await writeRecords(flows, pods, RECORDS);
  const size = statSync(flows).size;
  console.log(`generated ${RECORDS.toLocaleString("en")} records (${(size / 2 ** 20).toFixed(0)} MiB)`);

  const read = readManifestSources([{ file: "inventory.yaml", text: inventory }]);
  if (read.errors.length > 0) throw new Error(read.errors[0]!.message);
  const workerFile = await buildEngineWorker(ENGINE_WORKER_DIR, "server/simulator/run-worker.ts", "replay-worker");
  const input: RunInput = {
    file: flows,
    format: "auto",
    textChars: size,
    clusters: [{ name: "bench", model: read.cluster }],
    defaultCluster: "bench",
    release: [],
    proposal: [],
    platformDefault: PLATFORM_DEFAULT_OFF,
    window: {},
  };

  const cli = timedProcess([
    bin,
    "replay",
    "--flows",
    flows,
    "--baseline",
    inventoryFile,
    "--proposal",
    inventoryFile,
    "--output",
    "summary",
  ]);
  if (cli.status !== 0) throw new Error(`replay failed (${cli.status}): ${cli.stderr}`);
  const run = await consoleRun(workerFile, input);
  const ratio = run.seconds / cli.seconds;
  console.log(
    `CLI replay: ${cli.seconds.toFixed(2)} s (${Math.round(RECORDS / cli.seconds).toLocaleString("en")} records/s), ${cli.maxRssMb.toFixed(0)} MB`,
  );
  console.log(
    `console run (worker thread): ${run.seconds.toFixed(2)} s (${Math.round(RECORDS / run.seconds).toLocaleString("en")} records/s), ${run.result.summary.paths.length} path rows`,
  );
  console.log(`console / CLI: ${ratio.toFixed(2)}× (target ≤ 2×: ${ratio <= 2 ? "met" : "MISSED"})`);
  console.log(`largest event-loop delay of the starting thread during the run: ${run.maxDelayMs.toFixed(0)} ms`);
  console.log(`machine: ${machineDescription()}`);
  rmSync(dir, { recursive: true, force: true });
}

await main();
