// The machine side of a cluster (issue 18): the decision log of /api/v1/decide with its sampling
// setting, each cluster's admission mode, and the admission webhook's serving certificates.
import { sql } from "drizzle-orm";
import { boolean, check, doublePrecision, index, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { clusters } from "./org";

import { ADMISSION_MODES } from "../../lib/machines";

/**
 * What the decision point logs (a single row, id 1). Each decision is logged with probability
 * `sampleRate` (0: none, 1: all); with `alwaysLogDenies` every deny is logged whatever the rate.
 * Entries older than `retentionDays` are swept.
 */
export const decisionLogSettings = pgTable(
  "decision_log_settings",
  {
    id: integer("id").primaryKey().default(1),
    sampleRate: doublePrecision("sample_rate").notNull().default(0),
    alwaysLogDenies: boolean("always_log_denies").notNull().default(false),
    retentionDays: integer("retention_days").notNull().default(14),
    version: integer("version").notNull().default(1),
    updatedBy: text("updated_by").notNull().default("system"),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check("decision_log_settings_rate", sql`${t.sampleRate} >= 0 AND ${t.sampleRate} <= 1`),
    check("decision_log_settings_retention", sql`${t.retentionDays} >= 1`),
  ],
);

/** One logged decision (OPA's decision-log shape: id, revision, input, result, rationale, timing). */
export const decisionLog = pgTable(
  "decision_log",
  {
    decisionId: uuid("decision_id").primaryKey(),
    decidedAt: timestamp("decided_at", { withTimezone: true }).notNull(),
    /** The cluster's name as asked (kept when the cluster is retired or renamed). */
    cluster: text("cluster").notNull(),
    /** The release that decided (null: none loaded, failed closed). */
    release: integer("release"),
    decision: text("decision", { enum: ["allow", "deny"] }).notNull(),
    /** The endpoints as asked, one line each ("ns/pod", "ns {app=x}", an IP, a DNS name). */
    source: text("source").notNull(),
    destination: text("destination").notNull(),
    port: integer("port").notNull(),
    protocol: text("protocol").notNull(),
    /** The whole request body (the flow as sent). */
    input: jsonb("input").$type<Record<string, unknown>>().notNull(),
    reasons: jsonb("reasons").$type<string[]>().notNull(),
    /** Who asked: the token's label. */
    caller: text("caller").notNull(),
    dryRunChangeRequest: integer("dry_run_change_request"),
    cached: boolean("cached").notNull(),
    stale: boolean("stale").notNull().default(false),
    /** Time spent deciding inside the handler, in microseconds. */
    micros: integer("micros").notNull(),
  },
  (t) => [index("decision_log_time").on(t.decidedAt), index("decision_log_cluster_time").on(t.cluster, t.decidedAt)],
);

/** Each cluster's admission mode (no row: enforce), edited by admins. */
export const clusterAdmission = pgTable("cluster_admission", {
  clusterId: uuid("cluster_id")
    .primaryKey()
    .references(() => clusters.id, { onDelete: "cascade" }),
  mode: text("mode", { enum: ADMISSION_MODES }).notNull(),
  updatedBy: text("updated_by").notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/**
 * The admission webhook's serving certificates of a cluster: a CA (long-lived; its certificate is the
 * webhook configuration's caBundle) and a serving certificate it signs for the webhook's Service DNS
 * name. Rotation issues a new serving certificate from the same CA, so the caBundle stays; the CA is
 * replaced only when it nears its own expiry. Private keys are sealed (AES-256-GCM under a key derived
 * from the audit key, which lives outside the database): `keyId` names the audit key that sealed them.
 */
export const webhookCertificates = pgTable(
  "webhook_certificates",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    clusterId: uuid("cluster_id")
      .notNull()
      .references(() => clusters.id, { onDelete: "cascade" }),
    /** The Service the API server calls: <service>.<namespace>.svc */
    serviceName: text("service_name").notNull(),
    serviceNamespace: text("service_namespace").notNull(),
    caCertPem: text("ca_cert_pem").notNull(),
    caKeySealed: text("ca_key_sealed").notNull(),
    caNotAfter: timestamp("ca_not_after", { withTimezone: true }).notNull(),
    certPem: text("cert_pem").notNull(),
    keySealed: text("key_sealed").notNull(),
    keyId: text("key_id").notNull(),
    serial: text("serial").notNull(),
    notBefore: timestamp("not_before", { withTimezone: true }).notNull(),
    notAfter: timestamp("not_after", { withTimezone: true }).notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    /** The last time an admin downloaded the serving Secret (cert + key): null after a rotation nobody applied yet. */
    downloadedAt: timestamp("downloaded_at", { withTimezone: true }),
    /** Set when a newer certificate of the cluster replaced this one. */
    supersededAt: timestamp("superseded_at", { withTimezone: true }),
  },
  (t) => [index("webhook_certificates_cluster").on(t.clusterId, t.createdAt)],
);
