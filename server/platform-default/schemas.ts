import { z } from "zod";
import { resourceName } from "@/server/policy/documents/schema";

export const proposePlatformDefaultInput = z.object({
  enabled: z.boolean(),
  /** Namespaces the default does not cover; each must be a namespace name. */
  excludeNamespaces: z
    .array(resourceName)
    .max(200)
    .refine((names) => new Set(names).size === names.length, "each namespace may be listed once"),
  /** Why: the change request's description, and the new version's message once it is released. */
  message: z.string().trim().min(5, "Say why, in at least 5 characters").max(500),
  /** The version the admin saw: a change made meanwhile by someone else is refused, not overwritten. */
  expectedVersion: z.number().int().min(0),
});
export type ProposePlatformDefaultInput = z.infer<typeof proposePlatformDefaultInput>;
