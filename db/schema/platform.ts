// Platform settings the clusters get: the platform default (secure by default).
// Every change is a new immutable version; the highest version is in force.
// A change is proposed as a change request (change_request_platform_defaults)
// and becomes the next version only when that change request is released.
import { boolean, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { user } from "./auth";
import { changeRequests } from "./policy";

/** Immutable: rows are only ever inserted (a trigger refuses updates). */
export const platformDefaultVersions = pgTable(
  "platform_default_versions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    version: integer("version").notNull(),
    enabled: boolean("enabled").notNull(),
    /** Namespaces the default does not cover (a deliberate, shown choice, e.g. kube-system). */
    excludeNamespaces: jsonb("exclude_namespaces").$type<string[]>().notNull(),
    authorId: text("author_id").references(() => user.id, { onDelete: "set null" }),
    authorLabel: text("author_label").notNull(),
    message: text("message").notNull().default(""),
    /** The release that put this version in force (null: versions before changes went through the approval workflow). */
    releaseNumber: integer("release_number"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("platform_default_versions_version").on(t.version)],
);

/**
 * A change request of kind platform-default: releasing it makes this setting the next version.
 * One per change request; its content is immutable (withdraw and propose again to change it).
 */
export const changeRequestPlatformDefaults = pgTable("change_request_platform_defaults", {
  changeRequestId: uuid("change_request_id")
    .primaryKey()
    .references(() => changeRequests.id, { onDelete: "cascade" }),
  /** The version in force when it was proposed: releasing it after another version took effect is refused (propose it again). */
  fromVersion: integer("from_version").notNull(),
  enabled: boolean("enabled").notNull(),
  excludeNamespaces: jsonb("exclude_namespaces").$type<string[]>().notNull(),
});
