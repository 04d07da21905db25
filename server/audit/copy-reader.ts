import "server-only";
// Reading the audit trail for a long walk on PostgreSQL: COPY text streamed on a connection of the
// walk's own, cut into batches of whole rows that go to the hashing threads without a copy. The
// connection is never the pool's: postgres.js pauses the socket when a COPY TO STDOUT readable's buffer
// fills, and when CopyDone arrives in the same chunk nothing resumes it, so the next query on that
// connection waits forever (porsager/postgres #499, #917; open PR #1016). Here the socket is resumed
// after each statement (what that PR does), and the connection is ended after the walk, so even if
// that ever failed no other query would run on it.
import { Stream, type Readable } from "node:stream";
import type { Sql } from "postgres";
import { AUDIT_COPY_COLUMNS } from "./copy-batch";

/** Events per COPY statement: a walk stopped at a break lets at most this many more arrive, unused. */
export const COPY_STATEMENT_ROWS = 100_000;
/** A batch is cut once its text passes this, whatever its count (events with large before/after). */
const BATCH_BYTES = 1 << 20;
/** Batches read ahead of the hashing before the read pauses. */
const READ_AHEAD = 2;
/** Seconds ending the connection may take before it is destroyed. */
const END_TIMEOUT_SECONDS = 5;

/**
 * Cuts COPY text (rows ending in a newline, chunks cut anywhere) into batches of whole rows: at most
 * `maxRows` rows, fewer once the text passes BATCH_BYTES. Each batch is the start of a buffer of its
 * own, so it can be handed to a worker thread without a copy.
 */
export class RowBatcher {
  private buf = Buffer.allocUnsafeSlow(BATCH_BYTES);
  private len = 0;
  private rows = 0;
  /** Rows pushed since the caller last set it to 0. */
  counted = 0;
  /** The seq of the last row handed on. */
  private lastSeq = 0;

  constructor(
    private readonly maxRows: number,
    private readonly emit: (batch: Uint8Array) => void,
  ) {}

  push(chunk: Uint8Array): void {
    for (let from = 0; from < chunk.length;) {
      const newline = chunk.indexOf(10, from);
      const to = newline < 0 ? chunk.length : newline + 1;
      if (this.len + to - from > this.buf.length) {
        const grown = Buffer.allocUnsafeSlow(Math.max(2 * this.buf.length, this.len + to - from));
        this.buf.copy(grown, 0, 0, this.len);
        this.buf = grown;
      }
      this.buf.set(chunk.subarray(from, to), this.len);
      this.len += to - from;
      from = to;
      if (newline >= 0) {
        this.counted++;
        if (++this.rows === this.maxRows || this.len >= BATCH_BYTES) this.flush();
      }
    }
  }

  /** Hands on the rows gathered so far (the last statement ended). */
  flush(): void {
    if (this.rows === 0) return;
    this.lastSeq = this.lastRowSeq();
    const batch = this.buf.subarray(0, this.len);
    this.buf = Buffer.allocUnsafeSlow(BATCH_BYTES);
    this.len = 0;
    this.rows = 0;
    this.emit(batch);
  }

  /** The seq of the last whole row pushed (where the next statement continues). */
  lastRowSeq(): number {
    if (this.rows === 0) return this.lastSeq;
    // The digits after the newline before the last row's.
    let end = this.len;
    while (end > 0 && this.buf[end - 1] !== 10) end--;
    let start = end - 1;
    while (start > 0 && this.buf[start - 1] !== 10) start--;
    return Number(this.buf.toString("latin1", start, this.buf.indexOf(9, start)));
  }
}

/**
 * The events after `afterSeq` in seq order as COPY text (AUDIT_COPY_COLUMNS), in batches of whole rows:
 * one COPY statement of up to `statementRows` events after another on `connection` (a connection of
 * the walk's own, see ownConnection), each streamed while the batches before are hashed (READ_AHEAD
 * batches ahead at most). A walk sees the events there were when each statement started. `close()`
 * ends the connection, whatever happened (call it in a finally).
 */
export class CopyRowReader {
  private readonly queue: Uint8Array[] = [];
  private readonly batcher: RowBatcher;
  private stream: Readable | null = null;
  private stopped = false;
  private ended = false;
  private failure: unknown;
  private wake: (() => void) | null = null;
  private readonly running: Promise<void>;

  constructor(
    private readonly connection: Sql,
    afterSeq: number,
    batchRows: number,
    private readonly statementRows = COPY_STATEMENT_ROWS,
  ) {
    if (!Number.isSafeInteger(statementRows) || statementRows < 1)
      throw new Error(`audit verification: events per COPY statement must be a whole number from 1, not ${statementRows}`);
    if (!Number.isSafeInteger(afterSeq)) throw new Error(`audit verification: cannot start after seq ${afterSeq}`);
    this.batcher = new RowBatcher(batchRows, (batch) => {
      if (this.stopped) return;
      this.queue.push(batch);
      if (this.queue.length >= READ_AHEAD) this.stream?.pause();
      this.notify();
    });
    this.running = this.run(afterSeq).then(
      () => {
        this.ended = true;
        this.notify();
      },
      (error: unknown) => {
        this.failure = error;
        this.ended = true;
        this.notify();
      },
    );
  }

  /** The next batch, or null after the last. */
  async next(): Promise<Uint8Array | null> {
    for (;;) {
      const batch = this.queue.shift();
      if (batch) {
        if (this.queue.length < READ_AHEAD) this.stream?.resume();
        this.notify();
        return batch;
      }
      if (this.failure !== undefined) throw this.failure;
      if (this.ended) return null;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Stops reading (the walk ended, or found a break: the current statement runs to its end, unused), then ends the connection. */
  async close(): Promise<void> {
    this.stopped = true;
    this.queue.length = 0;
    this.stream?.resume();
    this.notify();
    try {
      await this.running;
    } finally {
      await this.connection.end({ timeout: END_TIMEOUT_SECONDS });
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private async run(afterSeq: number): Promise<void> {
    const limit = this.statementRows;
    // Batches run across statements: only the last one's rows are handed on short of a full batch.
    for (let after = afterSeq; ; after = this.batcher.lastRowSeq()) {
      if (!Number.isSafeInteger(after)) throw new Error(`audit verification: cannot continue after seq ${after}`);
      while (this.queue.length >= READ_AHEAD && !this.stopped) await new Promise<void>((resolve) => (this.wake = resolve));
      if (this.stopped) return;
      this.batcher.counted = 0;
      await this.streamed(
        `COPY (SELECT ${AUDIT_COPY_COLUMNS} FROM audit_events WHERE seq > ${after} ORDER BY seq LIMIT ${limit}) TO STDOUT`,
      );
      if (this.batcher.counted < limit) break;
    }
    this.batcher.flush();
  }

  private async streamed(statement: string): Promise<void> {
    const stream = await copyOut(this.connection, statement);
    this.stream = stream;
    try {
      await new Promise<void>((resolve, reject) => {
        stream.on("data", (chunk: Buffer) => {
          if (!this.stopped) this.batcher.push(chunk);
        });
        stream.once("end", () => {
          // The driver's read() resumes its socket, which an ended stream never calls again (see the top of this file).
          stream._read(0);
          resolve();
        });
        stream.once("error", reject);
        if (!this.stopped && this.queue.length >= READ_AHEAD) stream.pause();
      });
    } finally {
      this.stream = null;
    }
  }
}

/**
 * The readable of a COPY … TO STDOUT statement, or its error. A statement that fails as it starts can
 * bring its error in the socket chunk of its CopyOutResponse: postgres.js then destroys the stream it
 * has just resolved with, and the stream emits 'error' on the next tick, before the awaiting code can
 * listen; unheard, that error would end the process. The stream is given a listener as the driver
 * hands it over (its query's resolve), and one that failed so is refused here instead.
 */
export async function copyOut(connection: Sql, statement: string): Promise<Readable> {
  const query = connection.unsafe(statement) as ReturnType<Sql["unsafe"]> & { resolve(value: unknown): void };
  const handOver = query.resolve;
  let early: unknown;
  query.resolve = (value) => {
    if (value instanceof Stream) value.once("error", (error) => (early ??= error));
    handOver(value);
  };
  const stream = await query.readable();
  if (stream.destroyed) throw early ?? stream.errored ?? new Error("the COPY stream closed before its first row");
  return stream;
}
