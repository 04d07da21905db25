// What Policyplane knows of each cluster beyond its registration (issue 16):
// its capabilities and retirement, the latest observed state it reported (by
// hand or from its agent) and the drift between that and its desired state.
import { sql } from "drizzle-orm";
import { boolean, check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { clusters } from "./org";

import { ADMIN_POLICY_APIS, CNIS, DRIFT_TYPES } from "../../lib/clusters";

export { ADMIN_POLICY_APIS, CNIS, DRIFT_TYPES, type AdminPolicyApi, type Cni, type DriftType } from "../../lib/clusters";

/** A Kubernetes object as stored (plain JSON). */
export type ObservedObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string } & Record<string, unknown>;
} & Record<string, unknown>;
/** An object of an upload that was not kept: its place in the list and why. */
export type RejectedObject = { index: number | null; line: number; message: string };
export type FieldDiff = { path: string; desired: unknown; observed: unknown };
/** The paths (workload → workload port) a drift opens or closes, from the engine; the first ones named, all counted. */
export type DriftEffect = { opened: string[]; closed: string[]; openedCount: number; closedCount: number };

/** One row per cluster that has a profile; a cluster without one has unknown capabilities and never reported. */
export const clusterProfiles = pgTable(
  "cluster_profiles",
  {
    clusterId: uuid("cluster_id")
      .primaryKey()
      .references(() => clusters.id, { onDelete: "cascade" }),
    /** null: not known yet (no admin set it, no agent reported it). */
    cni: text("cni", { enum: CNIS }),
    istio: boolean("istio").notNull().default(false),
    /**
     * The admin policy API whose CRDs the cluster serves, as its agent detected it: v1alpha1
     * (AdminNetworkPolicy), v1alpha2 (ClusterNetworkPolicy) or none; null: never detected.
     */
    adminPolicyApi: text("admin_policy_api", { enum: ADMIN_POLICY_APIS }),
    /** When the agent last reported capabilities that differed from those kept (null: only an admin set them). */
    capabilitiesReportedAt: timestamp("capabilities_reported_at", { withTimezone: true }),
    retiredAt: timestamp("retired_at", { withTimezone: true }),
    /** The last time the cluster (its agent, or someone uploading for it) sent observed state. */
    lastContactAt: timestamp("last_contact_at", { withTimezone: true }),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check("cluster_profiles_cni_known", sql`${t.cni} IS NULL OR ${t.cni} IN ('cilium', 'calico', 'other')`),
    check(
      "cluster_profiles_admin_policy_api_known",
      sql`${t.adminPolicyApi} IS NULL OR ${t.adminPolicyApi} IN ('v1alpha1', 'v1alpha2', 'none')`,
    ),
  ],
);

/** The latest observed state of each cluster: replaced whole by each upload. */
export const clusterObserved = pgTable("cluster_observed", {
  clusterId: uuid("cluster_id")
    .primaryKey()
    .references(() => clusters.id, { onDelete: "cascade" }),
  objects: jsonb("objects").$type<ObservedObject[]>().notNull(),
  rejected: jsonb("rejected").$type<RejectedObject[]>().notNull().default([]),
  source: text("source", { enum: ["upload", "agent"] }).notNull(),
  /** The release the drift was computed against (null: none had been made). */
  desiredRelease: integer("desired_release"),
  uploadedByLabel: text("uploaded_by_label").notNull(),
  uploadedAt: timestamp("uploaded_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Each difference between a cluster's desired and observed objects, with when it was first seen. */
export const clusterDrifts = pgTable(
  "cluster_drifts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    clusterId: uuid("cluster_id")
      .notNull()
      .references(() => clusters.id, { onDelete: "cascade" }),
    /** group/kind/namespace/name */
    objectKey: text("object_key").notNull(),
    type: text("type", { enum: DRIFT_TYPES }).notNull(),
    kind: text("kind").notNull(),
    namespace: text("namespace"),
    name: text("name").notNull(),
    diff: jsonb("diff").$type<FieldDiff[]>().notNull().default([]),
    desired: jsonb("desired").$type<ObservedObject>(),
    observed: jsonb("observed").$type<ObservedObject>(),
    /** null: not computed (too many drifts in one upload, or no inventory for the cluster). */
    effect: jsonb("effect").$type<DriftEffect>(),
    firstSeenAt: timestamp("first_seen_at", { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("cluster_drifts_cluster_object").on(t.clusterId, t.objectKey),
    index("cluster_drifts_cluster").on(t.clusterId),
    check("cluster_drifts_type_known", sql`${t.type} IN ('missing', 'unmanaged', 'modified')`),
  ],
);

/** The drift counts after each recompute (an upload, an agent push, a re-render): the trend on the cluster page. */
export const clusterDriftPoints = pgTable(
  "cluster_drift_points",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    clusterId: uuid("cluster_id")
      .notNull()
      .references(() => clusters.id, { onDelete: "cascade" }),
    at: timestamp("at", { withTimezone: true }).notNull(),
    missing: integer("missing").notNull(),
    unmanaged: integer("unmanaged").notNull(),
    modified: integer("modified").notNull(),
  },
  (t) => [index("cluster_drift_points_cluster_at").on(t.clusterId, t.at)],
);

/**
 * The GitOps remote's delivery state: `failingSince` is set by the first push that fails and
 * cleared by the next that succeeds, so an outage is audited once when it starts and once when it
 * ends, however many exports retry in between.
 */
export const gitopsRemotes = pgTable("gitops_remotes", {
  url: text("url").primaryKey(),
  failingSince: timestamp("failing_since", { withTimezone: true }),
  /** The last failed push's reason (never a credential). */
  error: text("error"),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
