/**
 * Reading the manifests of issue 9's CLI cluster (bench/lib/cli-cluster.ts, ~2.9 MiB of YAML):
 * readManifestPaths in-process, with the fast inventory checks and with zod alone, interleaved
 * in the same run, 5 rounds each, median. Prints MiB/s by CPU time (the target, ≥ 20 MiB/s, is
 * stated for a quiet machine; CPU time is what load distorts least) beside wall time and load.
 *   npx tsx bench/read-manifests.ts [rounds]
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { cliClusterYaml } from "./lib/cli-cluster";
import { readManifestPaths } from "../server/policy/read/fs";

const rounds = Number(process.argv[2] ?? 5);
const dir = mkdtempSync(join(tmpdir(), "pp-read-"));
const file = join(dir, "cluster.yaml");
const { yaml } = cliClusterYaml();
writeFileSync(file, yaml);
const mib = Buffer.byteLength(yaml) / (1024 * 1024);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function once(zodOnly: boolean): { wall: number; cpu: number } {
  const t = performance.now();
  const c = process.cpuUsage();
  const r = readManifestPaths([file], { zodOnly });
  const u = process.cpuUsage(c);
  if (r.errors.length > 0) throw new Error(r.errors[0]!.message);
  return { wall: (performance.now() - t) / 1000, cpu: (u.user + u.system) / 1e6 };
}

try {
  once(false); // warm-up: compile the reader's code paths once
  once(true);
  const runs = { fast: [] as { wall: number; cpu: number }[], zod: [] as { wall: number; cpu: number }[] };
  for (let i = 0; i < rounds; i++) {
    runs.zod.push(once(true));
    runs.fast.push(once(false));
  }
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(" / ");
  console.log(`reading ${mib.toFixed(2)} MiB (${rounds} rounds, median; load ${load} over 1/5/15 min)`);
  for (const [name, rs] of Object.entries(runs)) {
    const cpu = median(rs.map((r) => r.cpu));
    const wall = median(rs.map((r) => r.wall));
    console.log(
      `  ${name === "fast" ? "fast inventory checks" : "zod alone            "}: by CPU time ${(mib / cpu).toFixed(1)} MiB/s (${(cpu * 1000).toFixed(0)} ms); wall ${(mib / wall).toFixed(1)} MiB/s (${(wall * 1000).toFixed(0)} ms)`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
