// Inputs of the API token services.
import { z } from "zod";
import { ROLES, TOKEN_SCOPES } from "@/db/schema";

/**
 * Omitted: the default (90 days, or the admin maximum when that is shorter).
 * null: never expires, allowed only when the admins set no maximum.
 * The admin-set maximum is checked by the service (server/tokens/policy.ts).
 */
const expiresInDays = z
  .number()
  .int("Whole days, please")
  .min(1, "A token lives at least one day")
  .max(3650, "At most 3650 days (ten years)")
  .nullable()
  .optional();

export const createApiTokenInput = z.object({
  name: z.string().trim().min(1, "Name the token after what uses it").max(100),
  role: z.enum(ROLES),
  tenantId: z.uuid().nullable(),
  scopes: z
    .array(z.enum(TOKEN_SCOPES))
    .min(1, "Give the token at least one scope: what will it call?")
    .refine((scopes) => new Set(scopes).size === scopes.length, "Name each scope once"),
  clusterId: z.uuid().nullable().default(null),
  expiresInDays,
});
export type CreateApiTokenInput = z.input<typeof createApiTokenInput>;

export const revokeApiTokenInput = z.object({ tokenId: z.uuid() });
export type RevokeApiTokenInput = z.infer<typeof revokeApiTokenInput>;

export const rotateApiTokenInput = z.object({
  tokenId: z.uuid(),
  /** How long the old token keeps working, so its users can switch without an outage. */
  graceHours: z
    .number()
    .int("Whole hours, please")
    .min(0, "The grace period cannot be negative")
    .max(720, "A grace period of at most 720 hours (30 days)")
    .default(24),
  expiresInDays,
});
export type RotateApiTokenInput = z.input<typeof rotateApiTokenInput>;

export const updateTokenSettingsInput = z.object({
  /** null: no maximum, and tokens that never expire are allowed. */
  maxExpiryDays: z.number().int("Whole days, please").min(1, "At least one day").max(3650, "At most 3650 days").nullable(),
  expectedVersion: z.number().int().min(1),
});
export type UpdateTokenSettingsInput = z.infer<typeof updateTokenSettingsInput>;
