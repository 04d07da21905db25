/**
 * Every benchmark, one after the other, each in its own process (so one's heap
 * and JIT state do not colour the next): `npm run bench`, or
 * `npm run bench -- --write` to update docs/benchmarks.md.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
// Every script in bench/ (bench/lib holds their shared parts), so a new benchmark is never left out.
const BENCHMARKS = readdirSync(here)
  .filter((f) => f.endsWith(".ts") && f !== "run-all.ts")
  .sort();
const passThrough = process.argv.slice(2);
const failed: string[] = [];
for (const file of BENCHMARKS) {
  console.log(`\n━━ bench/${file} ━━`);
  const r = spawnSync(process.execPath, ["--conditions=react-server", "--import", "tsx", `${here}${file}`, ...passThrough], {
    stdio: "inherit",
  });
  if (r.status !== 0) failed.push(file);
}
if (failed.length > 0) {
  console.error(`\nfailed: ${failed.join(", ")}`);
  process.exitCode = 1;
}
