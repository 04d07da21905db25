import "server-only";
// A worker thread's entry, bundled by scripts/engine-worker.mjs in a child process (the bundler is
// never loaded into the server) once per process and entry, unless a prebuilt bundle is named
// (`npm start` and the container build them before serving).
import { spawnSync } from "node:child_process";
import path from "node:path";

const globalForBundles = globalThis as unknown as { policyplaneWorkerBundles?: Map<string, string> };

/** The bundled file of `entry` (a path from the project root); `prebuilt` wins when set. */
export function workerBundle(entry: string, prefix: string, prebuilt?: string): string {
  if (prebuilt) return prebuilt;
  const bundles = (globalForBundles.policyplaneWorkerBundles ??= new Map());
  const known = bundles.get(entry);
  if (known) return known;
  const result = spawnSync(process.execPath, [path.join(process.cwd(), "scripts", "engine-worker.mjs"), entry, prefix], {
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(result.stderr.trim() || `bundling ${entry} failed (exit ${result.status})`);
  const file = result.stdout.trim();
  bundles.set(entry, file);
  return file;
}
