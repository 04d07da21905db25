// Inputs of the outgoing webhook's services.
import { z } from "zod";

export const updateWebhookInput = z.object({
  url: z
    .string()
    .trim()
    .max(2000, "At most 2,000 characters")
    .pipe(z.url({ protocol: /^https?$/, error: "An http:// or https:// URL" })),
  /** A new signing secret; omitted (or empty) keeps the current one. */
  secret: z.string().max(200, "At most 200 characters").optional(),
  enabled: z.boolean(),
});
export type UpdateWebhookInput = z.infer<typeof updateWebhookInput>;

/** Secrets shorter than this are too easy to guess for an HMAC key. */
export const MIN_WEBHOOK_SECRET = 16;
