// Entry of the audit verification's worker threads (bundled by scripts/engine-worker.mjs): checks the
// hashes of the batches the main thread reads and posts back what the sequential pass needs.
import { parentPort, workerData } from "node:worker_threads";
import { checkBatch } from "./batch";
import { checkCopyBatch } from "./copy-batch";
import type { AuditKey } from "./keys";

export interface HashWorkerData {
  keys: AuditKey[];
  checkpointSeqs: number[];
}

/** A JSON batch (`rowsJson`), or COPY text of whole rows in the first `length` bytes of `copy` (transferred, not copied). */
export type HashWorkerRequest = { id: number; rowsJson: string } | { id: number; copy: ArrayBuffer; length: number };

const data = workerData as HashWorkerData;
const keys = new Map(data.keys.map((k) => [k.id, k]));
const checkpointSeqs = new Set(data.checkpointSeqs);

parentPort?.on("message", (request: HashWorkerRequest) => {
  const check =
    "rowsJson" in request
      ? checkBatch(request.rowsJson, keys, checkpointSeqs)
      : checkCopyBatch(new Uint8Array(request.copy, 0, request.length), keys, checkpointSeqs);
  parentPort?.postMessage({ id: request.id, check });
});
