// Reading the audit trail: filtered listing and whole-chain verification.
import { and, asc, desc, eq, gt, gte, ilike, lte, or, type SQL } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { auditEvents } from "@/db/schema";
import { ChainVerifier, type ChainVerification } from "./chain";

export interface AuditFilter {
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

export async function listAuditEvents(db: Queryable, filter: AuditFilter) {
  const conditions: SQL[] = [];
  if (filter.actor) conditions.push(ilike(auditEvents.actorLabel, `%${escapeLike(filter.actor)}%`));
  if (filter.action) conditions.push(ilike(auditEvents.action, `${escapeLike(filter.action)}%`));
  if (filter.target) {
    const pattern = `%${escapeLike(filter.target)}%`;
    conditions.push(or(ilike(auditEvents.targetLabel, pattern), ilike(auditEvents.targetId, pattern), ilike(auditEvents.targetType, pattern))!);
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

/** Walks the whole chain in seq order, a page at a time, so memory stays flat. */
export async function verifyAuditTrail(db: Queryable, pageSize = 2000): Promise<ChainVerification> {
  const verifier = new ChainVerifier();
  let afterSeq = 0;
  for (;;) {
    const rows = await db.select().from(auditEvents).where(gt(auditEvents.seq, afterSeq)).orderBy(asc(auditEvents.seq)).limit(pageSize);
    for (const row of rows) if (!verifier.push(row)) return verifier.result();
    if (rows.length < pageSize) return verifier.result();
    afterSeq = rows[rows.length - 1]!.seq;
  }
}
