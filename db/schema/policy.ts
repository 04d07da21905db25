// Policies are named documents; every edit is a new immutable version.
import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
  type AnyPgColumn,
} from "drizzle-orm/pg-core";
import type { ComplianceConstraintDocument, PolicyDocument } from "@/server/policy/documents/schema";
import { user } from "./auth";
import { tenants } from "./org";
import { CHANGE_REQUEST_STATES, TIERS } from "../../lib/vocabulary";

export const POLICY_KINDS = ["Policy", "ComplianceConstraint"] as const;
/** What a policy version stores: the policy kinds of the document vocabulary (templates and exceptions live elsewhere). */
export type StoredPolicyDocument = PolicyDocument | ComplianceConstraintDocument;
export const VERSION_STATES = ["draft", "released"] as const;

export const policies = pgTable(
  "policies",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    kind: text("kind", { enum: POLICY_KINDS }).notNull(),
    name: text("name").notNull(),
    tier: text("tier", { enum: TIERS }).notNull(),
    tenantId: uuid("tenant_id").references(() => tenants.id, { onDelete: "restrict" }),
    owner: text("owner").notNull(),
    description: text("description").notNull().default(""),
    /** The version the current release uses; null while the policy has only drafts. */
    releasedVersion: integer("released_version"),
    latestVersion: integer("latest_version").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  // One name space for policies and constraints: routes, change requests and lookups name a policy by its name alone.
  (t) => [uniqueIndex("policies_name").on(t.name)],
);

/** Immutable: rows are only ever inserted. */
export const policyVersions = pgTable(
  "policy_versions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    policyId: uuid("policy_id")
      .notNull()
      .references(() => policies.id, { onDelete: "cascade" }),
    version: integer("version").notNull(),
    /** A Policy or ComplianceConstraint document, as the reader parsed it when the version was saved. */
    document: jsonb("document").$type<StoredPolicyDocument>().notNull(),
    contentHash: text("content_hash").notNull(),
    /**
     * The version this one was written from (the editor's base, a restored version, the release a rebase merged
     * onto); null when unknown. A rebase takes the versions' nearest common one as the merge base.
     */
    parentVersion: integer("parent_version"),
    authorId: text("author_id").references(() => user.id, { onDelete: "set null" }),
    authorLabel: text("author_label").notNull(),
    message: text("message").notNull().default(""),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("policy_versions_policy_version").on(t.policyId, t.version), index("policy_versions_policy").on(t.policyId)],
);

export { CHANGE_REQUEST_STATES, OPEN_CHANGE_REQUEST_STATES, type ChangeRequestState } from "../../lib/vocabulary";

/** A bundle of drafted policy versions proposed for release. Its review workflow builds on this. */
export const changeRequests = pgTable(
  "change_requests",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    number: integer("number").generatedAlwaysAsIdentity().notNull().unique(),
    title: text("title").notNull(),
    description: text("description").notNull().default(""),
    state: text("state", { enum: CHANGE_REQUEST_STATES }).notNull().default("in-review"),
    authorId: text("author_id").references(() => user.id, { onDelete: "set null" }),
    authorLabel: text("author_label").notNull(),
    tenantId: uuid("tenant_id").references(() => tenants.id, { onDelete: "restrict" }),
    /** Hash over the items' content hashes: an approval is bound to exactly this. */
    contentHash: text("content_hash").notNull(),
    /**
     * Staged (issue 13 §11): evaluated like any change, but its release enforces nothing: its versions are rendered as
     * audit-only objects where the cluster's CNI has them (server/releases/staged.ts). Part of the content hash.
     */
    staged: boolean("staged").notNull().default(false),
    /** The staged change this one promotes to enforcement (a new change prefilled from it, approved as usual). */
    promotedFromId: uuid("promoted_from_id").references((): AnyPgColumn => changeRequests.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  // (id, state) is what each item's copy of the state refers to (see changeRequestItems).
  (t) => [
    index("change_requests_state").on(t.state),
    unique("change_requests_id_state").on(t.id, t.state),
    check(
      "change_requests_state_known",
      sql`${t.state} IN ('draft', 'in-review', 'changes-requested', 'approved', 'released', 'rolled-out', 'rejected', 'withdrawn')`,
    ),
  ],
);

/** One policy edit in a change request: from the released version (null for a new policy) to a drafted one. */
export const changeRequestItems = pgTable(
  "change_request_items",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    changeRequestId: uuid("change_request_id")
      .notNull()
      .references(() => changeRequests.id, { onDelete: "cascade" }),
    policyId: uuid("policy_id")
      .notNull()
      .references(() => policies.id, { onDelete: "restrict" }),
    fromVersion: integer("from_version"),
    toVersion: integer("to_version").notNull(),
    /** The request's state, kept equal to it by the cascading foreign key below, so an index can see it. */
    state: text("state", { enum: CHANGE_REQUEST_STATES }).notNull().default("in-review"),
  },
  (t) => [
    uniqueIndex("change_request_items_cr_policy").on(t.changeRequestId, t.policyId),
    index("change_request_items_policy").on(t.policyId),
    foreignKey({
      name: "change_request_items_request_state_fk",
      columns: [t.changeRequestId, t.state],
      foreignColumns: [changeRequests.id, changeRequests.state],
    })
      .onUpdate("cascade")
      .onDelete("cascade"),
    // One drafted version is reviewed in at most one open change request (OPEN_CHANGE_REQUEST_STATES), even when two proposals race.
    uniqueIndex("change_request_items_open_version")
      .on(t.policyId, t.toVersion)
      .where(sql`state IN ('draft', 'in-review', 'changes-requested', 'approved')`),
  ],
);
