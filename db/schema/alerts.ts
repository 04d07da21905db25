// Alerts on observed traffic (issue 17 item 7): rules as data (admins edit them,
// audited), the alerts they fire (one open row per rule and key, so evaluations on
// several replicas fire each alert once), and silences that suppress matching ones.
// Also the violation events SIEM collectors read with a cursor (item 8).
import { sql } from "drizzle-orm";
import { bigint, boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { ALERT_RULE_KINDS, SEVERITIES, type FLOW_CLASSES } from "../../lib/flows";
import type { CRITICALITIES } from "../../lib/vocabulary";
import { user } from "./auth";
import { tenants } from "./org";
import { flowAggregates } from "./flows";

/** A rule's parameters; which ones count depends on its kind (server/alerts/schemas.ts validates them). */
export interface AlertRuleParams {
  /** The window the rule looks back over, in minutes. */
  windowMinutes: number;
  /** threshold: fire when more than this many flows… */
  threshold?: number;
  /** threshold: …of this class (default violation)… */
  flowClass?: Exclude<(typeof FLOW_CLASSES)[number], "allowed">;
  /** …to destinations of this criticality (external destinations, or namespaces labelled `policyplane.io/criticality`). */
  destinationCriticality?: (typeof CRITICALITIES)[number];
  /** Only flows of at least this severity. */
  minSeverity?: (typeof SEVERITIES)[number];
  /** Only this cluster's flows. */
  cluster?: string;
}

export const alertRules = pgTable("alert_rules", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull().unique(),
  kind: text("kind", { enum: ALERT_RULE_KINDS }).notNull(),
  params: jsonb("params").$type<AlertRuleParams>().notNull(),
  enabled: boolean("enabled").notNull().default(true),
  updatedByLabel: text("updated_by_label").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});
export type AlertRuleRow = typeof alertRules.$inferSelect;

/** What a silence matches: every given field must equal the alert's (at least one is given). */
export interface SilenceMatcher {
  ruleId?: string;
  cluster?: string;
  source?: string;
  destination?: string;
}

export const alertSilences = pgTable(
  "alert_silences",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    matcher: jsonb("matcher").$type<SilenceMatcher>().notNull(),
    reason: text("reason").notNull(),
    until: timestamp("until", { withTimezone: true, precision: 3 }).notNull(),
    createdById: text("created_by_id").references(() => user.id, { onDelete: "set null" }),
    createdByLabel: text("created_by_label").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    /** Ended early by someone (null: runs until `until`). */
    endedAt: timestamp("ended_at", { withTimezone: true, precision: 3 }),
    endedByLabel: text("ended_by_label"),
  },
  (t) => [index("alert_silences_until").on(t.until)],
);
export type AlertSilenceRow = typeof alertSilences.$inferSelect;

export const alerts = pgTable(
  "alerts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    ruleId: uuid("rule_id")
      .notNull()
      .references(() => alertRules.id, { onDelete: "cascade" }),
    /** What the alert is about within its rule (a destination, a path): one open alert per rule and key. */
    key: text("key").notNull(),
    cluster: text("cluster").notNull(),
    source: text("source"),
    destination: text("destination").notNull(),
    port: integer("port"),
    protocol: text("protocol"),
    summary: text("summary").notNull(),
    /**
     * The tenants whose workloads the alert is about, for readers limited to some tenants: the
     * source's (path alerts) and the destination's (null: not a tenant's namespace).
     */
    sourceTenantId: uuid("source_tenant_id").references(() => tenants.id, { onDelete: "set null" }),
    destinationTenantId: uuid("destination_tenant_id").references(() => tenants.id, { onDelete: "set null" }),
    /** The figure that fired it (flows in the window). */
    value: integer("value").notNull(),
    severity: text("severity", { enum: SEVERITIES }).notNull(),
    /** The silence that suppressed its delivery (null: delivered). */
    silencedById: uuid("silenced_by_id").references(() => alertSilences.id, { onDelete: "set null" }),
    firedAt: timestamp("fired_at", { withTimezone: true, precision: 3 }).notNull(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true, precision: 3 }).notNull(),
    resolvedAt: timestamp("resolved_at", { withTimezone: true, precision: 3 }),
  },
  (t) => [
    uniqueIndex("alerts_open_key")
      .on(t.ruleId, t.key)
      .where(sql`resolved_at IS NULL`),
    index("alerts_fired").on(t.firedAt),
  ],
);
export type AlertRow = typeof alerts.$inferSelect;

/**
 * Violations, near-misses and enforcement gaps as events for SIEM collectors: one per path and
 * minute (its aggregate), emitted once the minute is closed (server/flows/close.ts), plus one per
 * later pass that found flows of that minute arriving after it closed (a late delta). Lean: the
 * path, class, rationale and attribution are the aggregate's, joined when exporting; `count` is the
 * flows this event adds (the events of an aggregate add up to its count). `tx` is the emitting
 * transaction's id: an exporter reads only events of transactions older than every transaction
 * still running, in (tx, seq) order, so a cursor never skips an event that commits late nor
 * repeats one. Deleted with their aggregate (retention).
 */
export const violationEvents = pgTable(
  "violation_events",
  {
    seq: bigint("seq", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    tx: bigint("tx", { mode: "number" })
      .notNull()
      .default(sql`(pg_current_xact_id()::text::bigint)`),
    receivedAt: timestamp("received_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    aggregateId: uuid("aggregate_id")
      .notNull()
      .references(() => flowAggregates.id, { onDelete: "cascade" }),
    count: integer("count").notNull(),
    firstSeen: timestamp("first_seen", { withTimezone: true }).notNull(),
    lastSeen: timestamp("last_seen", { withTimezone: true }).notNull(),
  },
  (t) => [index("violation_events_cursor").on(t.tx, t.seq), index("violation_events_aggregate").on(t.aggregateId)],
);
export type ViolationEventRow = typeof violationEvents.$inferSelect;
