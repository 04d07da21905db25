import "server-only";
// A person's notifications (the bell). Each caller sees and marks only their own.
import { listMyNotifications, markNotificationsRead } from "@/server/notifications/inbox";
import { markNotificationsReadInput } from "@/server/notifications/schemas";
import { protectedProcedure, router } from "../init";

export const notificationsRouter = router({
  mine: protectedProcedure.query(({ ctx }) => listMyNotifications({ ctx: ctx.service })),
  markRead: protectedProcedure
    .input(markNotificationsReadInput)
    .mutation(({ ctx, input }) => markNotificationsRead({ ctx: ctx.service, input })),
});
