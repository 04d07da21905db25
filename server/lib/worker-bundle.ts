import "server-only";
// A worker thread's entry, bundled by scripts/engine-worker.mjs in a child process (the bundler is
// never loaded into the server) once per process and entry, unless the environment names a prebuilt
// bundle (`npm start` and the container build them before serving; the integration run builds them
// once for all its suites).
import { spawnSync } from "node:child_process";
import path from "node:path";

/** The worker threads' entries: where each is bundled from, its bundle's name prefix, and the variable naming a prebuilt one. */
export const WORKER_ENTRIES = {
  engine: { entry: "server/engine-pool/worker.ts", prefix: "engine-worker", env: "POLICYPLANE_ENGINE_WORKER" },
  replay: { entry: "server/simulator/run-worker.ts", prefix: "replay-worker", env: "POLICYPLANE_REPLAY_WORKER" },
  audit: { entry: "server/audit/hash-worker.ts", prefix: "audit-worker", env: "POLICYPLANE_AUDIT_WORKER" },
} as const;

export type WorkerEntry = (typeof WORKER_ENTRIES)[keyof typeof WORKER_ENTRIES];

const globalForBundles = globalThis as unknown as { policyplaneWorkerBundles?: Map<string, string> };

/** The bundled file of a worker's entry; a prebuilt one named in its variable wins. */
export function workerBundle({ entry, prefix, env }: WorkerEntry): string {
  const prebuilt = process.env[env];
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
