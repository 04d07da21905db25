// Policies are named documents; every edit is a new immutable version.
import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { user } from "./auth";
import { tenants } from "./org";

export const POLICY_KINDS = ["Policy", "ComplianceConstraint"] as const;
export const TIERS = ["global", "regional", "cluster", "namespace", "baseline"] as const;
export type Tier = (typeof TIERS)[number];
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
  (t) => [uniqueIndex("policies_kind_name").on(t.kind, t.name)],
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
    document: jsonb("document").$type<Record<string, unknown>>().notNull(),
    contentHash: text("content_hash").notNull(),
    authorId: text("author_id").references(() => user.id, { onDelete: "set null" }),
    authorLabel: text("author_label").notNull(),
    message: text("message").notNull().default(""),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("policy_versions_policy_version").on(t.policyId, t.version), index("policy_versions_policy").on(t.policyId)],
);
