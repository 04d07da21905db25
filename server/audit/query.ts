import "server-only";
// Reading the audit trail: filtered listing and whole-chain verification.
import { and, asc, desc, eq, gt, gte, ilike, lte, or, type SQL } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { auditEvents } from "@/db/schema";
import { readableTenantIds } from "@/server/auth/authorize";
import type { ServiceContext } from "@/server/context";
import { requireOrganisationReader } from "./access";
import { ChainVerifier, type ChainVerification } from "./chain";
import { readCheckpoints } from "./checkpoints";
import { auditSettings, type AuditSettings } from "./keys";
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

/** Verifies the whole chain for a caller with an organisation-wide role. */
export async function checkAuditTrail({ ctx }: { ctx: ServiceContext }): Promise<ChainVerification & { verifiedAt: Date }> {
  requireOrganisationReader(ctx.actor);
  return { ...(await verifyAuditTrail(ctx.db)), verifiedAt: new Date() };
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

/**
 * Walks the whole chain in seq order, a page at a time, so memory stays flat:
 * every event's keyed hash, and every exported checkpoint (the newest one must
 * still be in the chain, so a cut-off tail shows).
 */
export async function verifyAuditTrail(
  db: Queryable,
  settings: Pick<AuditSettings, "keyring" | "checkpointFile"> = auditSettings(),
  pageSize = 2000,
): Promise<ChainVerification> {
  const read = readCheckpoints(settings.checkpointFile, settings.keyring);
  if (!read.ok) return { ok: false, checked: 0, brokenAtSeq: 0, reason: `the checkpoint file cannot be trusted: ${read.reason}` };
  const verifier = new ChainVerifier(settings.keyring, read.checkpoints);
  for await (const row of auditEventsInOrder(db, pageSize)) if (!verifier.push(row)) break;
  return verifier.result();
}

/** Every event in seq order, read a page at a time. */
export async function* auditEventsInOrder(db: Queryable, pageSize = 2000) {
  let afterSeq = 0;
  for (;;) {
    const rows = await db.select().from(auditEvents).where(gt(auditEvents.seq, afterSeq)).orderBy(asc(auditEvents.seq)).limit(pageSize);
    yield* rows;
    if (rows.length < pageSize) return;
    afterSeq = rows[rows.length - 1]!.seq;
  }
}
