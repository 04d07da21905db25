import "server-only";
// The decision log's writer (issue 18 item 3), off the decision point's hot path: a sampled decision
// is put in a bounded in-memory buffer (a synchronous push; when the buffer is full the entry is dropped
// and counted) and written in batches by a timer. A failed write drops its batch and is counted: the
// decision it belongs to was answered long before and never waits on, or fails because of, its log.

import { sql } from "drizzle-orm";
import type { Database, Queryable } from "@/db/client";
import { decisionLog } from "@/db/schema";
import type { Actor } from "@/server/context";
import { inChunks } from "@/server/lib/affected-rows";
import { scheduleEvery } from "@/server/lib/schedule";
import type { DecideEndpoint, DecideInput, DecideOutput } from "@/server/decide/schemas";
import { perProcess } from "@/server/lib/per-process";
import { currentDecisionLogSettings, decisionLogSettingsOf, type DecisionLogSettings } from "./settings";

export type DecisionLogEntry = typeof decisionLog.$inferInsert;

export interface DecisionLogStats {
  queued: number;
  written: number;
  /** Dropped because the buffer was full. */
  dropped: number;
  /** Lost in failed writes. */
  failed: number;
}

export interface BufferOptions {
  capacity: number;
  batchSize: number;
  flushMs: number;
}

export const DEFAULT_BUFFER: BufferOptions = { capacity: 10_000, batchSize: 500, flushMs: 500 };

export class DecisionLogBuffer {
  private queue: DecisionLogEntry[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  readonly stats: DecisionLogStats = { queued: 0, written: 0, dropped: 0, failed: 0 };
  private lastComplaint = 0;

  constructor(
    private readonly write: (batch: DecisionLogEntry[]) => Promise<void>,
    private readonly options: BufferOptions = DEFAULT_BUFFER,
    private readonly log: (message: string, error: unknown) => void = (m, e) => console.error(`[decision log] ${m}`, e),
  ) {}

  /** Queues an entry; false when the buffer is full (the entry is dropped). Never throws, never waits. */
  offer(entry: DecisionLogEntry): boolean {
    if (this.queue.length >= this.options.capacity) {
      this.stats.dropped++;
      return false;
    }
    this.queue.push(entry);
    this.stats.queued = this.queue.length;
    if (this.queue.length >= this.options.batchSize) this.schedule(0);
    else this.schedule(this.options.flushMs);
    return true;
  }

  private schedule(ms: number) {
    if (this.timer && ms > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, ms);
    this.timer.unref();
  }

  /** Writes everything queued now, batch by batch; resolves when done (never rejects). */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => {
      this.flushing = null;
      if (this.queue.length > 0) this.schedule(0);
    });
    return this.flushing;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.batchSize);
      this.stats.queued = this.queue.length;
      try {
        await this.write(batch);
        this.stats.written += batch.length;
      } catch (error) {
        this.stats.failed += batch.length;
        if (Date.now() - this.lastComplaint > 60_000) {
          this.lastComplaint = Date.now();
          this.log(`could not write ${batch.length} decision(s); they are lost (failures so far: ${this.stats.failed})`, error);
        }
      }
    }
  }
}

/** Whether one decision is logged under the settings (null: not read yet, nothing is logged). */
export function sampled(
  settings: Pick<DecisionLogSettings, "sampleRate" | "alwaysLogDenies"> | null,
  decision: "allow" | "deny",
  random = Math.random,
): boolean {
  if (!settings) return false;
  if (decision === "deny" && settings.alwaysLogDenies) return true;
  if (settings.sampleRate >= 1) return true;
  if (settings.sampleRate <= 0) return false;
  return random() < settings.sampleRate;
}

/** One endpoint as the log shows and searches it. */
export function endpointText(e: DecideEndpoint): string {
  if (e.pod !== undefined) return `${e.namespace}/${e.pod}`;
  if (e.labels) {
    const labels = Object.entries(e.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(",");
    return e.namespace ? `${e.namespace} {${labels}}` : `{${labels}}`;
  }
  return e.ip ?? e.dns ?? "";
}

/** This process's buffer, writing through the `getDb` of its first use. */
const buffer = perProcess(
  "DecisionLog",
  (getDb: () => Promise<Database>) =>
    new DecisionLogBuffer(async (batch) => {
      const db = await getDb();
      await db.insert(decisionLog).values(batch).onConflictDoNothing();
    }),
);

/** Drops this process's buffer (tests: a fresh process, writing to another database). */
export function resetDecisionLog(): void {
  buffer.reset();
}

/** Waits until everything queued so far is written (tests; a server shutting down). */
export async function flushDecisionLog(): Promise<void> {
  await buffer.peek()?.flush();
}

/** Logs one answered decision if the sampling says so: synchronous and cheap when it does not. */
export function logDecision(
  getDb: () => Promise<Database>,
  actor: Actor | null,
  input: DecideInput,
  output: DecideOutput,
  startedAt: number,
): void {
  if (!sampled(currentDecisionLogSettings(getDb), output.decision)) return;
  buffer(getDb).offer({
    decisionId: output.decisionId,
    decidedAt: new Date(),
    cluster: output.cluster,
    release: output.release,
    decision: output.decision,
    source: endpointText(input.source),
    destination: endpointText(input.destination),
    port: input.port,
    protocol: input.protocol,
    input: input as unknown as Record<string, unknown>,
    reasons: output.reasons,
    caller: actor?.label ?? "(unauthenticated)",
    dryRunChangeRequest: output.dryRun?.changeRequest ?? null,
    cached: output.cached,
    stale: output.stale ?? false,
    micros: Math.min(2_147_483_647, Math.round((performance.now() - startedAt) * 1000)),
  });
}

const CHUNK = 5_000;

/** Deletes entries older than the retention (several replicas at once: each takes unlocked chunks). */
export async function sweepDecisionLog(db: Queryable, now = new Date()): Promise<number> {
  const { retentionDays } = await decisionLogSettingsOf(db);
  const before = new Date(now.getTime() - retentionDays * 86_400_000);
  return inChunks(CHUNK, () =>
    db.execute(sql`delete from decision_log where decision_id in (
      select decision_id from decision_log where decided_at < ${before.toISOString()}::timestamptz limit ${CHUNK} for update skip locked)`),
  );
}

/** Sweeps every `everySeconds` in this process; returns the stop function. */
export function scheduleDecisionLogSweep(db: Database, everySeconds: number, log: (message: string, error?: unknown) => void): () => void {
  return scheduleEvery(
    everySeconds,
    async () => {
      const n = await sweepDecisionLog(db);
      if (n > 0) log(`decision log retention: ${n} entries deleted`);
    },
    (error) => log("could not sweep the decision log", error),
  );
}
