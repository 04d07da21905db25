/**
 * CLI benchmark (issue 9): the CLI end to end, as processes, against the floor
 * measured in the same run. Synthetic cluster of bench/lib/cli-cluster.ts
 * (5,000 bare pods in 500 namespaces, 2,000 NetworkPolicies, 200 admin rules,
 * ~2.9 MiB of YAML) and 200,000 flow lines.
 *
 *   npx tsx bench/cli.ts            # print figures
 *   npx tsx bench/cli.ts --write    # also update the "CLI" section of docs/benchmarks.md
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createHash } from "node:crypto";
import { readManifestPaths } from "../server/policy/read/fs";
import { createEvaluator } from "../server/policy/eval/evaluator";
import { jsonlSimulator } from "../server/policy/flows";
import { cliClusterYaml, cliFlowLines } from "./lib/cli-cluster";
import { machineDescription, writeSection, type Row } from "./lib/report";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = join(root, "bin", "policyplane.mjs");
const FLOWS = 200_000;
const dir = mkdtempSync(join(tmpdir(), "pp-bench-cli-"));
const clusterFile = join(dir, "cluster.yaml");
const flowsFile = join(dir, "flows.jsonl");
const floorScript = join(dir, "floor.mjs");
/** Prints the process's peak RSS on exit (process.resourceUsage, no external tool needed). */
const rssReporter = join(dir, "rss.mjs");

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const devNull = () => openSync("/dev/null", "w");

interface Run {
  seconds: number;
  /** CPU time (user + system) of the process: what a loaded machine distorts least. */
  cpuSeconds: number;
  maxRssMb: number;
  status: number | null;
}

function timed(args: string[]): Run {
  const t = performance.now();
  const res = spawnSync(process.execPath, ["--import", rssReporter, ...args], {
    cwd: tmpdir(),
    stdio: ["ignore", devNull(), "pipe"],
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  const seconds = (performance.now() - t) / 1000;
  const rss = /pp-maxrss (\d+) (\d+)/.exec(res.stderr ?? "");
  return { seconds, cpuSeconds: rss ? Number(rss[2]) / 1e6 : NaN, maxRssMb: rss ? Number(rss[1]) / 1024 : NaN, status: res.status };
}

/** Runs a streaming command for `seconds`, counting output lines per window; peak RSS from /proc. */
async function streamed(
  args: string[],
  seconds: number,
  windows: number,
): Promise<{ perWindow: number[]; total: number; maxRssMb: number; finished: boolean }> {
  const child = spawn(process.execPath, args, { cwd: tmpdir(), stdio: ["ignore", "pipe", "ignore"] });
  let lines = 0;
  child.stdout.on("data", (b: Buffer) => {
    for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) lines++;
  });
  let finished = false;
  child.on("exit", () => (finished = true));
  const perWindow: number[] = [];
  let maxRssKb = 0;
  const started = performance.now();
  let last = 0;
  // The first window starts when the first edge arrives (reading the manifests comes before).
  while (lines === 0 && !finished && performance.now() - started < 60_000) await new Promise((r) => setTimeout(r, 50));
  for (let w = 0; w < windows && !finished; w++) {
    await new Promise((r) => setTimeout(r, (seconds * 1000) / windows));
    try {
      maxRssKb = Math.max(maxRssKb, Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1] ?? 0));
    } catch {
      /* exited */
    }
    perWindow.push(((lines - last) * windows) / seconds);
    last = lines;
  }
  child.kill();
  return { perWindow, total: lines, maxRssMb: maxRssKb / 1024, finished };
}

async function main(): Promise<void> {
  const cluster = cliClusterYaml();
  writeFileSync(clusterFile, cluster.yaml);
  writeFileSync(flowsFile, `${cliFlowLines(cluster.pods, FLOWS).join("\n")}\n`);
  writeFileSync(
    rssReporter,
    'process.on("exit", () => { const u = process.resourceUsage(); process.stderr.write(`pp-maxrss ${u.maxRSS} ${u.userCPUTime + u.systemCPUTime}\\n`); });\n',
  );
  writeFileSync(
    floorScript,
    [
      'import { createReadStream } from "node:fs";',
      'import { createInterface } from "node:readline";',
      "let n = 0, out = [];",
      "for await (const line of createInterface({ input: createReadStream(process.argv[2]), crlfDelay: Infinity })) {",
      "  const f = JSON.parse(line);",
      '  out.push(JSON.stringify({ line: ++n, src: f.src, dst: f.dst, verdict: "allow" }));',
      '  if (out.length === 1000) { process.stdout.write(out.join("\\n") + "\\n"); out = []; }',
      "}",
      'process.stdout.write(out.join("\\n") + "\\n");',
    ].join("\n"),
  );
  const bytes = Buffer.byteLength(cluster.yaml);
  const mib = bytes / (1024 * 1024);
  // The target is in MB (10^6 bytes), as the issue states it; MiB are printed beside.
  const megabytes = bytes / 1e6;
  const connections = new Set(
    readFileSync(flowsFile, "utf8")
      .trim()
      .split("\n")
      .map((l) => l.slice(l.indexOf(","))),
  ).size;

  // The bundle is built once (as `npm install` does); every timed run then starts from it.
  spawnSync(process.execPath, [bin, "--help"], { stdio: "ignore" });

  // 1. Floor and simulate, interleaved, median of 3 each.
  const floorRuns: Run[] = [];
  const sims: Run[] = [];
  for (let i = 0; i < 3; i++) {
    floorRuns.push(timed([floorScript, flowsFile]));
    sims.push(timed([bin, "simulate", "--manifests", clusterFile, "--flows", flowsFile]));
  }
  const floors = floorRuns.map((r) => r.seconds);
  const floor = median(floors);
  const sim = median(sims.map((r) => r.seconds));
  const floorCpu = median(floorRuns.map((r) => r.cpuSeconds));
  const simCpu = median(sims.map((r) => r.cpuSeconds));
  const simRss = Math.max(...sims.map((r) => r.maxRssMb));

  // 2. --help, median of 7.
  const help = median(Array.from({ length: 7 }, () => timed([bin, "--help"]).seconds));

  // 3. Reading manifests in-process (the same reader the CLI uses), median of 5.
  const reads = Array.from({ length: 5 }, () => {
    const t = performance.now();
    const c = process.cpuUsage();
    const r = readManifestPaths([clusterFile]);
    const u = process.cpuUsage(c);
    if (r.errors.length > 0) throw new Error(r.errors[0]!.message);
    return { wall: (performance.now() - t) / 1000, cpu: (u.user + u.system) / 1e6 };
  });
  const read = median(reads.map((r) => r.wall));
  const readCpu = median(reads.map((r) => r.cpu));

  // 4. The output, byte for byte: one more (untimed) simulate, into a file, against what the
  // schema-checked string path (server/policy/flows.ts, which the byte path must equal) prints in-process.
  const outFile = join(dir, "simulate.jsonl");
  spawnSync(process.execPath, [bin, "simulate", "--manifests", clusterFile, "--flows", flowsFile], {
    cwd: tmpdir(),
    stdio: ["ignore", openSync(outFile, "w"), "ignore"],
  });
  const model = readManifestPaths([clusterFile]);
  const line = jsonlSimulator(createEvaluator(model.cluster, model.policies), {});
  const expected = createHash("sha256");
  readFileSync(flowsFile, "utf8")
    .trimEnd()
    .split("\n")
    .forEach((text, i) => expected.update(`${line(i + 1, text)}\n`));
  const sameOutput = createHash("sha256").update(readFileSync(outFile)).digest("hex") === expected.digest("hex");

  // 5. Reachability.
  const ns = timed([bin, "reachability", "--manifests", clusterFile, "--group-by", "namespace"]);
  const wl = await streamed([bin, "reachability", "--manifests", clusterFile, "--output", "jsonl"], 20, 4);

  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(" / ");
  const machine = `${machineDescription()} (${load} over 1/5/15 min)`;
  const rate = (x: number) => `${(x / 1000).toFixed(0)} k`;
  const rows: Row[] = [
    [
      "`policyplane simulate`, 200,000 flows (process, wall)",
      `${sim.toFixed(2)} s = ${(sim / floor).toFixed(1)}× the floor (${floor.toFixed(2)} s); CPU time ${simCpu.toFixed(2)} s = ${(simCpu / floorCpu).toFixed(1)}× the floor's (${floorCpu.toFixed(2)} s); peak RSS ${simRss.toFixed(0)} MB`,
      "≤ 3× the floor",
      sim <= 3 * floor,
    ],
    [
      "`simulate`'s output against the schema-checked path's, in-process",
      sameOutput ? "byte for byte the same" : "**differs**",
      "the same",
      sameOutput,
    ],
    ["`policyplane --help` (process, wall)", `${(help * 1000).toFixed(0)} ms`, "< 300 ms", help < 0.3],
    [
      "reading the manifests (parse, validate, model)",
      `${(megabytes / read).toFixed(1)} MB/s = ${(mib / read).toFixed(1)} MiB/s (${(read * 1000).toFixed(0)} ms for ${mib.toFixed(2)} MiB); by CPU time ${(megabytes / readCpu).toFixed(1)} MB/s (${(readCpu * 1000).toFixed(0)} ms)`,
      "≥ 20 MB/s",
      megabytes / read >= 20,
    ],
    [
      "`reachability --group-by namespace` (process, wall, peak RSS)",
      `${ns.seconds.toFixed(1)} s, ${ns.maxRssMb.toFixed(0)} MB`,
      "< 30 s, < 1 GB",
      ns.seconds < 30 && ns.maxRssMb < 1024 && ns.status === 0,
    ],
    [
      "`reachability --output jsonl` by workload, 20 s of streaming",
      `${wl.perWindow.map(rate).join(", ")} edges/s per 5 s; peak RSS ${wl.maxRssMb.toFixed(0)} MB${wl.finished ? " (finished)" : ""}`,
      "steady, < 1 GB",
      wl.maxRssMb < 1024 && wl.perWindow.length > 0 && Math.min(...wl.perWindow) > 0.5 * Math.max(...wl.perWindow),
    ],
  ];
  const workload = `${cluster.counts.pods} bare pods in 500 namespaces, ${cluster.counts.networkPolicies} NetworkPolicies, ${cluster.counts.adminRules} admin rules (${mib.toFixed(2)} MiB of YAML); ${FLOWS.toLocaleString("en")} flow lines (each with its own time) over ${connections.toLocaleString("en")} distinct connections`;
  console.log(`CLI benchmark — ${workload}`);
  console.log(`machine: ${machine}`);
  for (const [what, value, target, ok] of rows) console.log(`  ${ok ? "PASS" : "MISS"}  ${what}: ${value} (target ${target})`);
  console.log(
    `  floor runs ${floors.map((f) => f.toFixed(2)).join(", ")} s; simulate runs ${sims.map((r) => r.seconds.toFixed(2)).join(", ")} s (CPU ${sims.map((r) => r.cpuSeconds.toFixed(2)).join(", ")} s)`,
  );

  if (process.argv.includes("--write")) {
    const file = join(root, "docs", "benchmarks.md");
    writeSection(
      file,
      "CLI",
      `\`npx tsx bench/cli.ts --write\` (bench/cli.ts, bench/lib/cli-cluster.ts). Synthetic cluster: ${workload}.`,
      machine,
      rows,
      [
        "The floor is a Node script that reads each flow line, `JSON.parse`s it and prints one small JSON line; it and `simulate` run as processes in the same run, interleaved, median of 3 (all runs are printed). Each process's CPU time (user + system, process.resourceUsage at exit) is given beside its wall time: on a loaded machine a longer run's wall time stretches more than the short floor's, so the CPU-time ratio is the comparison that load distorts least (the targets stay in wall time). simulate prints `{line, src, dst, port, protocol, verdict, path}` per line (the default; `--rationale` adds the full object), from the bundle that `npm install` builds (zod, yaml, js-yaml and commander bundled into it, no whitespace or comments, source maps beside it; the engine commands from its CommonJS script, compiled with the V8 code cache that each command's first run writes, and run with V8's interrupt budget raised and its young generation growing faster: server/cli/code-cache.ts). Like a flow log, every line carries its own time, so no line repeats and each pays the JSON parse, the endpoint lookup and a decision (cached per identity tuple, so a repeated connection is cheap). simulate reads the flow file as bytes (server/policy/flow-stream.ts): a plain line is parsed without JSON.parse; a connection seen before (the same endpoint texts, port and protocol at the same exception epoch) is one hash of its bytes and one lookup, and its answer after the line number one pre-encoded copy; a new connection resolves its endpoints once per distinct text and takes the answer's verdict and path per identity tuple (a decision and its path are made once per tuple); any other line goes through the schema-checked path, which words the errors, with the same bytes out. One more simulate run, untimed, writes its output to a file, which must be byte for byte what that schema-checked string path (server/policy/flows.ts) prints for the same lines in-process. Reading is the in-process reader the CLI calls: plain block YAML by the block reader (server/policy/read/yaml-block.ts, which returns exactly what js-yaml would, or hands the text to it), other text by js-yaml; both record where each mapping and sequence starts, and anything else is re-located with `yaml` only when there is something to report. The rest of reading is validation and building the model: Namespaces, Pods, Services and NetworkPolicies of the plain common shape are checked without zod (server/policy/read/fast-inventory.ts, tested equal to the zod schemas, which read anything else and word every error); `npx tsx bench/read-manifests.ts` compares the two by CPU time. The workload-level graph of this cluster has tens of millions of edges; the jsonl run is stopped after 20 s and its rate measured per 5 s window. Figures vary with load: this machine is shared (see the load average); rerun when it is quiet before reading a MISS as a regression.",
      ],
    );
    console.log(`wrote the "CLI" section of ${file}`);
  }
  rmSync(dir, { recursive: true, force: true });
}

await main();
