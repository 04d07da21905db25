// Exceptions: time-boxed allows for a narrow flow, requested by teams and
// approved by the committee (server/exceptions). An approved exception becomes
// an `Exception` document the engine counts from startsAt up to (not including)
// expiresAt, whether or not the sweeper has run.
import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  serial,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  type AnyPgColumn,
} from "drizzle-orm/pg-core";
import { user } from "./auth";
import { tenants } from "./org";
import type { ApprovalRequirement } from "./workflow";
import { EXCEPTION_STATES, type ExceptionDestinationKind } from "../../lib/exceptions/vocabulary";

/** The narrow flow an exception opens, as the requester described it. */
export interface ExceptionFlow {
  direction: "egress" | "ingress";
  /** The source workloads: a namespace and pod labels (none: every pod of the namespace). */
  source: { namespace: string; labels: Record<string, string> };
  destination:
    | { kind: Extract<ExceptionDestinationKind, "workload">; namespace: string; labels: Record<string, string> }
    | { kind: "service"; service: string }
    | { kind: "cidr"; cidr: string }
    | { kind: "dns"; dns: string };
  ports: { port: number; endPort?: number; protocol: "TCP" | "UDP" | "SCTP" }[];
  /** Clusters it applies to (none: every cluster). */
  clusters?: string[];
}

export const exceptions = pgTable(
  "exceptions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** Shown as E-<number>; the engine document is named exception-<number>. */
    number: serial("number").notNull(),
    state: text("state", { enum: EXCEPTION_STATES }).notNull().default("requested"),
    title: text("title").notNull(),
    /** The tenant of the source namespace (null: a namespace of no tenant). */
    tenantId: uuid("tenant_id").references(() => tenants.id, { onDelete: "set null" }),
    flow: jsonb("flow").$type<ExceptionFlow>().notNull(),
    justification: text("justification").notNull(),
    ticket: text("ticket").notNull(),
    startsAt: timestamp("starts_at", { withTimezone: true, precision: 3 }).notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true, precision: 3 }).notNull(),
    /** Binds approvals to what was approved (flow, window, justification). */
    contentHash: text("content_hash").notNull(),
    requesterId: text("requester_id").references(() => user.id, { onDelete: "set null" }),
    requesterLabel: text("requester_label").notNull(),
    /** The exception this one renews (its predecessor in a chain of renewals). */
    renewsId: uuid("renews_id").references((): AnyPgColumn => exceptions.id, { onDelete: "set null" }),
    /** How many renewals in a row lead to this one (0: a first request). */
    renewalDepth: integer("renewal_depth").notNull().default(0),
    /** Whether approval needs the production rule (a source or destination namespace in a production cluster). */
    production: boolean("production").notNull().default(false),
    decidedAt: timestamp("decided_at", { withTimezone: true, precision: 3 }),
    decidedByLabel: text("decided_by_label"),
    decisionReason: text("decision_reason"),
    /** The sweeper recorded the start in the audit trail. */
    startRecordedAt: timestamp("start_recorded_at", { withTimezone: true, precision: 3 }),
    /** Expiry notices sent (days before expiry: 7, 1). */
    noticesSent: jsonb("notices_sent").$type<number[]>().notNull().default([]),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("exceptions_number").on(t.number),
    index("exceptions_state").on(t.state),
    check("exceptions_window", sql`${t.startsAt} < ${t.expiresAt}`),
  ],
);

/** One approver's approval of exactly one content hash of an exception. */
export const exceptionApprovals = pgTable(
  "exception_approvals",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    exceptionId: uuid("exception_id")
      .notNull()
      .references(() => exceptions.id, { onDelete: "cascade" }),
    approverId: text("approver_id").references(() => user.id, { onDelete: "set null" }),
    approverLabel: text("approver_label").notNull(),
    functions: jsonb("functions").$type<string[]>().notNull(),
    contentHash: text("content_hash").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("exception_approvals_one_per_person").on(t.exceptionId, t.approverId)],
);

/** An exception approval rule: separate data from the change rules (Settings → approval rules). */
export interface ExceptionApprovalRule {
  key: string;
  description: string;
  /** "all": every exception; "production": those touching a production cluster. */
  appliesTo: "all" | "production";
  requirements: ApprovalRequirement[];
}

/** The organisation's exception limits and rules (a single row, id 1). */
export const exceptionSettings = pgTable("exception_settings", {
  id: integer("id").primaryKey().default(1),
  maxDurationDays: integer("max_duration_days").notNull().default(30),
  /** Refuse a destination CIDR of /0 (the whole internet). */
  forbidWholeInternet: boolean("forbid_whole_internet").notNull().default(true),
  /** Refuse a source that is a whole namespace (no pod labels) in a production cluster. */
  forbidWholeNamespaceInProduction: boolean("forbid_whole_namespace_in_production").notNull().default(true),
  maxRenewals: integer("max_renewals").notNull().default(2),
  rules: jsonb("rules").$type<ExceptionApprovalRule[]>().notNull(),
  version: integer("version").notNull().default(1),
  updatedBy: text("updated_by").notNull().default("system"),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

export const RERENDER_EVENTS = ["started", "expired", "revoked"] as const;

/**
 * A re-render owed to the clusters after an exception's start, expiry or revocation
 * (server/exceptions/rerender.ts). Written in the transaction that records the event, so a
 * re-render that throws (or a server that stops) is not lost: the sweeper retries every one not
 * done, and marks it done in the transaction that writes its audit events (one per event).
 */
export const exceptionRerenders = pgTable(
  "exception_rerenders",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    exceptionId: uuid("exception_id")
      .notNull()
      .references(() => exceptions.id, { onDelete: "cascade" }),
    event: text("event", { enum: RERENDER_EVENTS }).notNull(),
    /** The event's instant on the server's clock: the desired state is rendered at it. */
    at: timestamp("at", { withTimezone: true, precision: 3 }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    /** A replica working on it holds it until then (a crashed one's claim lapses). */
    claimedUntil: timestamp("claimed_until", { withTimezone: true, precision: 3 }),
    /** Not tried again before this (back-off after a failure). */
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    doneAt: timestamp("done_at", { withTimezone: true, precision: 3 }),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("exception_rerenders_one_per_event").on(t.exceptionId, t.event), index("exception_rerenders_pending").on(t.doneAt)],
);

export type ExceptionRow = typeof exceptions.$inferSelect;
