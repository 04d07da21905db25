// The worker threads' entries: where each is bundled from (scripts/engine-worker.mjs), its bundle's
// file name prefix, and the environment variable that names a prebuilt bundle. `npm start` and the
// integration run bundle them all before anything runs; the server (server/lib/worker-bundle.ts)
// bundles one on first use only when its variable is not set.
export const WORKER_ENTRIES = {
  engine: { entry: "server/engine-pool/worker.ts", prefix: "engine-worker", env: "POLICYPLANE_ENGINE_WORKER" },
  replay: { entry: "server/simulator/run-worker.ts", prefix: "replay-worker", env: "POLICYPLANE_REPLAY_WORKER" },
  audit: { entry: "server/audit/hash-worker.ts", prefix: "audit-worker", env: "POLICYPLANE_AUDIT_WORKER" },
};
