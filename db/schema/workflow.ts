// The approval workflow: approval rules (data admins edit), approvals bound to
// a change request's content hash, and releases (immutable numbered snapshots
// of the whole policy set). See server/workflow and server/releases.
import { sql } from "drizzle-orm";
import { boolean, check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { user } from "./auth";
import { clusters } from "./org";
import { changeRequests, policies, POLICY_KINDS } from "./policy";
import { ENVIRONMENTS, type CommitteeFunction, type Tier } from "../../lib/vocabulary";

/** Which policy edits a rule covers. An edit matches when every given field matches. */
export interface ApprovalRuleMatch {
  tiers?: Tier[];
  kinds?: (typeof POLICY_KINDS)[number][];
  /** Only edits that loosen an existing compliance constraint. */
  loosensConstraint?: boolean;
  /** The emergency rule: matches no edit; it is the quorum an emergency release needs instead of the others. */
  emergency?: boolean;
}

/**
 * `count` distinct people of `function`. "owning-tenant": an approver of that function in the
 * edited policy's tenant (or organisation-wide); "organisation": only organisation-wide approvers.
 */
export interface ApprovalRequirement {
  function: CommitteeFunction;
  count: number;
  scope: "owning-tenant" | "organisation";
}

export const approvalRules = pgTable(
  "approval_rules",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** Stable name the API and the checklist show ("namespace-tier"). */
    key: text("key").notNull(),
    description: text("description").notNull().default(""),
    match: jsonb("match").$type<ApprovalRuleMatch>().notNull(),
    requirements: jsonb("requirements").$type<ApprovalRequirement[]>().notNull(),
    enabled: boolean("enabled").notNull().default(true),
    /** Bumped by every edit: an admin saving over someone else's edit is refused, not a lost update. */
    version: integer("version").notNull().default(1),
    updatedBy: text("updated_by").notNull().default("system"),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("approval_rules_key").on(t.key)],
);

/** One person's approval of exactly one content hash of a change request. Voided (never deleted) when the content changes. */
export const changeRequestApprovals = pgTable(
  "change_request_approvals",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    changeRequestId: uuid("change_request_id")
      .notNull()
      .references(() => changeRequests.id, { onDelete: "cascade" }),
    /** Null once the person's account is deleted; approverLabel keeps who it was. */
    approverId: text("approver_id").references(() => user.id, { onDelete: "set null" }),
    approverLabel: text("approver_label").notNull(),
    /** The approver's committee functions when they approved (what they could count for). */
    functions: jsonb("functions").$type<CommitteeFunction[]>().notNull(),
    contentHash: text("content_hash").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    voidedAt: timestamp("voided_at", { withTimezone: true }),
    voidedReason: text("voided_reason"),
  },
  (t) => [
    index("change_request_approvals_cr").on(t.changeRequestId),
    // One standing approval per person and change request, even when two approvals race.
    uniqueIndex("change_request_approvals_one_per_person")
      .on(t.changeRequestId, t.approverId)
      .where(sql`voided_at IS NULL`),
  ],
);

/** Immutable (a trigger refuses UPDATE and DELETE): release N is the policy set as it was released. */
export const releases = pgTable(
  "releases",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    number: integer("number").notNull(),
    /** The change request released; null for a release not made from one (a rollback). */
    changeRequestId: uuid("change_request_id").references(() => changeRequests.id, { onDelete: "restrict" }),
    changeRequestNumber: integer("change_request_number"),
    title: text("title").notNull(),
    /** Hash over every entry: two releases with the same policy set have the same hash. */
    policySetHash: text("policy_set_hash").notNull(),
    /** Active exceptions at release time (exceptions are their own issue: empty until they exist). */
    exceptionIds: jsonb("exception_ids").$type<string[]>().notNull().default([]),
    createdById: text("created_by_id").references(() => user.id, { onDelete: "set null" }),
    createdByLabel: text("created_by_label").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    /** Released through the emergency rule (fewer approvals, through a freeze): flagged, and reviewed afterwards. */
    emergencyReason: text("emergency_reason"),
    /** A rollback: this release's policy set equals release `rollbackTo`'s. */
    rollbackTo: integer("rollback_to"),
    /** Made from a staged change: it enforced nothing new, it only staged versions (releaseStagedEntries). */
    staged: boolean("staged").notNull().default(false),
  },
  (t) => [uniqueIndex("releases_number").on(t.number), uniqueIndex("releases_change_request").on(t.changeRequestId)],
);

/** One policy (or constraint) version in a release. Immutable like its release. */
export const releaseEntries = pgTable(
  "release_entries",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    releaseId: uuid("release_id")
      .notNull()
      .references(() => releases.id, { onDelete: "restrict" }),
    policyId: uuid("policy_id")
      .notNull()
      .references(() => policies.id, { onDelete: "restrict" }),
    name: text("name").notNull(),
    kind: text("kind", { enum: POLICY_KINDS }).notNull(),
    tier: text("tier").notNull(),
    tenantId: uuid("tenant_id"),
    version: integer("version").notNull(),
    /** The version released before this release (null: the policy was not released before). */
    previousVersion: integer("previous_version"),
    contentHash: text("content_hash").notNull(),
    /** Whether this release moved the policy to this version (false: carried over unchanged). */
    changed: boolean("changed").notNull(),
  },
  (t) => [uniqueIndex("release_entries_release_policy").on(t.releaseId, t.policyId), index("release_entries_policy").on(t.policyId)],
);

/**
 * A policy version a release carries as staged (issue 13 §11): rendered as an audit-only object where the
 * cluster's CNI has one (Calico's staged policies), never enforced: the engine, the graph and the decisions read
 * only releaseEntries. A staged version stays in later releases until a release enforces its policy at that
 * version or a newer one. Immutable like its release.
 */
export const releaseStagedEntries = pgTable(
  "release_staged_entries",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    releaseId: uuid("release_id")
      .notNull()
      .references(() => releases.id, { onDelete: "restrict" }),
    policyId: uuid("policy_id")
      .notNull()
      .references(() => policies.id, { onDelete: "restrict" }),
    name: text("name").notNull(),
    kind: text("kind", { enum: POLICY_KINDS }).notNull(),
    version: integer("version").notNull(),
    contentHash: text("content_hash").notNull(),
    /** The staged change request that staged this version. */
    changeRequestNumber: integer("change_request_number").notNull(),
  },
  (t) => [uniqueIndex("release_staged_entries_release_policy").on(t.releaseId, t.policyId)],
);

/** A change window closed: no release reaches clusters of `environment` while startsAt ≤ now < endsAt. */
export const changeFreezes = pgTable(
  "change_freezes",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    environment: text("environment", { enum: ENVIRONMENTS }).notNull(),
    startsAt: timestamp("starts_at", { withTimezone: true }).notNull(),
    endsAt: timestamp("ends_at", { withTimezone: true }).notNull(),
    reason: text("reason").notNull(),
    createdById: text("created_by_id").references(() => user.id, { onDelete: "set null" }),
    createdByLabel: text("created_by_label").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("change_freezes_window").on(t.environment, t.endsAt), check("change_freezes_ordered", sql`${t.startsAt} < ${t.endsAt}`)],
);

export const ROLLOUT_STATUSES = ["pending", "rendered", "applied", "failed"] as const;
export type RolloutStatus = (typeof ROLLOUT_STATUSES)[number];

/**
 * What made a rollout fail: its compile, the cluster's own report, or the GitOps push that should
 * have delivered it (that one recovers by itself when a later push succeeds).
 */
export const ROLLOUT_FAILURES = ["compile", "cluster", "gitops-push"] as const;
export type RolloutFailure = (typeof ROLLOUT_FAILURES)[number];

/**
 * A release's rollout (issue 13 §10): clusters get it wave by wave, canary clusters first.
 * `currentWave` is the last wave started (0: none yet); while `pausedAt` is set no wave starts.
 */
export const releaseRollouts = pgTable("release_rollouts", {
  releaseId: uuid("release_id")
    .primaryKey()
    .references(() => releases.id, { onDelete: "restrict" }),
  currentWave: integer("current_wave").notNull().default(0),
  waves: integer("waves").notNull(),
  pausedAt: timestamp("paused_at", { withTimezone: true }),
  pausedByLabel: text("paused_by_label"),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/** One cluster's status for one release: pending until its wave starts, rendered by the compiler, then applied or failed as the cluster reports. */
export const releaseClusterRollouts = pgTable(
  "release_cluster_rollouts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    releaseId: uuid("release_id")
      .notNull()
      .references(() => releases.id, { onDelete: "restrict" }),
    clusterId: uuid("cluster_id").references(() => clusters.id, { onDelete: "set null" }),
    clusterName: text("cluster_name").notNull(),
    wave: integer("wave").notNull(),
    status: text("status", { enum: ROLLOUT_STATUSES }).notNull().default("pending"),
    message: text("message"),
    /** With status failed: what failed. */
    failedBy: text("failed_by", { enum: ROLLOUT_FAILURES }),
    /** What the compiler rendered for the cluster: how many objects, and a hash over them (what the cluster should apply). */
    renderedObjects: integer("rendered_objects"),
    renderedHash: text("rendered_hash"),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("release_cluster_rollouts_release_cluster").on(t.releaseId, t.clusterName),
    check("release_cluster_rollouts_status_known", sql`${t.status} IN ('pending', 'rendered', 'applied', 'failed')`),
    check(
      "release_cluster_rollouts_failed_by_known",
      sql`${t.failedBy} IS NULL OR (${t.status} = 'failed' AND ${t.failedBy} IN ('compile', 'cluster', 'gitops-push'))`,
    ),
  ],
);

/** A change request of kind rollback: releasing it makes a new release equal to release `targetRelease`. */
export const changeRequestRollbacks = pgTable("change_request_rollbacks", {
  changeRequestId: uuid("change_request_id")
    .primaryKey()
    .references(() => changeRequests.id, { onDelete: "cascade" }),
  targetRelease: integer("target_release").notNull(),
  /** The newest release when it was proposed: releasing it after another release is refused (propose it again). */
  baseRelease: integer("base_release").notNull(),
});

/** The review an emergency release owes: open until a reviewer (not the releaser) acknowledges it. */
export const emergencyReviews = pgTable(
  "emergency_reviews",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    releaseId: uuid("release_id")
      .notNull()
      .references(() => releases.id, { onDelete: "restrict" }),
    reason: text("reason").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    acknowledgedById: text("acknowledged_by_id").references(() => user.id, { onDelete: "set null" }),
    acknowledgedByLabel: text("acknowledged_by_label"),
    acknowledgedAt: timestamp("acknowledged_at", { withTimezone: true }),
    note: text("note"),
  },
  (t) => [uniqueIndex("emergency_reviews_release").on(t.releaseId)],
);
