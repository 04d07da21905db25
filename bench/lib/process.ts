// A benchmark's process runs: wall time and peak memory (the child prints its own peak RSS on exit,
// through process.resourceUsage(), so no external tool is needed).
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const reporter = join(mkdtempSync(join(tmpdir(), "pp-bench-rss-")), "rss.mjs");
writeFileSync(reporter, 'process.on("exit", () => process.stderr.write(`\\npp-maxrss ${process.resourceUsage().maxRSS}\\n`));\n');

export interface ProcessRun {
  seconds: number;
  maxRssMb: number;
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run `node <args>` to its end; stdout is kept (keep it small: redirect big outputs inside the command). */
export function timedProcess(args: string[]): ProcessRun {
  const t = performance.now();
  const res = spawnSync(process.execPath, ["--import", reporter, ...args], { cwd: tmpdir(), encoding: "utf8", maxBuffer: 1 << 26 });
  const seconds = (performance.now() - t) / 1000;
  const rss = /pp-maxrss (\d+)/.exec(res.stderr ?? "");
  return { seconds, maxRssMb: rss ? Number(rss[1]) / 1024 : Number.NaN, status: res.status, stdout: res.stdout, stderr: res.stderr };
}
