// Entry of the Simulator's worker threads (bundled by scripts/engine-worker.mjs): one scan or one
// run per thread, given as workerData; progress and the result go back as messages. Cancelling a
// run terminates its thread.
import { parentPort, workerData } from "node:worker_threads";
import { runReplay, scanDataset, type RunInput, type ScanInput } from "./work";

export type WorkerTask = { task: "scan"; input: ScanInput } | { task: "run"; input: RunInput };

async function main(port: NonNullable<typeof parentPort>) {
  const data = workerData as WorkerTask;
  const result =
    data.task === "scan"
      ? await scanDataset(data.input)
      : await runReplay(data.input, (progress) => port.postMessage({ type: "progress", progress }));
  port.postMessage({ type: "result", result });
}

if (parentPort) void main(parentPort);
