import "server-only";
// Searching the decision log (the console's Settings → Decision log): filters by cluster, verdict,
// source or destination (a part of either as logged), time range and decision id; newest first with
// keyset paging. The log names policies of every tenant, so it is for organisation-wide readers.
import { and, desc, eq, gte, ilike, lt, lte, or, type SQL } from "drizzle-orm";
import { decisionLog } from "@/db/schema";
import { requireRole } from "@/server/auth/authorize";
import type { ServiceContext } from "@/server/context";
import { searchDecisionsInput, type SearchDecisionsInput } from "./schemas";

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export async function searchDecisions({ ctx, input }: { ctx: ServiceContext; input: SearchDecisionsInput }) {
  requireRole(ctx.actor, "viewer");
  const q = searchDecisionsInput.parse(input);
  const where: SQL[] = [];
  if (q.decisionId) where.push(eq(decisionLog.decisionId, q.decisionId));
  if (q.cluster) where.push(eq(decisionLog.cluster, q.cluster));
  if (q.decision) where.push(eq(decisionLog.decision, q.decision));
  if (q.source) where.push(ilike(decisionLog.source, `%${escapeLike(q.source)}%`));
  if (q.destination) where.push(ilike(decisionLog.destination, `%${escapeLike(q.destination)}%`));
  if (q.from) where.push(gte(decisionLog.decidedAt, q.from));
  if (q.to) where.push(lte(decisionLog.decidedAt, q.to));
  if (q.after)
    where.push(
      or(
        lt(decisionLog.decidedAt, q.after.decidedAt),
        and(eq(decisionLog.decidedAt, q.after.decidedAt), lt(decisionLog.decisionId, q.after.decisionId)),
      )!,
    );
  const rows = await ctx.db
    .select()
    .from(decisionLog)
    .where(and(...where))
    .orderBy(desc(decisionLog.decidedAt), desc(decisionLog.decisionId))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return { rows: page, next: rows.length > q.limit && last ? { decidedAt: last.decidedAt, decisionId: last.decisionId } : null };
}
