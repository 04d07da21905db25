import "server-only";
// Reading the audit trail: filtered listing and whole-chain verification.
import { and, asc, desc, eq, gt, gte, ilike, lte, or, type SQL } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { auditEvents } from "@/db/schema";
import { readableTenantIds } from "@/server/auth/authorize";
import type { ServiceContext } from "@/server/context";
import { ChainVerifier, type ChainVerification, type Checkpoint, type VerifiedPosition } from "./chain";
import { readCheckpoints } from "./checkpoints";
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

/**
 * Walks the chain in seq order from the genesis (or from a verified position), a page
 * at a time, so memory stays flat: every event's keyed hash, and every exported
 * checkpoint past the start (the newest one must still be in the chain, so a cut-off tail shows).
 */
export async function walkChain(
  db: Queryable,
  keyring: AuditKeyring,
  checkpoints: readonly Checkpoint[],
  from?: VerifiedPosition,
  pageSize = 5000,
): Promise<{ result: ChainVerification; keyedSince: number | null }> {
  const verifier = new ChainVerifier(keyring, from ? checkpoints.filter((c) => c.seq > from.seq) : checkpoints, from);
  for await (const row of auditEventsInOrder(db, pageSize, from?.seq ?? 0)) if (!verifier.push(row)) break;
  return { result: verifier.result(), keyedSince: verifier.firstKeyedSeq };
}

/** The whole chain against the exported checkpoints (`npm run audit:verify`, tests). */
export async function verifyAuditTrail(
  db: Queryable,
  settings: Pick<AuditSettings, "keyring" | "checkpointFile"> = auditSettings(),
  pageSize = 5000,
): Promise<ChainVerification> {
  const read = readCheckpoints(settings.checkpointFile, settings.keyring);
  if (!read.ok) return untrustedCheckpoints(read.reason);
  return (await walkChain(db, settings.keyring, read.checkpoints, undefined, pageSize)).result;
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
