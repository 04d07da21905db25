import "server-only";
// A person's own notifications: the bell's count and list, and marking them read.
// Nobody reads or marks anyone else's.
import { and, count, desc, eq, inArray, isNull } from "drizzle-orm";
import { notifications } from "@/db/schema";
import { recordAudit } from "@/server/audit/record";
import { withTransaction, type ServiceContext } from "@/server/context";
import { Forbidden } from "@/server/errors";
import type { MarkNotificationsReadInput } from "./schemas";

const LIST_SIZE = 30;

function personOf(ctx: ServiceContext): string {
  if (ctx.actor.type !== "user") throw new Forbidden(`Notifications are for people; ${ctx.actor.label} is not one.`);
  return ctx.actor.id;
}

export async function listMyNotifications({ ctx }: { ctx: ServiceContext }) {
  const userId = personOf(ctx);
  const [unread] = await ctx.db
    .select({ n: count() })
    .from(notifications)
    .where(and(eq(notifications.userId, userId), isNull(notifications.readAt)));
  const items = await ctx.db
    .select({
      id: notifications.id,
      kind: notifications.kind,
      title: notifications.title,
      href: notifications.href,
      actorLabel: notifications.actorLabel,
      createdAt: notifications.createdAt,
      readAt: notifications.readAt,
    })
    .from(notifications)
    .where(eq(notifications.userId, userId))
    .orderBy(desc(notifications.createdAt))
    .limit(LIST_SIZE);
  return { unread: unread?.n ?? 0, items };
}

export async function markNotificationsRead({ ctx, input }: { ctx: ServiceContext; input: MarkNotificationsReadInput }) {
  const userId = personOf(ctx);
  return withTransaction(ctx, async (tx) => {
    const mine = and(eq(notifications.userId, userId), isNull(notifications.readAt));
    const marked = await tx.db
      .update(notifications)
      .set({ readAt: new Date() })
      .where(input.ids ? and(mine, inArray(notifications.id, input.ids)) : mine)
      .returning({ id: notifications.id });
    if (marked.length > 0) {
      await recordAudit(tx, {
        action: "notifications.read",
        targetType: "user",
        targetId: userId,
        targetLabel: ctx.actor.label,
        after: { count: marked.length, all: input.ids === undefined },
      });
    }
    return { marked: marked.length };
  });
}
