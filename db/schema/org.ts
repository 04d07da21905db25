// Organisation, access and inventory: tenants, role memberships, machine
// tokens, clusters and what runs in them.
import { sql } from "drizzle-orm";
import { bigint, boolean, check, index, integer, jsonb, pgTable, text, timestamp, unique, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { user } from "./auth";

import { COMMITTEE_FUNCTIONS, CRITICALITIES, ENVIRONMENTS, ROLES, TOKEN_SCOPES } from "../../lib/vocabulary";

export {
  COMMITTEE_FUNCTIONS,
  CRITICALITIES,
  ENVIRONMENTS,
  ROLES,
  TOKEN_SCOPES,
  type CommitteeFunction,
  type Role,
  type TokenScope,
} from "../../lib/vocabulary";

export type Labels = Record<string, string>;
export type NamedPort = { name?: string; port: number; protocol: "TCP" | "UDP" | "SCTP" };

export const tenants = pgTable("tenants", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull().unique(),
  displayName: text("display_name").notNull(),
  ownerTeam: text("owner_team").notNull(),
  description: text("description").notNull().default(""),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/** A role for a user, either in one tenant or (tenantId null) across the whole organisation. */
export const memberships = pgTable(
  "memberships",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: text("user_id")
      .notNull()
      .references(() => user.id, { onDelete: "cascade" }),
    tenantId: uuid("tenant_id").references(() => tenants.id, { onDelete: "cascade" }),
    role: text("role", { enum: ROLES }).notNull(),
    committeeFunction: text("committee_function", { enum: COMMITTEE_FUNCTIONS }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // NULLS NOT DISTINCT: a user holds a role globally at most once, too.
    unique("memberships_user_tenant_role").on(t.userId, t.tenantId, t.role).nullsNotDistinct(),
    check("approver_has_function", sql`${t.role} <> 'approver' OR ${t.committeeFunction} IS NOT NULL`),
  ],
);

/** Machine credentials for cluster agents and CI. Only a SHA-256 of the secret is kept. */
export const apiTokens = pgTable("api_tokens", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull(),
  prefix: text("prefix").notNull(),
  secretHash: text("secret_hash").notNull().unique(),
  role: text("role", { enum: ROLES }).notNull(),
  tenantId: uuid("tenant_id").references(() => tenants.id, { onDelete: "cascade" }),
  /** The endpoints it may call (TOKEN_SCOPES); a token with none can only say who it is. */
  scopes: text("scopes", { enum: TOKEN_SCOPES })
    .array()
    .notNull()
    .default(sql`'{}'::text[]`),
  /** Set: the token speaks for this one cluster only (its agent); null: for any. */
  clusterId: uuid("cluster_id").references(() => clusters.id, { onDelete: "cascade" }),
  createdBy: text("created_by").references(() => user.id, { onDelete: "set null" }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  expiresAt: timestamp("expires_at", { withTimezone: true }),
  lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
  revokedAt: timestamp("revoked_at", { withTimezone: true }),
});

export const clusters = pgTable("clusters", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull().unique(),
  region: text("region").notNull(),
  environment: text("environment", { enum: ENVIRONMENTS }).notNull(),
  labels: jsonb("labels").$type<Labels>().notNull().default({}),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

export const namespaces = pgTable(
  "namespaces",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    clusterId: uuid("cluster_id")
      .notNull()
      .references(() => clusters.id, { onDelete: "cascade" }),
    tenantId: uuid("tenant_id").references(() => tenants.id, { onDelete: "set null" }),
    name: text("name").notNull(),
    labels: jsonb("labels").$type<Labels>().notNull().default({}),
  },
  (t) => [uniqueIndex("namespaces_cluster_name").on(t.clusterId, t.name)],
);

export const workloads = pgTable(
  "workloads",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    namespaceId: uuid("namespace_id")
      .notNull()
      .references(() => namespaces.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    kind: text("kind").notNull(),
    labels: jsonb("labels").$type<Labels>().notNull().default({}),
    ports: jsonb("ports").$type<NamedPort[]>().notNull().default([]),
    ips: jsonb("ips").$type<string[]>().notNull().default([]),
    replicas: integer("replicas").notNull().default(1),
  },
  (t) => [uniqueIndex("workloads_namespace_name").on(t.namespaceId, t.name), index("workloads_namespace").on(t.namespaceId)],
);

export const services = pgTable(
  "services",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    namespaceId: uuid("namespace_id")
      .notNull()
      .references(() => namespaces.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    selector: jsonb("selector").$type<Labels>().notNull().default({}),
    ports: jsonb("ports").$type<(NamedPort & { targetPort: number | string })[]>().notNull().default([]),
    clusterIp: text("cluster_ip"),
  },
  (t) => [uniqueIndex("services_namespace_name").on(t.namespaceId, t.name)],
);

/** Destinations outside the clusters, by DNS name (or wildcard) or CIDR. */
export const externalDestinations = pgTable(
  "external_destinations",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull().unique(),
    dnsName: text("dns_name"),
    cidr: text("cidr"),
    ports: jsonb("ports").$type<NamedPort[]>().notNull().default([]),
    criticality: text("criticality", { enum: CRITICALITIES }).notNull(),
    description: text("description").notNull().default(""),
  },
  (t) => [check("dns_or_cidr", sql`${t.dnsName} IS NOT NULL OR ${t.cidr} IS NOT NULL`)],
);

/**
 * The inventory's revision: one row, bumped by a trigger after every statement that writes clusters,
 * namespaces, workloads, services or external destinations (migration 0028). What a cluster's
 * memoised desired state is keyed by, so an unchanged inventory costs one lookup instead of a load.
 */
export const inventoryRevision = pgTable(
  "inventory_revision",
  {
    id: boolean("id").primaryKey().default(true),
    revision: bigint("revision", { mode: "number" }).notNull().default(0),
  },
  (t) => [check("inventory_revision_one_row", sql`${t.id}`)],
);
