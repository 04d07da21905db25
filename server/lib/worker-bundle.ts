import "server-only";
// A worker thread's entry, bundled by scripts/engine-worker.mjs in a child process (the bundler is
// never loaded into the server) once per process and entry, unless the environment names a prebuilt
// bundle (`npm start` and the container build them before serving; the integration run builds them
// once for all its suites). The entries are listed in scripts/worker-entries.mjs.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { WORKER_ENTRIES, type WorkerEntry } from "@/scripts/worker-entries.mjs";
import { perProcess } from "@/server/lib/per-process";

export { WORKER_ENTRIES, type WorkerEntry };

// Entry → bundled file. Kept across test files: the paths hold nothing of a file's.
const bundles = perProcess("WorkerBundles", () => new Map<string, string>(), { keptAcrossTestFiles: true });

/** The bundled file of a worker's entry; a prebuilt one named in its variable wins. */
export function workerBundle({ entry, prefix, env }: WorkerEntry): string {
  const prebuilt = process.env[env];
  if (prebuilt) return prebuilt;
  const known = bundles().get(entry);
  if (known) return known;
  const result = spawnSync(process.execPath, [path.join(process.cwd(), "scripts", "engine-worker.mjs"), entry, prefix], {
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(result.stderr.trim() || `bundling ${entry} failed (exit ${result.status})`);
  const file = result.stdout.trim();
  bundles().set(entry, file);
  return file;
}
