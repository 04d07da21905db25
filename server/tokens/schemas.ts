// Inputs of the API token services.
import { z } from "zod";
import { ROLES } from "@/db/schema";

export const createApiTokenInput = z.object({
  name: z.string().trim().min(1, "Name the token after what uses it").max(100),
  role: z.enum(ROLES),
  tenantId: z.uuid().nullable(),
  expiresInDays: z.number().int().min(1).max(730).nullable(),
});
export type CreateApiTokenInput = z.infer<typeof createApiTokenInput>;

export const revokeApiTokenInput = z.object({ tokenId: z.uuid() });
export type RevokeApiTokenInput = z.infer<typeof revokeApiTokenInput>;
