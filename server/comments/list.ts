import "server-only";
// A change request's comments, oldest first, each saying whether it was written against the
// change's current content (a line comment on an earlier content may point at a moved line).
import { asc, eq } from "drizzle-orm";
import { changeRequestComments } from "@/db/schema";
import type { ServiceContext } from "@/server/context";
import { findChange } from "@/server/workflow/review";
import type { ListCommentsInput } from "./schemas";

export async function listComments({ ctx, input }: { ctx: ServiceContext; input: ListCommentsInput }) {
  const { cr } = await findChange(ctx.db, ctx.actor, input.number);
  const rows = await ctx.db
    .select()
    .from(changeRequestComments)
    .where(eq(changeRequestComments.changeRequestId, cr.id))
    .orderBy(asc(changeRequestComments.createdAt), asc(changeRequestComments.id));
  return rows.map((c) => ({
    id: c.id,
    by: c.authorLabel,
    body: c.body,
    at: c.createdAt,
    anchor: c.policyName === null ? null : { policy: c.policyName, side: c.side!, line: c.line!, text: c.lineText! },
    contentHash: c.contentHash,
    current: c.contentHash === cr.contentHash,
  }));
}
