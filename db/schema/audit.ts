// Append-only, hash-chained audit trail. A trigger in the migrations refuses
// UPDATE and DELETE, and on PostgreSQL the application's role may only insert
// and read (db/app-role.sql); the keyed chain detects tampering done around them.
import { bigserial, index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

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
