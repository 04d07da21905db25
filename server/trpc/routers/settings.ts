import "server-only";
import { z } from "zod";
import { COMMITTEE_FUNCTIONS, ROLES } from "@/db/schema";
import { addMembership, createUser, deleteUser, listUsersWithMemberships, removeMembership } from "@/server/settings/users";
import { createApiToken, listApiTokens, revokeApiToken } from "@/server/tokens/tokens";
import { platformDefaultHistory, platformDefaultInForce } from "@/server/platform-default/get";
import { updatePlatformDefaultInput } from "@/server/platform-default/schemas";
import { updatePlatformDefault } from "@/server/platform-default/update";
import { adminProcedure, protectedProcedure, router } from "../init";

const id = z.string().min(1).max(100);

export const settingsRouter = router({
  users: adminProcedure.query(({ ctx }) => listUsersWithMemberships(ctx.db)),
  createUser: adminProcedure
    .input(
      z.object({
        name: z.string().trim().min(1, "Enter a name").max(200),
        email: z.email("Enter a valid e-mail address").max(320),
        password: z.string().min(10, "At least 10 characters").max(200),
      }),
    )
    .mutation(({ ctx, input }) => createUser(ctx.service, input)),
  deleteUser: adminProcedure.input(z.object({ userId: id })).mutation(({ ctx, input }) => deleteUser(ctx.service, input.userId)),
  addMembership: adminProcedure
    .input(
      z.object({
        userId: id,
        tenantId: z.uuid().nullable(),
        role: z.enum(ROLES),
        committeeFunction: z.enum(COMMITTEE_FUNCTIONS).nullable(),
      }),
    )
    .mutation(({ ctx, input }) => addMembership(ctx.service, input)),
  removeMembership: adminProcedure.input(z.object({ membershipId: z.uuid() })).mutation(({ ctx, input }) => removeMembership(ctx.service, input.membershipId)),
  tokens: adminProcedure.query(({ ctx }) => listApiTokens(ctx.db)),
  createToken: adminProcedure
    .input(
      z.object({
        name: z.string().trim().min(1, "Name the token after what uses it").max(100),
        role: z.enum(ROLES),
        tenantId: z.uuid().nullable(),
        expiresInDays: z.number().int().min(1).max(730).nullable(),
      }),
    )
    .mutation(({ ctx, input }) => createApiToken(ctx.service, input)),
  /** Everyone signed in may read the platform default: it decides what every cluster enforces. */
  platformDefault: protectedProcedure.query(async ({ ctx }) => ({ current: await platformDefaultInForce(ctx.db), history: await platformDefaultHistory(ctx.db) })),
  updatePlatformDefault: adminProcedure.input(updatePlatformDefaultInput).mutation(({ ctx, input }) => updatePlatformDefault({ ctx: ctx.service, input })),
  revokeToken: adminProcedure.input(z.object({ tokenId: z.uuid() })).mutation(({ ctx, input }) => revokeApiToken(ctx.service, input.tokenId)),
});
