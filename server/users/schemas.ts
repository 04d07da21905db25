// Inputs of the first-admin bootstrap and the one-time set-password link.
import { z } from "zod";

export const createFirstAdminInput = z.object({ email: z.email().max(320), name: z.string().max(200).optional() });
export type CreateFirstAdminInput = z.infer<typeof createFirstAdminInput>;

export const setPasswordInput = z.object({
  token: z.string().min(20).max(200),
  password: z.string().min(10, "At least 10 characters").max(200),
});
export type SetPasswordInput = z.infer<typeof setPasswordInput>;
