import "server-only";
// The minute closer (issue 17 item 8): turns closed minutes' aggregates into violation events for
// SIEM collectors (./export.ts), so the stream's storage grows with distinct paths per minute, not
// with the writes of ingestion.
//
// An aggregate of a violation, near-miss or gap is "to emit" while `closed` is false: ingestion
// inserts it so and sets it back to false whenever it adds flows (./write.ts). Once its minute
// has ended and a grace period passed, a pass emits ONE event carrying the flows not emitted yet
// (count - emitted_count) and marks the aggregate closed with emitted_count = count. Flows that
// arrive for a minute already closed reopen its aggregate, and the next pass emits them as a late
// delta. So the events of an aggregate add up to its count, each flow in exactly one event.
//
// Safe with several replicas: a pass locks the rows it emits (FOR UPDATE SKIP LOCKED), so two
// closers split the work and neither waits; a row another closer closed meanwhile is re-checked on
// its new version (no longer to emit) and left out; ingestion locking a row only delays it to the
// next pass. Emitting and closing are one statement, so a crash leaves both undone or both done.
import { sql } from "drizzle-orm";
import type { Database, Queryable } from "@/db/client";
import { serverNow } from "@/server/clock";
import { inChunks } from "@/server/lib/affected-rows";
import { scheduleEvery } from "@/server/lib/schedule";
import { timedSweep } from "@/server/metrics/metrics";

/** Aggregates closed per statement (one transaction each). */
const CHUNK = 5_000;
export const DEFAULT_CLOSE_GRACE_SECONDS = 60;

/**
 * Emits the events of every minute ended at least `graceSeconds` before `now` (and of late flows of
 * minutes closed before); returns how many aggregates it closed.
 */
export async function closeMinutes(
  db: Queryable,
  { graceSeconds = DEFAULT_CLOSE_GRACE_SECONDS, now = new Date() }: { graceSeconds?: number; now?: Date } = {},
): Promise<number> {
  // A minute is closed once it has ended and the grace period passed: its start at most this.
  const lastClosed = new Date(now.getTime() - graceSeconds * 1000 - 60_000);
  return timedSweep(
    "flow_minute_close",
    () =>
      inChunks(CHUNK, () =>
        db.execute(sql`
          with due as materialized (
            select id, minute, count, emitted_count, first_seen, last_seen from flow_aggregates
            where flow_class <> 'allowed' and not closed and minute <= ${lastClosed.toISOString()}::timestamptz
            order by minute, id limit ${CHUNK} for update skip locked
          ), emitted as (
            insert into violation_events (aggregate_id, count, first_seen, last_seen)
            select id, count - emitted_count, first_seen, last_seen from due where count > emitted_count order by minute, id
          )
          update flow_aggregates fa set closed = true, emitted_count = due.count from due where fa.id = due.id`),
      ),
    (closed) => ({ aggregates_closed: closed }),
  );
}

/** Closes minutes every `everySeconds` (0: never) in this process; returns the stop function. */
export function scheduleMinuteClose(
  db: Database,
  options: { graceSeconds: number; everySeconds: number },
  log: (message: string, error?: unknown) => void,
): () => void {
  return scheduleEvery(
    options.everySeconds,
    async () => {
      // The server's clock (a test server's may be moved ahead, and flows stamped at it).
      await closeMinutes(db, { graceSeconds: options.graceSeconds, now: serverNow() });
    },
    (error) => log("could not close the minutes of observed flows", error),
  );
}
