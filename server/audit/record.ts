import "server-only";
import { randomUUID } from "node:crypto";
import { desc, sql } from "drizzle-orm";
import { auditEvents } from "@/db/schema";
import type { ServiceContext } from "@/server/context";
import { GENESIS_HASH, eventHash, type ChainedEventContent } from "./chain";
import { auditSettings } from "./keys";

export interface AuditInput {
  action: string;
  targetType: string;
  targetId: string;
  targetLabel?: string;
  tenantId?: string | null;
  before?: unknown;
  after?: unknown;
}

// Any constant works; it only has to be the same for every writer of the chain.
const AUDIT_CHAIN_LOCK = 7_301_911;

/**
 * Appends one event to the chain, sealed with the current audit key. Must run
 * inside the transaction of the change it records (ctx.inTransaction), so a
 * failed audit write rolls the change back. Returns the new head.
 */
export async function recordAudit(ctx: ServiceContext, input: AuditInput): Promise<{ seq: number; hash: string }> {
  if (!ctx.inTransaction) throw new Error("recordAudit must run inside the transaction of the change it records");
  // Serialise writers so two transactions never chain onto the same predecessor.
  await ctx.db.execute(sql`SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`);
  const [last] = await ctx.db.select({ hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
  const prevHash = last?.hash ?? GENESIS_HASH;
  const key = auditSettings().keyring.current;
  const content: ChainedEventContent = {
    id: randomUUID(),
    at: new Date(),
    actorId: ctx.actor.id,
    actorLabel: ctx.actor.label,
    actorType: ctx.actor.type,
    action: input.action,
    targetType: input.targetType,
    targetId: input.targetId,
    targetLabel: input.targetLabel ?? input.targetId,
    tenantId: input.tenantId ?? null,
    // Round-trip through JSON so the hash covers exactly what jsonb will store.
    before: input.before === undefined ? null : JSON.parse(JSON.stringify(input.before)),
    after: input.after === undefined ? null : JSON.parse(JSON.stringify(input.after)),
    requestId: ctx.requestId,
    keyId: key.id,
  };
  const [row] = await ctx.db
    .insert(auditEvents)
    .values({ ...content, prevHash, hash: eventHash(prevHash, content, key) })
    .returning({ seq: auditEvents.seq, hash: auditEvents.hash });
  return row!;
}
