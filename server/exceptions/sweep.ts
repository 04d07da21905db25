import "server-only";
// The exception sweeper: records each start and expiry in the audit trail,
// moves expired exceptions to "expired" and tells requesters 7 days and 1 day
// before expiry. Safe with several replicas on one PostgreSQL: runs hold one
// advisory lock, and every step is a conditional UPDATE … RETURNING, so a
// second run (concurrent or later) finds nothing left to record. The engine
// never waits for it: an exception stops counting at its expiry instant anyway.
// The run that records a start or an expiry also records, in the same
// transaction, the re-render it owes: the one that puts the exception's objects
// into (or takes them out of) every cluster's desired state and the GitOps
// repository (./rerender.ts). After the commit every due re-render is worked
// off; one that throws stays pending and a later run retries it.
import { randomUUID } from "node:crypto";
import { and, eq, isNull, lte, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { exceptions, type ExceptionRow } from "@/db/schema";
import { recordAudit, type AuditInput } from "@/server/audit/record";
import { serverNow } from "@/server/clock";
import { timedSweep } from "@/server/metrics/metrics";
import { systemActor, withTransaction, type ServiceContext } from "@/server/context";
import { EXPIRY_NOTICE_DAYS } from "@/lib/exceptions/vocabulary";
import { notifyPeople, exceptionAuditTarget } from "./access";
import {
  recordPendingRerender,
  runPendingRerenders,
  type ExceptionEvent,
  type RerenderFailure,
  type RerenderOptions,
  type RerenderResult,
} from "./rerender";

const SWEEP_LOCK = 7_301_914;
const DAY_MS = 86_400_000;

export interface SweepResult {
  started: number[];
  expired: number[];
  notices: { number: number; days: number }[];
  /** The re-renders done by this run: those its starts and expiries owe, and earlier ones due for a retry (./rerender.ts). */
  rerendered: RerenderResult[];
  /** Re-renders that threw: kept, and retried by a later run. */
  rerenderFailures: RerenderFailure[];
}

/** One pass: the exceptions whose start or expiry is due and not yet recorded, recorded at `now`. */
interface Pass {
  event: Extract<ExceptionEvent, "started" | "expired">;
  /** The conditional update that claims them (nothing left for a second run). */
  claim: (tx: ServiceContext, now: Date) => Promise<ExceptionRow[]>;
  audit: (e: ExceptionRow, now: Date) => Pick<AuditInput, "before" | "after">;
}

const PASSES: Pass[] = [
  {
    event: "started",
    claim: (tx, now) =>
      tx.db
        .update(exceptions)
        .set({ startRecordedAt: now })
        .where(and(eq(exceptions.state, "approved"), lte(exceptions.startsAt, now), isNull(exceptions.startRecordedAt)))
        .returning(),
    audit: (e, now) => ({ after: { startsAt: e.startsAt.toISOString(), recordedAt: now.toISOString() } }),
  },
  {
    event: "expired",
    claim: (tx, now) =>
      tx.db
        .update(exceptions)
        .set({ state: "expired", updatedAt: now })
        .where(and(eq(exceptions.state, "approved"), lte(exceptions.expiresAt, now)))
        .returning(),
    audit: (e, now) => ({
      before: { state: "approved" },
      after: { state: "expired", expiresAt: e.expiresAt.toISOString(), recordedAt: now.toISOString() },
    }),
  },
];

export async function sweepExceptions(db: Database, now: Date = serverNow(), options: RerenderOptions = {}): Promise<SweepResult> {
  return timedSweep(
    "exceptions",
    () => sweepOnce(db, now, options),
    (r) => ({ started: r.started.length, expired: r.expired.length, notices: r.notices.length }),
  );
}

async function sweepOnce(db: Database, now: Date, options: RerenderOptions): Promise<SweepResult> {
  const ctx: ServiceContext = { db, actor: systemActor("exception sweeper"), requestId: `sweep-${randomUUID()}` };
  const result = await withTransaction(ctx, async (tx) => {
    await tx.db.execute(sql`SELECT pg_advisory_xact_lock(${SWEEP_LOCK})`);
    const result: SweepResult = { started: [], expired: [], notices: [], rerendered: [], rerenderFailures: [] };

    for (const pass of PASSES) {
      const rows = await pass.claim(tx, now);
      for (const e of rows.sort((a, b) => a.number - b.number)) {
        result[pass.event].push(e.number);
        await recordAudit(tx, {
          action: `exception.${pass.event}`,
          ...exceptionAuditTarget(e),
          ...pass.audit(e, now),
        });
        // The clusters' desired state changed: owed in this transaction, so a failing re-render is retried, never lost.
        await recordPendingRerender(tx.db, e.id, pass.event, now);
        if (pass.event === "expired")
          await notifyPeople(tx, "exception-expiring", `Exception E-${e.number} “${e.title}” expired`, e.number, [e.requesterId]);
      }
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
  // After the commit: every re-render due, this run's and earlier failed ones (each claimed by one replica).
  const pending = await runPendingRerenders(db, now, options);
  result.rerendered = pending.rerendered;
  result.rerenderFailures = pending.failed;
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
