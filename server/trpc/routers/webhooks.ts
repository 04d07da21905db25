import "server-only";
// The outgoing webhook in Settings: admins only (the services check too).
import { updateWebhookInput } from "@/server/webhooks/schemas";
import { getWebhook, listWebhookDeliveries, sendTestWebhook, updateWebhook } from "@/server/webhooks/settings";
import { adminProcedure, router } from "../init";

export const webhooksRouter = router({
  get: adminProcedure.query(({ ctx }) => getWebhook({ ctx: ctx.service })),
  update: adminProcedure.input(updateWebhookInput).mutation(({ ctx, input }) => updateWebhook({ ctx: ctx.service, input })),
  sendTest: adminProcedure.mutation(({ ctx }) => sendTestWebhook({ ctx: ctx.service })),
  deliveries: adminProcedure.query(({ ctx }) => listWebhookDeliveries({ ctx: ctx.service })),
});
