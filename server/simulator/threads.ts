import "server-only";
// Starting the Simulator's worker threads. The entry is bundled once per process (like the engine
// pool's worker) unless `npm start` named a bundle in POLICYPLANE_REPLAY_WORKER.
import { Worker } from "node:worker_threads";
import { WORKER_ENTRIES, workerBundle } from "@/server/lib/worker-bundle";
import type { Progress, RunInput, RunResult, ScanInput, ScanResult, WorkFailure } from "./work";
import type { WorkerTask } from "./run-worker";

const workerFile = () => workerBundle(WORKER_ENTRIES.replay);

export interface WorkerHandle<R> {
  result: Promise<R | WorkFailure>;
  /** Stops the thread; `result` then settles with a failure. */
  terminate(): Promise<void>;
}

function start<R>(task: WorkerTask, onProgress?: (p: Progress) => void): WorkerHandle<R> {
  const worker = new Worker(workerFile(), {
    workerData: task,
    // A run holds the records in typed arrays (tens of MB per million); the rest is the engines.
    resourceLimits: { maxOldGenerationSizeMb: 1024 },
  });
  const result = new Promise<R | WorkFailure>((resolve) => {
    let settled = false;
    const settle = (r: R | WorkFailure) => {
      if (!settled) resolve(r);
      settled = true;
    };
    worker.on("message", (m: { type: "progress"; progress: Progress } | { type: "result"; result: R | WorkFailure }) => {
      if (m.type === "progress") onProgress?.(m.progress);
      else settle(m.result);
    });
    worker.on("error", (e) =>
      settle({
        ok: false,
        error:
          (e as NodeJS.ErrnoException).code === "ERR_WORKER_OUT_OF_MEMORY" ? "the run ran out of memory" : `the run failed: ${e.message}`,
      }),
    );
    worker.on("exit", () => settle({ ok: false, error: "stopped" }));
  });
  return { result, terminate: async () => void (await worker.terminate()) };
}

export function startScan(input: ScanInput): WorkerHandle<ScanResult> {
  return start<ScanResult>({ task: "scan", input });
}

export function startRun(input: RunInput, onProgress: (p: Progress) => void): WorkerHandle<RunResult> {
  return start<RunResult>({ task: "run", input }, onProgress);
}
