// API token policy: how long a token may live (admin-set) and the record of
// rotations (old token → its replacement, and until when the old one works).
import { integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { apiTokens } from "./org";

/**
 * The organisation's token limits (a single row, id 1). `maxExpiryDays` null
 * means "no maximum": only then may a token never expire.
 */
export const tokenSettings = pgTable("token_settings", {
  id: integer("id").primaryKey().default(1),
  maxExpiryDays: integer("max_expiry_days").default(365),
  version: integer("version").notNull().default(1),
  updatedBy: text("updated_by").notNull().default("system"),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/** One row per rotation: a token is rotated at most once (its replacement may be rotated in turn). */
export const tokenRotations = pgTable("token_rotations", {
  oldTokenId: uuid("old_token_id")
    .primaryKey()
    .references(() => apiTokens.id, { onDelete: "cascade" }),
  newTokenId: uuid("new_token_id")
    .notNull()
    .unique()
    .references(() => apiTokens.id, { onDelete: "cascade" }),
  /** The old token's expiry as set by the rotation (the end of the grace period, or sooner if it already expired sooner). */
  oldValidUntil: timestamp("old_valid_until", { withTimezone: true }).notNull(),
  rotatedBy: text("rotated_by").notNull(),
  rotatedAt: timestamp("rotated_at", { withTimezone: true }).notNull().defaultNow(),
});
