// Inputs of the Settings services (people and their role memberships): one
// schema each, shared by every transport that calls them.
import { z } from "zod";
import { COMMITTEE_FUNCTIONS, ROLES } from "@/db/schema";

const userId = z.string().min(1).max(100);

export const createUserInput = z.object({
  name: z.string().trim().min(1, "Enter a name").max(200),
  email: z.email("Enter a valid e-mail address").max(320),
  password: z.string().min(10, "At least 10 characters").max(200),
});
export type CreateUserInput = z.infer<typeof createUserInput>;

export const deleteUserInput = z.object({ userId });
export type DeleteUserInput = z.infer<typeof deleteUserInput>;

export const addMembershipInput = z.object({
  userId,
  tenantId: z.uuid().nullable(),
  role: z.enum(ROLES),
  committeeFunction: z.enum(COMMITTEE_FUNCTIONS).nullable(),
});
export type AddMembershipInput = z.infer<typeof addMembershipInput>;

export const removeMembershipInput = z.object({ membershipId: z.uuid() });
export type RemoveMembershipInput = z.infer<typeof removeMembershipInput>;
