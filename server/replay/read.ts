/**
 * Reading a recording into a RecordTable, in worker threads when it is big. JSON.parse of
 * Hubble's ~1.4 KB records is most of a replay's time; workers parse blocks of lines on the other
 * cores while this thread splits lines and merges the blocks back in input order. Within the
 * prebuilt CLI bundle the workers run its `replay-worker.js` entry; from the TypeScript sources
 * (tests, the tsx fallback) everything is read on this thread.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { csvRecordParser, parseRecordLine, type EndpointCache, type RecordResult } from "./records";
import { RecordTable, type RecordBlock } from "./replay";

export type RecordFormat = "auto" | "csv";

/** A line longer than the reader's bound: its text was not kept. */
export interface OverlongLine {
  overlong: true;
}
export type LineBatch = readonly (string | OverlongLine)[];

/** Lines per block sent to a worker (~15 MB of Hubble records). */
const BLOCK_LINES = 10_000;
/** Blocks queued per worker: enough to keep it busy, few enough to bound memory. */
const IN_FLIGHT_PER_WORKER = 3;

/** A worker's request: lines to parse (null: overlong), and how (CSV: the header it was given first). */
interface ParseRequest {
  lines: (string | null)[];
  format: RecordFormat;
  header?: string;
  overlongReason: string;
}

type Parse = (line: string, cache: EndpointCache) => RecordResult;

function parserFor(format: RecordFormat, header: string | undefined): Parse | { error: string } {
  return format === "csv" ? csvRecordParser(header ?? "") : parseRecordLine;
}

function parseInto(table: RecordTable, parse: Parse, lines: readonly (string | null)[], overlongReason: string): void {
  for (const text of lines) table.add(text === null ? { ok: false, error: overlongReason } : parse(text, table.endpointCache));
}

/** The worker side: parses each request's lines into a table that keeps its endpoints across blocks. */
export function serveParseRequests(port: {
  on(event: "message", fn: (m: ParseRequest) => void): void;
  postMessage(m: unknown, transfer: ArrayBuffer[]): void;
}) {
  const table = new RecordTable();
  let parse: Parse | undefined;
  port.on("message", (request) => {
    if (!parse) {
      const p = parserFor(request.format, request.header);
      if ("error" in p) throw new Error(p.error); // the reader checked the header before starting workers
      parse = p;
    }
    parseInto(table, parse, request.lines, request.overlongReason);
    const block = table.takeBlock();
    port.postMessage(
      block,
      [block.src, block.dst, block.port, block.protocol, block.time, block.count, block.cluster, block.reply].map(
        (a) => a.buffer as ArrayBuffer,
      ),
    );
  });
}

const WORKER_ENTRY = new URL("./replay-worker.js", import.meta.url);
const workersAvailable = !import.meta.url.endsWith(".ts") && existsSync(fileURLToPath(WORKER_ENTRY));

/** One worker and the blocks it owes, in the order it was asked. */
class ParseWorker {
  readonly worker = new Worker(WORKER_ENTRY);
  /** Its endpoint ids → the table's. */
  readonly ids: number[] = [];
  /** Sequence numbers of the blocks it was sent and has not answered, oldest first. */
  readonly owed: number[] = [];
}

/** A CSV recording whose header cannot be read: nothing else is. */
export class HeaderError extends Error {}

/**
 * Read line batches into a table. A bad CSV header throws HeaderError; every other problem of a
 * line is that record's error, in its slot.
 */
export async function readRecordTable(
  batches: AsyncIterable<LineBatch>,
  options: { format: RecordFormat; overlongReason: string; workers?: number },
): Promise<RecordTable> {
  let table: RecordTable | undefined;
  let parse: Parse | undefined;
  let header: string | undefined;
  let pending: (string | null)[] = [];
  const wanted = Math.max(0, options.workers ?? Math.min(4, availableParallelism()));
  const pool: ParseWorker[] = [];
  const done = new Map<number, { block: RecordBlock; from: ParseWorker }>();
  let sent = 0;
  let appended = 0;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;

  const appendReady = () => {
    for (let next = done.get(appended); next; next = done.get(appended)) {
      done.delete(appended++);
      table!.appendBlock(next.block, next.from.ids);
    }
  };
  const startWorker = (): ParseWorker => {
    const w = new ParseWorker();
    w.worker.on("message", (block: RecordBlock) => {
      table!.registerEndpoints(block, w.ids);
      done.set(w.owed.shift()!, { block, from: w });
      appendReady();
      wake?.();
    });
    w.worker.on("error", (e) => {
      failure = e;
      wake?.();
    });
    pool.push(w);
    return w;
  };
  const waitForProgress = () => new Promise<void>((resolve) => (wake = resolve));

  const flush = async (final: boolean) => {
    // A small recording (one block) is not worth a worker's start-up.
    const useWorkers = workersAvailable && wanted > 0 && (pool.length > 0 || !final);
    if (!useWorkers) {
      const local = new RecordTable();
      parseInto(local, parse!, pending, options.overlongReason);
      const block = local.takeBlock();
      const ids: number[] = [];
      table!.registerEndpoints(block, ids);
      // Blocks already sent to workers come first.
      while (appended < sent && !failure) await waitForProgress();
      if (failure) throw failure;
      table!.appendBlock(block, ids);
      pending = [];
      return;
    }
    while (sent - appended >= wanted * IN_FLIGHT_PER_WORKER && !failure) await waitForProgress();
    if (failure) throw failure;
    const w = pool.length < wanted ? startWorker() : pool.reduce((a, b) => (b.owed.length < a.owed.length ? b : a));
    w.owed.push(sent++);
    const request: ParseRequest = {
      lines: pending,
      format: options.format,
      overlongReason: options.overlongReason,
      ...(header !== undefined ? { header } : {}),
    };
    w.worker.postMessage(request);
    pending = [];
  };

  try {
    for await (const batch of batches) {
      for (const text of batch) {
        if (!table) {
          if (options.format === "csv") {
            if (typeof text !== "string") throw new HeaderError("line 1: the header line is too long");
            const p = parserFor("csv", text);
            if ("error" in p) throw new HeaderError(`line 1: ${p.error}`);
            header = text;
            parse = p;
            table = new RecordTable(2);
            continue;
          }
          parse = parseRecordLine;
          table = new RecordTable(1);
        }
        pending.push(typeof text === "string" ? text : null);
        if (pending.length >= BLOCK_LINES) await flush(false);
      }
    }
    if (!table) return new RecordTable(options.format === "csv" ? 2 : 1);
    if (pending.length > 0) await flush(true);
    while (appended < sent && !failure) await waitForProgress();
    if (failure) throw failure;
    return table;
  } finally {
    await Promise.all(pool.map((w) => w.worker.terminate()));
  }
}
