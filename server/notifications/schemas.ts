// Inputs of the notification services.
import { z } from "zod";

/** Mark these notifications read, or (no ids) every unread one of mine. */
export const markNotificationsReadInput = z.object({
  ids: z.array(z.uuid()).min(1).max(200).optional(),
});
export type MarkNotificationsReadInput = z.infer<typeof markNotificationsReadInput>;
