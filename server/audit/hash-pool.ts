import "server-only";
// Worker threads for a long verification: each checks the hashes of whole batches (an HMAC per event),
// the main thread reads the next batch meanwhile and keeps the sequential pass. The entry is bundled
// once per process, like the Simulator's workers, unless `npm start` named a bundle in POLICYPLANE_AUDIT_WORKER.
import { Worker } from "node:worker_threads";
import { WORKER_ENTRIES, workerBundle } from "@/server/lib/worker-bundle";
import { checkBatch, type BatchCheck } from "./batch";
import { checkCopyBatch } from "./copy-batch";
import type { HashWorkerData, HashWorkerRequest } from "./hash-worker";
import type { AuditKeyring } from "./keys";

const workerFile = () => workerBundle(WORKER_ENTRIES.audit);

/** Checks batches' hashes; results come back in the order the batches went in. */
export interface BatchHasher {
  /**
   * `rows`: a JSON text of AuditRowTuple rows (checkBatch), or COPY text of whole rows (checkCopyBatch),
   * whose buffer is handed over, not copied, to a worker: the caller must not use it after.
   */
  check(rows: string | Uint8Array): Promise<BatchCheck>;
  close(): Promise<void>;
}

/** Hashing on the calling thread (short walks, and the single-core figure). */
export function inlineHasher(keyring: AuditKeyring, checkpointSeqs: readonly number[]): BatchHasher {
  const seqs = new Set(checkpointSeqs);
  return {
    check: async (rows) => (typeof rows === "string" ? checkBatch(rows, keyring.byId, seqs) : checkCopyBatch(rows, keyring.byId, seqs)),
    close: async () => {},
  };
}

/** `threads` worker threads, batches handed out in turn. */
export function workerHasher(keyring: AuditKeyring, checkpointSeqs: readonly number[], threads: number): BatchHasher {
  const file = workerFile();
  const workerData: HashWorkerData = { keys: [...keyring.byId.values()], checkpointSeqs: [...checkpointSeqs] };
  const pending = new Map<number, { resolve(check: BatchCheck): void; reject(error: Error): void }>();
  const fail = (error: Error) => {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  const workers = Array.from({ length: threads }, () => {
    const worker = new Worker(file, { workerData });
    worker.on("message", ({ id, check }: { id: number; check: BatchCheck }) => {
      pending.get(id)?.resolve(check);
      pending.delete(id);
    });
    worker.on("error", (e) => fail(new Error(`an audit verification thread failed: ${e.message}`)));
    worker.on("exit", (code) => {
      if (pending.size > 0) fail(new Error(`an audit verification thread stopped (exit ${code})`));
    });
    return worker;
  });
  let next = 0;
  return {
    check(rows) {
      const id = next++;
      const worker = workers[id % workers.length]!;
      const settle = new Promise<BatchCheck>((resolve, reject) => pending.set(id, { resolve, reject }));
      if (typeof rows === "string") worker.postMessage({ id, rowsJson: rows } satisfies HashWorkerRequest);
      else {
        // The bytes' buffer moves to the worker (no copy) when the batch starts it, as the reader cuts them (a buffer of its own each).
        const buffer = rows.byteOffset === 0 && rows.buffer instanceof ArrayBuffer ? rows.buffer : rows.slice().buffer;
        worker.postMessage({ id, copy: buffer, length: rows.byteLength } satisfies HashWorkerRequest, [buffer]);
      }
      return settle;
    },
    async close() {
      pending.clear();
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/**
 * Worker threads when asked for and they can start, else this thread (same verdict, slower): where the
 * worker cannot be bundled (a read-only install without the prebuilt bundle), the verification still runs.
 */
export function batchHasher(keyring: AuditKeyring, checkpointSeqs: readonly number[], threads: number): BatchHasher {
  if (threads > 0) {
    try {
      return workerHasher(keyring, checkpointSeqs, threads);
    } catch (error) {
      console.warn(
        `[policyplane] audit verification: no worker threads (${error instanceof Error ? error.message : String(error)}); hashing on the main thread`,
      );
    }
  }
  return inlineHasher(keyring, checkpointSeqs);
}
