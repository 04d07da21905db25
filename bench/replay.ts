/**
 * Replay benchmark (issue 15): `policyplane replay --output summary` as a process over 1,000,000
 * Hubble records, against the floor measured in the same run: a Node script that reads the same
 * file and `JSON.parse`s every line, nothing else. Target: T_replay <= 1.5 x T_parse, peak memory
 * under 1 GB.
 *
 * The organisation is bench/lib/cli-cluster.ts (5,000 pods in 500 namespaces, 2,000
 * NetworkPolicies, 200 admin rules); the proposal adds one NetworkPolicy per tenant-0 namespace
 * that lets only the namespace's frontend reach its workers (whose ingress was open). Records look like `hubble observe -o json` output (the wrapper,
 * Cilium's label lists, identities, L4 flags), about 5,000 distinct source/destination/port tuples.
 *
 *   npx tsx bench/replay.ts            # print figures
 *   npx tsx bench/replay.ts --write    # also update the "Replay" section of docs/benchmarks.md
 *   npx tsx bench/replay.ts --records 200000
 */
import { createWriteStream, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { cliClusterYaml, CLI_CLUSTER, type SyntheticPod } from "./lib/cli-cluster";
import { timedProcess } from "./lib/process";
import { machineDescription, writeSection, type Row } from "./lib/report";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = join(root, "bin", "policyplane.mjs");
const recordsArg = process.argv.indexOf("--records");
const RECORDS = recordsArg > 0 ? Number(process.argv[recordsArg + 1]) : 1_000_000;
const DISTINCT = 5_000;
const dir = join(tmpdir(), `pp-bench-replay-${process.pid}`);

function prng(seed: number): () => number {
  let s = seed;
  return () => (s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff) / 0x7fffffff;
}

const tenantOf = (p: SyntheticPod) => `t${Number(p.namespace.slice(3)) % CLI_CLUSTER.tenants}`;
const appOf = (p: SyntheticPod) => p.name.replace(/-\d+$/, "");

/** Cilium's view of a pod: the fields and label list `hubble observe` prints. */
function endpointJson(p: SyntheticPod, id: number): string {
  const labels = [
    `k8s:app=${appOf(p)}`,
    `k8s:io.cilium.k8s.namespace.labels.env=${Number(p.namespace.slice(3)) % 3 === 0 ? "prod" : "dev"}`,
    `k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=${p.namespace}`,
    `k8s:io.cilium.k8s.namespace.labels.tenant=${tenantOf(p)}`,
    "k8s:io.cilium.k8s.policy.cluster=bench",
    `k8s:io.cilium.k8s.policy.serviceaccount=${appOf(p)}`,
    `k8s:io.kubernetes.pod.namespace=${p.namespace}`,
    `k8s:tier=${appOf(p) === "db" ? "data" : "app"}`,
  ];
  return `{"ID":${id},"identity":${10000 + id},"namespace":"${p.namespace}","labels":${JSON.stringify(labels)},"pod_name":"${p.name}"}`;
}

/** Writes `records` Hubble records over the pods (also used by bench/replay-console.ts). */
export async function writeRecords(file: string, pods: readonly SyntheticPod[], records = RECORDS): Promise<void> {
  const rand = prng(11);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const tuples = Array.from({ length: DISTINCT }, () => {
    const s = pick(pods);
    const d = rand() < 0.75 ? pick(pods.filter((p) => p.namespace === s.namespace)) : pick(pods);
    return { s, d, si: pods.indexOf(s), di: pods.indexOf(d) };
  });
  const out = createWriteStream(file);
  const start = Date.parse("2026-11-30T00:00:00Z");
  let batch = "";
  for (let i = 0; i < records; i++) {
    const t = tuples[Math.floor(rand() ** 2 * tuples.length)]!;
    const time = new Date(start + i * 600 + Math.floor(rand() * 600)).toISOString().replace("Z", "123456Z");
    const sport = 32768 + Math.floor(rand() * 28000);
    batch += `{"flow":{"time":"${time}","verdict":"FORWARDED","ethernet":{"source":"aa:0a:e6:b9:12:da","destination":"16:a7:56:02:43:76"},"IP":{"source":"${t.s.ip}","destination":"${t.d.ip}","ipVersion":"IPv4"},"l4":{"TCP":{"source_port":${sport},"destination_port":${t.d.port},"flags":{"PSH":true,"ACK":true}}},"source":${endpointJson(t.s, t.si)},"destination":${endpointJson(t.d, t.di)},"Type":"L3_L4","node_name":"node-${t.si % 40}","event_type":{"type":4,"sub_type":3},"traffic_direction":"EGRESS","trace_observation_point":"TO_STACK","is_reply":false,"Summary":"TCP Flags: ACK, PSH"},"node_name":"node-${t.si % 40}","time":"${time}"}\n`;
    if (batch.length > 1 << 20) {
      if (!out.write(batch)) await once(out, "drain");
      batch = "";
    }
  }
  out.end(batch);
  await once(out, "finish");
}

/** The floor: read the file and JSON.parse every line, nothing else. */
const FLOOR = `
import { createReadStream } from "node:fs";
let partial = "", n = 0;
for await (const chunk of createReadStream(process.argv[2], { encoding: "utf8", highWaterMark: 1 << 20 })) {
  const lines = (partial + chunk).split("\\n");
  partial = lines.pop();
  for (const l of lines) if (l) { JSON.parse(l); n++; }
}
if (partial) { JSON.parse(partial); n++; }
process.stdout.write(String(n) + "\\n");
`;

async function main(): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const { yaml, pods } = cliClusterYaml();
  const baseline = join(dir, "baseline.yaml");
  const proposal = join(dir, "proposal.yaml");
  const flows = join(dir, "flows.jsonl");
  const floor = join(dir, "floor.mjs");
  writeFileSync(baseline, yaml);
  const isolateWorkers = [...new Set(pods.filter((p) => tenantOf(p) === "t0").map((p) => p.namespace))].map(
    (ns) => `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: worker-only-from-frontend, namespace: ${ns}}
spec:
  podSelector: {matchLabels: {app: worker}}
  policyTypes: [Ingress]
  ingress: [{from: [{podSelector: {matchLabels: {app: frontend}}}]}]
`,
  );
  writeFileSync(proposal, `${yaml}\n${isolateWorkers.join("")}`);
  writeFileSync(floor, FLOOR);
  const t0 = performance.now();
  await writeRecords(flows, pods);
  const size = statSync(flows).size;
  console.log(
    `generated ${RECORDS.toLocaleString("en")} records (${(size / 2 ** 20).toFixed(0)} MiB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  const runs = { parse: [] as number[], replay: [] as number[], rss: [] as number[] };
  for (let i = 0; i < 3; i++) {
    const f = timedProcess([floor, flows]);
    if (f.status !== 0) throw new Error(`floor failed: ${f.stderr}`);
    runs.parse.push(f.seconds);
    const r = timedProcess([bin, "replay", "--flows", flows, "--baseline", baseline, "--proposal", proposal, "--output", "summary"]);
    if (r.status !== 0) throw new Error(`replay failed (${r.status}): ${r.stderr}`);
    if (i === 0) console.log(r.stdout.split("\n").slice(0, 8).join("\n"));
    runs.replay.push(r.seconds);
    runs.rss.push(r.maxRssMb);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const tParse = median(runs.parse);
  const tReplay = median(runs.replay);
  const ratio = tReplay / tParse;
  const rss = Math.max(...runs.rss);
  const rows: Row[] = [
    ["T_parse (read + JSON.parse every line), median of 3", `${tParse.toFixed(2)} s`, "", true],
    [
      "T_replay (`replay --output summary`), median of 3",
      `${tReplay.toFixed(2)} s, ${Math.round(RECORDS / tReplay).toLocaleString("en")} records/s`,
      "",
      true,
    ],
    ["T_replay / T_parse", `${ratio.toFixed(2)}×`, "≤ 1.5×", ratio <= 1.5],
    ["peak memory of replay", `${rss.toFixed(0)} MB`, "< 1 GB", rss < 1024],
  ];
  const machine = machineDescription();
  for (const [what, value, target, ok] of rows)
    console.log(`${what}: ${value}${target ? ` (target ${target}: ${ok ? "met" : "MISSED"})` : ""}`);
  console.log(`machine: ${machine}`);
  if (process.argv.includes("--write"))
    writeSection(
      join(root, "docs", "benchmarks.md"),
      "Replay",
      `\`npx tsx bench/replay.ts --write\`: ${RECORDS.toLocaleString("en")} Hubble records (${(size / 2 ** 20).toFixed(0)} MiB, ${DISTINCT.toLocaleString("en")} distinct source/destination/port tuples) over the CLI benchmark's cluster (5,000 pods, 2,000 NetworkPolicies, 200 admin rules); the proposal lets only each tenant-t0 namespace's frontend reach its workers. Both processes run three times in the same run; medians.`,
      machine,
      rows,
      [],
    );
  if (process.argv.includes("--keep")) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
