// What the workflow tells people: in-app notifications (one row per recipient),
// and the outgoing webhook with its outbox (written in the transaction of the
// event, delivered afterwards, each attempt logged).
import { sql } from "drizzle-orm";
import { boolean, check, index, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { user } from "./auth";

export const NOTIFICATION_KINDS = [
  "approval-wanted",
  "change-decided",
  "release-rolled-out",
  "release-failed",
  "exception-wanted",
  "exception-decided",
  "exception-expiring",
  "exception-rerender-failing",
  "alert-fired",
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export const notifications = pgTable(
  "notifications",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: text("user_id")
      .notNull()
      .references(() => user.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: NOTIFICATION_KINDS }).notNull(),
    /** One line, as the bell's list shows it. */
    title: text("title").notNull(),
    /** Where the notification leads in the console. */
    href: text("href").notNull(),
    actorLabel: text("actor_label").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    readAt: timestamp("read_at", { withTimezone: true, precision: 3 }),
  },
  (t) => [
    index("notifications_user_created").on(t.userId, t.createdAt),
    index("notifications_user_unread")
      .on(t.userId)
      .where(sql`read_at IS NULL`),
  ],
);

/** The organisation's one outgoing webhook (a single row, id 1). The secret signs each delivery; it never leaves the server. */
export const webhookEndpoint = pgTable(
  "webhook_endpoint",
  {
    id: integer("id").primaryKey().default(1),
    url: text("url").notNull(),
    secret: text("secret").notNull(),
    enabled: boolean("enabled").notNull(),
    updatedByLabel: text("updated_by_label").notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [check("webhook_endpoint_single", sql`${t.id} = 1`)],
);

export const WEBHOOK_DELIVERY_STATES = ["pending", "delivered", "failed"] as const;

/** The outbox: one row per event to deliver, written with the event; a crash before delivery loses nothing. */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    event: text("event").notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    /** pending: to (re)try; delivered: a 2xx answer; failed: every attempt failed, no more retries. */
    state: text("state", { enum: WEBHOOK_DELIVERY_STATES }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    /** A worker holds the row until then while it posts (another worker or replica skips it). */
    leasedUntil: timestamp("leased_until", { withTimezone: true, precision: 3 }),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    deliveredAt: timestamp("delivered_at", { withTimezone: true, precision: 3 }),
  },
  (t) => [index("webhook_deliveries_due").on(t.state, t.nextAttemptAt), index("webhook_deliveries_created").on(t.createdAt)],
);

/** The delivery log: every attempt, its answer or its error. */
export const webhookAttempts = pgTable(
  "webhook_attempts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    deliveryId: uuid("delivery_id")
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: "cascade" }),
    attempt: integer("attempt").notNull(),
    at: timestamp("at", { withTimezone: true, precision: 3 }).notNull(),
    url: text("url").notNull(),
    /** The HTTP status received (null: no answer). */
    status: integer("status"),
    error: text("error"),
    durationMs: integer("duration_ms").notNull(),
  },
  (t) => [index("webhook_attempts_delivery").on(t.deliveryId)],
);
