// Reading what a test's calls added to the audit trail.
import { asc, gt, max, sql } from "drizzle-orm";
import type { DatabaseHandle, Queryable } from "@/db/client";
import { auditEvents } from "@/db/schema";

/** The newest event's sequence number (0 for an empty trail): events after it are the test's. */
export async function auditHead(db: Queryable): Promise<number> {
  const [row] = await db.select({ seq: max(auditEvents.seq) }).from(auditEvents);
  return row?.seq ?? 0;
}

/** The events written after `seq`, oldest first. */
export function auditEventsAfter(db: Queryable, seq: number) {
  return db
    .select({ action: auditEvents.action, targetId: auditEvents.targetId, actorLabel: auditEvents.actorLabel, after: auditEvents.after })
    .from(auditEvents)
    .where(gt(auditEvents.seq, seq))
    .orderBy(asc(auditEvents.seq));
}

/** Runs `statement` as an owner who switched the append-only trigger off (what the keyed chain must still reveal). */
export async function asAuditOwner(handle: DatabaseHandle, statement: ReturnType<typeof sql>) {
  await handle.db.execute(sql`ALTER TABLE audit_events DISABLE TRIGGER USER`);
  try {
    await handle.db.execute(statement);
  } finally {
    await handle.db.execute(sql`ALTER TABLE audit_events ENABLE TRIGGER USER`);
  }
}
