// Comments on a change request: the review's conversation, optionally anchored
// to one line of one policy's diff. Append-only (a comment is part of the record).
import { sql } from "drizzle-orm";
import { check, index, integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { user } from "./auth";
import { changeRequests } from "./policy";
import { COMMENT_SIDES, MAX_COMMENT_CHARS } from "../../lib/comments";

export const changeRequestComments = pgTable(
  "change_request_comments",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    changeRequestId: uuid("change_request_id")
      .notNull()
      .references(() => changeRequests.id, { onDelete: "cascade" }),
    /** Null once the person's account is deleted; authorLabel keeps who it was. */
    authorId: text("author_id").references(() => user.id, { onDelete: "set null" }),
    authorLabel: text("author_label").notNull(),
    body: text("body").notNull(),
    /** The line comment's anchor (all null for a comment on the whole change). */
    policyName: text("policy_name"),
    side: text("side", { enum: COMMENT_SIDES }),
    line: integer("line"),
    /** The anchored line's text when the comment was written: the diff may move on after an edit. */
    lineText: text("line_text"),
    /** The change's content hash when the comment was written. */
    contentHash: text("content_hash").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("change_request_comments_cr").on(t.changeRequestId, t.createdAt),
    check("change_request_comments_body_size", sql`char_length(${t.body}) BETWEEN 1 AND ${sql.raw(String(MAX_COMMENT_CHARS))}`),
    check(
      "change_request_comments_anchor",
      sql`(${t.policyName} IS NULL AND ${t.side} IS NULL AND ${t.line} IS NULL AND ${t.lineText} IS NULL) OR (${t.policyName} IS NOT NULL AND ${t.side} IN ('released', 'proposed') AND ${t.line} >= 1 AND ${t.lineText} IS NOT NULL)`,
    ),
  ],
);
