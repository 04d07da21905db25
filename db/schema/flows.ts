// Observed traffic (issue 17): flow records pushed by clusters, attributed by the
// engine against the release in force and kept as per-minute aggregates with a
// few raw samples each. Storage grows with distinct paths per minute, not flows.
import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { clusters, tenants } from "./org";

import { FLOW_CLASSES, SEVERITIES, type FlowClass } from "../../lib/flows";
import { CRITICALITIES } from "../../lib/vocabulary";

export { FLOW_CLASSES, type FlowClass };

/** What decided a flow in the engine: the effect that settled it (policy, tier, rule), for drill-down. */
export interface FlowAttribution {
  layer: string;
  tier?: string;
  policy?: string;
  rule?: string;
  reason: string;
}

/** One raw record kept with its aggregate: the line as received and when. */
export interface FlowSample {
  time: string;
  line: string;
}

export const flowAggregates = pgTable(
  "flow_aggregates",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    clusterId: uuid("cluster_id")
      .notNull()
      .references(() => clusters.id, { onDelete: "cascade" }),
    /** The minute the flows were observed in (truncated). */
    minute: timestamp("minute", { withTimezone: true }).notNull(),
    /** "namespace/workload" for a pod, else the address or DNS name. */
    source: text("source").notNull(),
    sourceNamespace: text("source_namespace"),
    sourceTenantId: uuid("source_tenant_id").references(() => tenants.id, { onDelete: "set null" }),
    destination: text("destination").notNull(),
    destinationNamespace: text("destination_namespace"),
    destinationTenantId: uuid("destination_tenant_id").references(() => tenants.id, { onDelete: "set null" }),
    port: integer("port").notNull(),
    protocol: text("protocol").notNull(),
    /** The cluster's verdict as Hubble reported it (FORWARDED, DROPPED, …). */
    verdict: text("verdict").notNull(),
    flowClass: text("flow_class", { enum: FLOW_CLASSES }).notNull(),
    /** The release's verdict ("allow" / "deny"); null when the engine could not place an endpoint. */
    engineVerdict: text("engine_verdict"),
    /** The release the decision was made against (null: none yet). */
    releaseNumber: integer("release_number"),
    /** One-line decision path (egress …; ingress …), or why it could not be decided. */
    rationale: text("rationale").notNull(),
    attribution: jsonb("attribution").$type<FlowAttribution | null>(),
    /** The destination's criticality when known (an external destination, or a namespace labelled `policyplane.io/criticality`). */
    destinationCriticality: text("destination_criticality", { enum: CRITICALITIES }),
    /** How serious a denied flow is (lib/flows.ts SEVERITIES); null for allowed flows. */
    severity: text("severity", { enum: SEVERITIES }),
    count: integer("count").notNull(),
    samples: jsonb("samples").$type<FlowSample[]>().notNull().default([]),
    firstSeen: timestamp("first_seen", { withTimezone: true }).notNull(),
    lastSeen: timestamp("last_seen", { withTimezone: true }).notNull(),
    /**
     * For the SIEM stream (server/flows/close.ts): the flows already emitted as violation events, and
     * whether every flow counted is (false: the minute is still open, or flows arrived after it
     * closed; ingestion sets it back to false, the closer to true).
     */
    emittedCount: integer("emitted_count").notNull().default(0),
    closed: boolean("closed").notNull().default(false),
  },
  (t) => [
    uniqueIndex("flow_aggregates_key").on(t.clusterId, t.minute, t.source, t.destination, t.port, t.protocol, t.verdict, t.flowClass),
    index("flow_aggregates_minute").on(t.minute),
    index("flow_aggregates_class_minute")
      .on(t.flowClass, t.minute)
      .where(sql`${t.flowClass} <> 'allowed'`),
    // What the minute closer has left to emit: small (the open minutes, and late arrivals).
    index("flow_aggregates_to_emit")
      .on(t.minute)
      .where(sql`${t.flowClass} <> 'allowed' and not ${t.closed}`),
  ],
);
