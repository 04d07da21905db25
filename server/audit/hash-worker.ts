// Entry of the audit verification's worker threads (bundled by scripts/engine-worker.mjs): checks the
// hashes of the batches the main thread reads and posts back what the sequential pass needs.
import { parentPort, workerData } from "node:worker_threads";
import { checkBatch } from "./batch";
import type { AuditKey } from "./keys";

export interface HashWorkerData {
  keys: AuditKey[];
  checkpointSeqs: number[];
}

export interface HashWorkerRequest {
  id: number;
  rowsJson: string;
}

const data = workerData as HashWorkerData;
const keys = new Map(data.keys.map((k) => [k.id, k]));
const checkpointSeqs = new Set(data.checkpointSeqs);

parentPort?.on("message", ({ id, rowsJson }: HashWorkerRequest) => {
  parentPort?.postMessage({ id, check: checkBatch(rowsJson, keys, checkpointSeqs) });
});
