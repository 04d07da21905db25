// Append-only, hash-chained audit trail. A trigger in the migrations refuses
// UPDATE and DELETE, and on PostgreSQL the application's role may only insert
// and read (db/app-role.sql); the keyed chain detects tampering done around them.
import { bigint, bigserial, index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

export const auditEvents = pgTable(
  "audit_events",
  {
    seq: bigserial("seq", { mode: "number" }).primaryKey(),
    id: uuid("id").notNull().unique(),
    at: timestamp("at", { withTimezone: true, precision: 3 }).notNull(),
    actorId: text("actor_id"),
    actorLabel: text("actor_label").notNull(),
    actorType: text("actor_type", { enum: ["user", "token", "system"] }).notNull(),
    action: text("action").notNull(),
    targetType: text("target_type").notNull(),
    targetId: text("target_id").notNull(),
    targetLabel: text("target_label").notNull(),
    tenantId: uuid("tenant_id"),
    before: jsonb("before"),
    after: jsonb("after"),
    requestId: text("request_id").notNull(),
    /** Id of the HMAC key that sealed the event (the key itself never enters the database); null before the chain was keyed. */
    keyId: text("key_id"),
    prevHash: text("prev_hash").notNull(),
    hash: text("hash").notNull().unique(),
  },
  (t) => [
    index("audit_events_at").on(t.at),
    index("audit_events_action").on(t.action),
    index("audit_events_actor").on(t.actorLabel),
    // A change request's timeline reads the events of one target.
    index("audit_events_target").on(t.targetType, t.targetId),
  ],
);

/**
 * Verified positions of the chain: "events #1 to #seq were verified, and #seq's hash was `hash`". The Audit page
 * continues from the newest one instead of re-hashing the whole chain. Each row is signed with the audit key,
 * so someone who can write the database cannot plant a "verified" row over a chain they rewrote.
 */
export const auditVerifications = pgTable(
  "audit_verifications",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    hash: text("hash").notNull(),
    verifiedAt: timestamp("verified_at", { withTimezone: true, precision: 3 }).notNull(),
    /** "full": every event from #1 was re-hashed; "incremental": from the previous verified row on. */
    kind: text("kind", { enum: ["full", "incremental"] }).notNull(),
    /** The first event this verification re-hashed (1 for a full one). */
    fromSeq: bigint("from_seq", { mode: "number" }).notNull(),
    /** The first keyed event (null: none yet), so an incremental walk knows whether an unkeyed event is allowed. */
    keyedSince: bigint("keyed_since", { mode: "number" }),
    verifiedBy: text("verified_by").notNull(),
    keyId: text("key_id").notNull(),
    signature: text("signature").notNull(),
  },
  (t) => [index("audit_verifications_seq").on(t.seq)],
);
