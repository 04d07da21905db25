// Inputs of the API token services.
import { z } from "zod";
import { ROLES, TOKEN_SCOPES } from "@/db/schema";

export const createApiTokenInput = z.object({
  name: z.string().trim().min(1, "Name the token after what uses it").max(100),
  role: z.enum(ROLES),
  tenantId: z.uuid().nullable(),
  scopes: z
    .array(z.enum(TOKEN_SCOPES))
    .min(1, "Give the token at least one scope: what will it call?")
    .refine((scopes) => new Set(scopes).size === scopes.length, "Name each scope once"),
  clusterId: z.uuid().nullable().default(null),
  expiresInDays: z.number().int().min(1).max(730).nullable(),
});
export type CreateApiTokenInput = z.infer<typeof createApiTokenInput>;

export const revokeApiTokenInput = z.object({ tokenId: z.uuid() });
export type RevokeApiTokenInput = z.infer<typeof revokeApiTokenInput>;
