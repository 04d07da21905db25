import "server-only";
// Reading the audit trail: filtered listing and whole-chain verification.
import { availableParallelism } from "node:os";
import type { Readable } from "node:stream";
import { and, asc, desc, eq, gt, gte, ilike, lte, or, sql, type SQL } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { auditEvents } from "@/db/schema";
import { readableTenantIds } from "@/server/auth/authorize";
import type { ServiceContext } from "@/server/context";
import { ChainVerifier, type ChainVerification, type Checkpoint, type VerifiedPosition } from "./chain";
import { readCheckpoints } from "./checkpoints";
import { AUDIT_COPY_COLUMNS, type BatchCheck } from "./batch";
import { batchHasher } from "./hash-pool";
import { auditSettings, type AuditKeyring, type AuditSettings } from "./keys";
import type { ListAuditEventsInput } from "./schemas";

const PAGE = 50;

/** One page of the events the caller may read (their tenants' and organisation-wide ones), newest first. */
export async function listAuditEvents({ ctx, input }: { ctx: ServiceContext; input: ListAuditEventsInput }) {
  const { cursor, ...filter } = input;
  const rows = await auditEventsMatching(ctx.db, {
    ...filter,
    beforeSeq: cursor,
    tenantIds: readableTenantIds(ctx.actor),
    limit: PAGE + 1,
  });
  return { events: rows.slice(0, PAGE), nextBeforeSeq: rows.length > PAGE ? rows[PAGE - 1]!.seq : null };
}

interface AuditFilter {
  actor?: string;
  action?: string;
  target?: string;
  from?: Date;
  to?: Date;
  /** Only events of these tenants (plus organisation-wide ones); undefined means all. */
  tenantIds?: string[];
  limit: number;
  /** Events older than this sequence number (keyset pagination). */
  beforeSeq?: number;
}

const escapeLike = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);

async function auditEventsMatching(db: Queryable, filter: AuditFilter) {
  const conditions: SQL[] = [];
  if (filter.actor) conditions.push(ilike(auditEvents.actorLabel, `%${escapeLike(filter.actor)}%`));
  if (filter.action) conditions.push(ilike(auditEvents.action, `${escapeLike(filter.action)}%`));
  if (filter.target) {
    const pattern = `%${escapeLike(filter.target)}%`;
    conditions.push(
      or(ilike(auditEvents.targetLabel, pattern), ilike(auditEvents.targetId, pattern), ilike(auditEvents.targetType, pattern))!,
    );
  }
  if (filter.from) conditions.push(gte(auditEvents.at, filter.from));
  if (filter.to) conditions.push(lte(auditEvents.at, filter.to));
  if (filter.beforeSeq !== undefined) conditions.push(lte(auditEvents.seq, filter.beforeSeq - 1));
  if (filter.tenantIds) {
    const scoped = filter.tenantIds.map((id) => eq(auditEvents.tenantId, id));
    conditions.push(or(...scoped, eq(auditEvents.targetType, "organisation"))!);
  }
  return db
    .select()
    .from(auditEvents)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(auditEvents.seq))
    .limit(filter.limit);
}

/** The verdict when the exported checkpoints cannot be read: nothing can be trusted then. */
export function untrustedCheckpoints(reason: string): ChainVerification & { ok: false } {
  return { ok: false, checked: 0, brokenAtSeq: 0, reason: `the checkpoint file cannot be trusted: ${reason}` };
}

/** Events per batch a hashing thread checks at once (about 1 MB of COPY text). */
export const WALK_BATCH = 2_000;
/** From this many events to walk, hashes are checked in worker threads (fewer: on this thread, no start-up cost). */
export const WALK_THREADS_FROM = 100_000;
/** Events per COPY statement of a walk: a walk stopped at a break lets at most this many more arrive, unused. */
export const COPY_ROWS = { postgres: 100_000, pglite: 20_000 };
/** A batch is cut once its text passes this, whatever its count (events with large before/after). */
const BATCH_BYTES = 1 << 20;
/** Batches read ahead of the hashing before the read pauses. */
const READ_AHEAD = 2;

export interface WalkOptions {
  /** Events per batch (tests make it small to cut a short trail into several). */
  batchSize?: number;
  /** Events per COPY statement (default COPY_ROWS; tests make it small so a short walk takes several). */
  statementSize?: number;
  /** Worker threads checking hashes whatever the walk's length; 0: all on this thread. */
  threads?: number;
  /**
   * When `threads` is not given: the worker threads of a walk of WALK_THREADS_FROM events or more
   * (a shorter one hashes on this thread, with no start-up cost). Default: one per core but one, so
   * the server's event loop keeps a core for reading, the link pass and its requests.
   */
  threadsForLongWalk?: number;
}

const rowsOf = <T>(result: unknown): T[] => (Array.isArray(result) ? (result as T[]) : ((result as { rows?: T[] }).rows ?? []));

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

async function headSeq(db: Queryable): Promise<number> {
  const [row] = rowsOf<{ head: string | null }>(await db.execute(sql`SELECT max(seq)::text AS head FROM audit_events`));
  return Number(row?.head ?? 0);
}

type CopyClient =
  | { kind: "postgres"; client: { unsafe(statement: string): { readable(): Promise<Readable> } } }
  | { kind: "pglite"; client: { query(statement: string, params: unknown[], options: object): Promise<{ blob?: Blob }> } };

/** The driver's own client under drizzle (a transaction's when `db` is one): COPY does not go through drizzle. */
function copyClient(db: Queryable): CopyClient {
  const client = (db as unknown as { _: { session: { client: Record<string, unknown> } } })._.session.client;
  if (typeof client.unsafe === "function") return { kind: "postgres", client } as CopyClient;
  if (typeof client.query === "function") return { kind: "pglite", client } as CopyClient;
  throw new Error("audit verification: the database client can run no COPY");
}

/**
 * The events after `afterSeq` in seq order as COPY text (AUDIT_COPY_COLUMNS), in batches of whole rows:
 * one COPY statement of up to COPY_ROWS events after another, each streamed from PostgreSQL while the
 * batches before are hashed (READ_AHEAD batches ahead at most), or read whole from PGlite. A walk
 * sees the events there were when each statement started (a snapshot per statement, or its transaction's).
 */
export class AuditRowReader {
  private readonly queue: Uint8Array[] = [];
  private readonly batcher: RowBatcher;
  private readonly client: CopyClient;
  private stream: Readable | null = null;
  private stopped = false;
  private ended = false;
  private failure: unknown;
  private wake: (() => void) | null = null;
  private readonly running: Promise<void>;

  constructor(
    db: Queryable,
    afterSeq: number,
    batchRows: number,
    private readonly statementRows?: number,
  ) {
    this.client = copyClient(db);
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

  /** Stops early (a break was found): the current statement runs to its end, unused. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.length = 0;
    this.stream?.resume();
    this.notify();
    await this.running;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private async run(afterSeq: number): Promise<void> {
    const limit = this.statementRows ?? COPY_ROWS[this.client.kind];
    // Batches run across statements: only the last one's rows are handed on short of a full batch.
    for (let after = afterSeq; ; after = this.batcher.lastRowSeq()) {
      if (!Number.isSafeInteger(after)) throw new Error(`audit verification: cannot continue after seq ${after}`);
      // Wait for room: PGlite's statement gives all its rows at once.
      while (this.queue.length >= READ_AHEAD && !this.stopped) await new Promise<void>((resolve) => (this.wake = resolve));
      if (this.stopped) return;
      const select = `SELECT ${AUDIT_COPY_COLUMNS} FROM audit_events WHERE seq > ${after} ORDER BY seq LIMIT ${limit}`;
      this.batcher.counted = 0;
      if (this.client.kind === "postgres") await this.streamed(this.client, `COPY (${select}) TO STDOUT`);
      else {
        const { blob } = await this.client.client.query(`COPY (${select}) TO '/dev/blob'`, [], {});
        if (blob) this.batcher.push(new Uint8Array(await blob.arrayBuffer()));
      }
      if (this.batcher.counted < limit) break;
    }
    this.batcher.flush();
  }

  private async streamed({ client }: CopyClient & { kind: "postgres" }, statement: string): Promise<void> {
    const stream = await client.unsafe(statement).readable();
    this.stream = stream;
    try {
      await new Promise<void>((resolve, reject) => {
        stream.on("data", (chunk: Buffer) => {
          if (!this.stopped) this.batcher.push(chunk);
        });
        stream.once("end", resolve);
        stream.once("error", reject);
        if (!this.stopped && this.queue.length >= READ_AHEAD) stream.pause();
      });
    } finally {
      this.stream = null;
    }
  }
}

/**
 * Walks the chain in seq order from the genesis (or from a verified position), a batch at a time, so
 * memory stays flat: every event's keyed hash, and every exported checkpoint past the start (the
 * newest one must still be in the chain, so a cut-off tail shows). The trail is read as COPY text,
 * streamed while earlier batches are hashed (in worker threads on a long walk);
 * the link from each event to the one before it, the key rules and the checkpoints are checked in
 * order on this thread, so the verdict is the same whichever thread read or hashed what.
 */
export async function walkChain(
  db: Queryable,
  keyring: AuditKeyring,
  checkpoints: readonly Checkpoint[],
  from?: VerifiedPosition,
  options: WalkOptions = {},
): Promise<{ result: ChainVerification; keyedSince: number | null }> {
  const applicable = from ? checkpoints.filter((c) => c.seq > from.seq) : checkpoints;
  const verifier = new ChainVerifier(keyring, applicable, from);
  const batchSize = options.batchSize ?? WALK_BATCH;
  const afterSeq = from?.seq ?? 0;
  const head = await headSeq(db);
  const long = options.threads === undefined && head - afterSeq >= WALK_THREADS_FROM;
  const threads = options.threads ?? (long ? (options.threadsForLongWalk ?? Math.max(1, availableParallelism() - 1)) : 0);
  const seqs = applicable.map((c) => c.seq);
  const hasher = batchHasher(keyring, seqs, threads);
  // Batches being hashed, oldest first; at most two per thread (one working, one waiting) so memory stays bounded.
  const inFlight: Promise<BatchCheck>[] = [];
  const limit = Math.max(1, threads * 2);
  const reader = new AuditRowReader(db, afterSeq, batchSize, options.statementSize);
  let intact = true;
  let reading = true;
  const consume = (check: BatchCheck) => {
    if (check.kind === "run") intact = verifier.pushRun(check.first, check.count, check.last);
    else for (let i = 0; i < check.links.length && intact; i++) intact = verifier.pushChecked(check.links[i]!, check.holds[i]!);
  };
  try {
    while (intact && (reading || inFlight.length > 0)) {
      if (reading && inFlight.length < limit) {
        const batch = await reader.next();
        if (batch) inFlight.push(hasher.check(batch));
        else reading = false;
      } else {
        consume(await inFlight.shift()!);
      }
    }
  } finally {
    // A walk stopped at a break leaves the statement being read and the batches after it: let them settle, unused.
    await reader.stop();
    await Promise.allSettled(inFlight);
    await hasher.close();
  }
  return { result: verifier.result(), keyedSince: verifier.firstKeyedSeq };
}

/** The whole chain against the exported checkpoints (`npm run audit:verify`, tests). */
export async function verifyAuditTrail(
  db: Queryable,
  settings: Pick<AuditSettings, "keyring" | "checkpointFile"> = auditSettings(),
  options: WalkOptions = {},
): Promise<ChainVerification> {
  const read = readCheckpoints(settings.checkpointFile, settings.keyring);
  if (!read.ok) return untrustedCheckpoints(read.reason);
  return (await walkChain(db, settings.keyring, read.checkpoints, undefined, options)).result;
}

/** Every event after `afterSeq` in seq order, a page at a time; the next page is read while the caller works on this one. */
export async function* auditEventsInOrder(db: Queryable, pageSize = 2000, afterSeq = 0) {
  const page = (after: number) =>
    db.select().from(auditEvents).where(gt(auditEvents.seq, after)).orderBy(asc(auditEvents.seq)).limit(pageSize);
  let next = page(afterSeq);
  for (;;) {
    const rows = await next;
    const full = rows.length === pageSize;
    if (full) next = page(rows[rows.length - 1]!.seq);
    yield* rows;
    if (!full) return;
  }
}
