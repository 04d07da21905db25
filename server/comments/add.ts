import "server-only";
// Comment on a change request, on the whole change or on one line of one policy's diff. Anyone who
// may read the change may comment (reviewers, authors, auditors); the comment and its audit event
// are written in one transaction. A line comment keeps the line's text and the content hash it
// was written against, so it still reads right after the change is edited.
import { changeRequestComments } from "@/db/schema";
import { recordAudit } from "@/server/audit/record";
import { getChange } from "@/server/changes/get-change";
import { findChange } from "@/server/workflow/review";
import { withTransaction, type ServiceContext } from "@/server/context";
import { InvalidInput, TooLarge } from "@/server/errors";
import { textLines } from "@/lib/text-lines";
import { MAX_COMMENT_CHARS, type AddCommentInput } from "./schemas";

export async function addComment({ ctx, input }: { ctx: ServiceContext; input: AddCommentInput }) {
  const body = input.body.trim();
  if (input.body.length > MAX_COMMENT_CHARS)
    throw new TooLarge(
      `A comment is at most ${MAX_COMMENT_CHARS.toLocaleString("en")} characters; this one has ${input.body.length.toLocaleString("en")}. Shorten it, or link to a longer text.`,
    );
  if (!body) throw new InvalidInput("Write something: the comment is empty.", "body");
  return withTransaction(ctx, async (tx) => {
    // NOT_FOUND to someone who may not read every policy of the change.
    const { cr } = await findChange(tx.db, ctx.actor, input.number);
    let anchor: { policyName: string; side: "released" | "proposed"; line: number; lineText: string } | null = null;
    if (input.anchor) {
      const { policy, side, line } = input.anchor;
      const change = await getChange({ ctx: tx, input: { number: cr.number } });
      const item = change.items.find((i) => i.name === policy);
      if (!item) throw new InvalidInput(`Change request #${cr.number} does not change ${policy}.`, "anchor.policy");
      const yaml = side === "proposed" ? item.toYaml : item.fromYaml;
      if (!yaml) throw new InvalidInput(`${policy} has no released version to comment on: comment on the proposed side.`, "anchor.side");
      const lines = textLines(yaml);
      if (line > lines.length)
        throw new InvalidInput(
          `${policy} ${side === "proposed" ? `proposed v${item.toVersion}` : `released v${item.fromVersion}`} has ${lines.length} lines; there is no line ${line}.`,
          "anchor.line",
        );
      anchor = { policyName: policy, side, line, lineText: lines[line - 1]! };
    }
    const [row] = await tx.db
      .insert(changeRequestComments)
      .values({
        changeRequestId: cr.id,
        authorId: ctx.actor.type === "user" ? ctx.actor.id : null,
        authorLabel: ctx.actor.label,
        body,
        contentHash: cr.contentHash,
        ...(anchor ?? {}),
      })
      .returning();
    await recordAudit(tx, {
      action: "change.commented",
      targetType: "change_request",
      targetId: cr.id,
      targetLabel: `#${cr.number} ${cr.title}`,
      tenantId: cr.tenantId,
      after: { commentId: row!.id, body, contentHash: cr.contentHash, anchor },
    });
    return { id: row!.id, createdAt: row!.createdAt };
  });
}
