// Platform settings the clusters get: the platform default (secure by default).
// Every change is a new immutable version; the highest version is in force.
import { boolean, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { user } from "./auth";

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
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("platform_default_versions_version").on(t.version)],
);
