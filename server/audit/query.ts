import "server-only";
// Reading the audit trail: filtered listing and whole-chain verification.
import { availableParallelism } from "node:os";
import { and, asc, desc, eq, gt, gte, ilike, lte, or, sql, type SQL } from "drizzle-orm";
import { ownConnection, type Queryable } from "@/db/client";
import { auditEvents } from "@/db/schema";
import { readableTenantIds } from "@/server/auth/authorize";
import type { ServiceContext } from "@/server/context";
import { ChainVerifier, type ChainVerification, type Checkpoint, type VerifiedPosition } from "./chain";
import { readCheckpoints } from "./checkpoints";
import type { BatchCheck } from "./batch";
import { CopyRowReader } from "./copy-reader";
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

/** Events per batch of a walk read as JSON (one query, one JSON text of about 10 MB at 20,000). */
export const WALK_BATCH = 20_000;
/** Events per batch of a walk read as COPY text (about 1 MB, handed to a hashing thread at once). */
export const COPY_BATCH = 2_000;
/**
 * From this many events to walk, a walk on PostgreSQL outside a transaction streams the trail as COPY
 * text on a connection of its own and hashes the rows' bytes (copy-reader.ts): a fraction of the CPU of
 * JSON batches. Fewer (the Audit page's visits), in a transaction, or on PGlite: JSON batches, no
 * connection to open.
 */
export const WALK_COPY_FROM = 5_000;
/** From this many events to walk, hashes are checked in worker threads (fewer: on this thread, no start-up cost). */
export const WALK_THREADS_FROM = 100_000;

export interface WalkOptions {
  /** Events per batch (tests make it small to cut a short trail into several). */
  batchSize?: number;
  /** From how many events to walk the COPY reader is used where it can be (default WALK_COPY_FROM; Infinity: never). */
  copyFrom?: number;
  /** Events per COPY statement (tests make it small so a short walk takes several). */
  statementSize?: number;
  /** Worker threads checking hashes whatever the walk's length; 0: all on this thread. */
  threads?: number;
  /**
   * When `threads` is not given: the worker threads of a walk of WALK_THREADS_FROM events or more
   * (a shorter one hashes on this thread, with no start-up cost). Default: one per core but one, so
   * the server's event loop keeps a core for reading, the link pass and its requests.
   */
  threadsForLongWalk?: number;
  /**
   * Batches read at once, each a seq range on its own connection (PostgreSQL builds a batch's JSON text on
   * one core per query; PGlite, one connection, runs them one after the other). Default: the cores the
   * hashing threads leave, at least one: on a loaded 2-core machine with PostgreSQL on it, 3 reads at once
   * walked 300,000 events slower than one (9.4–11.4 s against 7.8–10.0 s); they should pay off where the
   * database has cores of its own (bench/audit.ts compares both).
   */
  readers?: number;
}

/** A walk's batches in seq order: JSON texts or COPY texts (see BatchHasher); null after the last. */
interface BatchSource {
  next(): Promise<string | Uint8Array | null>;
  /** Stops (the walk ended or found a break) and lets what is still being read settle, unused. */
  close(): Promise<void>;
}

const rowsOf = <T>(result: unknown): T[] => (Array.isArray(result) ? (result as T[]) : ((result as { rows?: T[] }).rows ?? []));

export interface AuditBatch {
  count: number;
  /** The last event's seq (`afterSeq` when the batch is empty). */
  lastSeq: number;
  rowsJson: string;
}

/**
 * One batch of the events after `afterSeq` in seq order (at most `size`, and none past `upToSeq` when
 * given), as a single JSON text (AuditRowTuple rows built by the database), so neither driver maps a
 * row at a time: the text goes as it is to the thread that checks the hashes. `at` is sent as epoch
 * milliseconds (the column keeps milliseconds).
 */
export async function readAuditBatch(db: Queryable, afterSeq: number, size: number, upToSeq?: number): Promise<AuditBatch> {
  const upTo = upToSeq === undefined ? sql`` : sql` AND seq <= ${upToSeq}`;
  const [row] = rowsOf<{ count: number | string; last_seq: string | null; rows_json: string }>(
    await db.execute(sql`
      SELECT count(*)::int AS count, max(seq)::text AS last_seq,
        coalesce(json_agg(json_build_array(seq, id, (extract(epoch FROM at) * 1000)::bigint, actor_id, actor_label,
          actor_type, action, target_type, target_id, target_label, tenant_id, before, after, request_id, key_id,
          prev_hash, hash) ORDER BY seq), '[]')::text AS rows_json
      FROM (SELECT * FROM audit_events WHERE seq > ${afterSeq}${upTo} ORDER BY seq LIMIT ${size}) AS batch`),
  );
  return { count: Number(row?.count ?? 0), lastSeq: Number(row?.last_seq ?? afterSeq), rowsJson: row?.rows_json ?? "[]" };
}

async function headSeq(db: Queryable): Promise<number> {
  const [row] = rowsOf<{ head: string | null }>(await db.execute(sql`SELECT max(seq)::text AS head FROM audit_events`));
  return Number(row?.head ?? 0);
}

/**
 * The batches of a walk in seq order, up to `readers` read at once. Up to the head seen at the start,
 * each batch is the seq range (lo, lo + size] (a range holds at most `size` events, fewer or none
 * where seqs were skipped or events deleted), so ranges can be read side by side; past that head,
 * batches follow one another by keyset until one comes back short (events appended during the walk).
 * Which events sit in which batch changes nothing: the sequential pass checks every link in order.
 */
class BatchReader {
  private nextLo: number;
  /** Where the next keyset read starts, when one is due. */
  private tailAfter: number | null;
  private readonly queue: Promise<AuditBatch & { open: boolean }>[] = [];

  constructor(
    private readonly db: Queryable,
    afterSeq: number,
    private readonly head: number,
    private readonly size: number,
    private readonly readers: number,
  ) {
    this.nextLo = afterSeq;
    this.tailAfter = head > afterSeq ? null : afterSeq;
    this.fill();
  }

  get done(): boolean {
    return this.queue.length === 0;
  }

  /** The next batch in seq order (call only when not done). */
  async next(): Promise<AuditBatch> {
    const batch = await this.queue.shift()!;
    if (batch.open && batch.count === this.size) this.tailAfter = batch.lastSeq;
    this.fill();
    return batch;
  }

  /** Reads started and not taken (a walk stopped at a break lets them settle). */
  pending(): Promise<unknown>[] {
    return [...this.queue];
  }

  private fill(): void {
    while (this.queue.length < this.readers) {
      if (this.nextLo < this.head) {
        const lo = this.nextLo;
        this.nextLo = Math.min(this.head, lo + this.size);
        if (this.nextLo === this.head) this.tailAfter = this.head;
        this.queue.push(readAuditBatch(this.db, lo, this.size, this.nextLo).then((b) => ({ ...b, open: false })));
      } else if (this.tailAfter !== null) {
        this.queue.push(readAuditBatch(this.db, this.tailAfter, this.size).then((b) => ({ ...b, open: true })));
        this.tailAfter = null;
      } else return;
    }
  }
}

function jsonBatches(reader: BatchReader): BatchSource {
  return {
    async next() {
      while (!reader.done) {
        const batch = await reader.next();
        if (batch.count > 0) return batch.rowsJson;
      }
      return null;
    },
    async close() {
      await Promise.allSettled(reader.pending());
    },
  };
}

/**
 * Walks the chain in seq order from the genesis (or from a verified position), a batch at a time, so
 * memory stays flat: every event's keyed hash, and every exported checkpoint past the start (the
 * newest one must still be in the chain, so a cut-off tail shows). Batches are read side by side
 * (seq ranges, several connections) while earlier ones are hashed (in worker threads on a long walk);
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
  const afterSeq = from?.seq ?? 0;
  const head = await headSeq(db);
  const connection = head - afterSeq >= (options.copyFrom ?? WALK_COPY_FROM) ? ownConnection(db) : null;
  const long = options.threads === undefined && head - afterSeq >= WALK_THREADS_FROM;
  const threads = options.threads ?? (long ? (options.threadsForLongWalk ?? Math.max(1, availableParallelism() - 1)) : 0);
  // Batches being hashed, oldest first; at most two per thread (one working, one waiting) so memory stays bounded.
  const inFlight: Promise<BatchCheck>[] = [];
  const limit = Math.max(1, threads * 2);
  const readers = Math.max(1, options.readers ?? availableParallelism() - threads);
  const source: BatchSource = connection
    ? new CopyRowReader(connection, afterSeq, options.batchSize ?? COPY_BATCH, options.statementSize)
    : jsonBatches(new BatchReader(db, afterSeq, head, options.batchSize ?? WALK_BATCH, readers));
  // After the reader, which refuses bad options before any thread starts.
  const hasher = batchHasher(
    keyring,
    applicable.map((c) => c.seq),
    threads,
  );
  let intact = true;
  let reading = true;
  const consume = (check: BatchCheck) => {
    if (check.kind === "run") intact = verifier.pushRun(check.first, check.count, check.last);
    else for (let i = 0; i < check.links.length && intact; i++) intact = verifier.pushChecked(check.links[i]!, check.holds[i]!);
  };
  try {
    while (intact && (reading || inFlight.length > 0)) {
      if (reading && inFlight.length < limit) {
        const batch = await source.next();
        if (batch === null) reading = false;
        else inFlight.push(hasher.check(batch));
      } else {
        consume(await inFlight.shift()!);
      }
    }
  } finally {
    // A walk stopped at a break leaves the reads ahead and the batches after it: let them settle, unused.
    // The COPY reader's connection is ended here, on a break or an error too.
    await Promise.allSettled([source.close(), ...inFlight]);
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
