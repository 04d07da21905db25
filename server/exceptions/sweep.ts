import "server-only";
// The exception sweeper: records each start and expiry in the audit trail,
// moves expired exceptions to "expired" and tells requesters 7 days and 1 day
// before expiry. Safe with several replicas on one PostgreSQL: runs hold one
// advisory lock, and every step is a conditional UPDATE … RETURNING, so a
// second run (concurrent or later) finds nothing left to record. The engine
// never waits for it: an exception stops counting at its expiry instant anyway.
// The run that records a start or an expiry then triggers the re-render that
// puts the exception's objects into (or takes them out of) every cluster's
// desired state and the GitOps repository (./rerender.ts).
import { randomUUID } from "node:crypto";
import { and, eq, isNull, lte, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { exceptions, type ExceptionRow } from "@/db/schema";
import { recordAudit } from "@/server/audit/record";
import { serverNow } from "@/server/clock";
import { timedSweep } from "@/server/metrics/metrics";
import { systemActor, withTransaction, type ServiceContext } from "@/server/context";
import { EXPIRY_NOTICE_DAYS } from "@/lib/exceptions/vocabulary";
import { notifyPeople } from "./access";
import { rerenderForException, type ExceptionEvent, type RerenderOptions, type RerenderResult } from "./rerender";

const SWEEP_LOCK = 7_301_914;
const DAY_MS = 86_400_000;

export interface SweepResult {
  started: number[];
  expired: number[];
  notices: { number: number; days: number }[];
  /** The re-render each start and expiry triggered (server/exceptions/rerender.ts). */
  rerendered: RerenderResult[];
}

export async function sweepExceptions(db: Database, now: Date = serverNow(), options: RerenderOptions = {}): Promise<SweepResult> {
  return timedSweep(
    "exceptions",
    () => sweepOnce(db, now, options),
    (r) => ({ started: r.started.length, expired: r.expired.length, notices: r.notices.length }),
  );
}

async function sweepOnce(db: Database, now: Date, options: RerenderOptions): Promise<SweepResult> {
  const ctx: ServiceContext = { db, actor: systemActor("exception sweeper"), requestId: `sweep-${randomUUID()}` };
  const changed: { row: ExceptionRow; event: ExceptionEvent }[] = [];
  const result = await withTransaction(ctx, async (tx) => {
    await tx.db.execute(sql`SELECT pg_advisory_xact_lock(${SWEEP_LOCK})`);
    const result: SweepResult = { started: [], expired: [], notices: [], rerendered: [] };

    const started = await tx.db
      .update(exceptions)
      .set({ startRecordedAt: now })
      .where(and(eq(exceptions.state, "approved"), lte(exceptions.startsAt, now), isNull(exceptions.startRecordedAt)))
      .returning();
    for (const e of started.sort((a, b) => a.number - b.number)) {
      result.started.push(e.number);
      changed.push({ row: e, event: "started" });
      await recordAudit(tx, {
        action: "exception.started",
        targetType: "exception",
        targetId: e.id,
        targetLabel: `E-${e.number} ${e.title}`,
        tenantId: e.tenantId,
        after: { startsAt: e.startsAt.toISOString(), recordedAt: now.toISOString() },
      });
    }

    const expired = await tx.db
      .update(exceptions)
      .set({ state: "expired", updatedAt: now })
      .where(and(eq(exceptions.state, "approved"), lte(exceptions.expiresAt, now)))
      .returning();
    for (const e of expired.sort((a, b) => a.number - b.number)) {
      result.expired.push(e.number);
      changed.push({ row: e, event: "expired" });
      await recordAudit(tx, {
        action: "exception.expired",
        targetType: "exception",
        targetId: e.id,
        targetLabel: `E-${e.number} ${e.title}`,
        tenantId: e.tenantId,
        before: { state: "approved" },
        after: { state: "expired", expiresAt: e.expiresAt.toISOString(), recordedAt: now.toISOString() },
      });
      await notifyPeople(tx, "exception-expiring", `Exception E-${e.number} “${e.title}” expired`, e.number, [e.requesterId]);
    }

    for (const days of EXPIRY_NOTICE_DAYS) {
      const due = await tx.db
        .update(exceptions)
        .set({ noticesSent: sql`${exceptions.noticesSent} || ${JSON.stringify([days])}::jsonb` })
        .where(
          and(
            eq(exceptions.state, "approved"),
            lte(exceptions.expiresAt, new Date(now.getTime() + days * DAY_MS)),
            sql`NOT (${exceptions.noticesSent} @> ${JSON.stringify([days])}::jsonb)`,
          ),
        )
        .returning();
      for (const e of due.sort((a, b) => a.number - b.number)) {
        // A shorter notice already due makes the longer one moot (one message, the nearest).
        if (days === 7 && e.expiresAt.getTime() - now.getTime() <= DAY_MS) continue;
        result.notices.push({ number: e.number, days });
        await notifyPeople(
          tx,
          "exception-expiring",
          `Exception E-${e.number} “${e.title}” expires within ${days === 1 ? "a day" : `${days} days`} (${e.expiresAt.toISOString()})`,
          e.number,
          [e.requesterId],
        );
      }
    }
    return result;
  });
  // After the commit, by the one run that recorded the event: the clusters' desired state changed.
  for (const c of changed) result.rerendered.push(await rerenderForException(db, c.row, c.event, now, options));
  return result;
}

/** Runs the sweeper every `everyMs` in this process; returns how to stop. Failures are logged, never thrown. */
export function scheduleExceptionSweep(db: Database, log: (message: string, error?: unknown) => void, everyMs = 15_000): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweepExceptions(db)
      .catch((error: unknown) => log("could not sweep exceptions", error))
      .finally(() => {
        running = false;
      });
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
