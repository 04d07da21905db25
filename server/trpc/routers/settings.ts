import "server-only";
import { getPlatformDefault } from "@/server/platform-default/get";
import { proposePlatformDefault } from "@/server/platform-default/propose";
import { proposePlatformDefaultInput } from "@/server/platform-default/schemas";
import { addMembershipInput, createUserInput, deleteUserInput, removeMembershipInput } from "@/server/settings/schemas";
import { addMembership, createUser, deleteUser, listUsersWithMemberships, removeMembership } from "@/server/settings/users";
import { getTokenSettings, updateTokenSettings } from "@/server/tokens/policy";
import { createApiTokenInput, revokeApiTokenInput, rotateApiTokenInput, updateTokenSettingsInput } from "@/server/tokens/schemas";
import { createApiToken, listApiTokens, revokeApiToken, rotateApiToken } from "@/server/tokens/tokens";
import { adminProcedure, protectedProcedure, router } from "../init";

export const settingsRouter = router({
  users: adminProcedure.query(({ ctx }) => listUsersWithMemberships({ ctx: ctx.service })),
  createUser: adminProcedure.input(createUserInput).mutation(({ ctx, input }) => createUser({ ctx: ctx.service, input })),
  deleteUser: adminProcedure.input(deleteUserInput).mutation(({ ctx, input }) => deleteUser({ ctx: ctx.service, input })),
  addMembership: adminProcedure.input(addMembershipInput).mutation(({ ctx, input }) => addMembership({ ctx: ctx.service, input })),
  removeMembership: adminProcedure.input(removeMembershipInput).mutation(({ ctx, input }) => removeMembership({ ctx: ctx.service, input })),
  tokens: adminProcedure.query(({ ctx }) => listApiTokens({ ctx: ctx.service })),
  createToken: adminProcedure.input(createApiTokenInput).mutation(({ ctx, input }) => createApiToken({ ctx: ctx.service, input })),
  /** Everyone signed in may read the platform default: it decides what every cluster enforces. */
  platformDefault: protectedProcedure.query(({ ctx }) => getPlatformDefault({ ctx: ctx.service })),
  /** A change of the platform default is a change request: it takes effect when it is approved and released. */
  proposePlatformDefault: adminProcedure
    .input(proposePlatformDefaultInput)
    .mutation(({ ctx, input }) => proposePlatformDefault({ ctx: ctx.service, input })),
  revokeToken: adminProcedure.input(revokeApiTokenInput).mutation(({ ctx, input }) => revokeApiToken({ ctx: ctx.service, input })),
  rotateToken: adminProcedure.input(rotateApiTokenInput).mutation(({ ctx, input }) => rotateApiToken({ ctx: ctx.service, input })),
  tokenSettings: adminProcedure.query(({ ctx }) => getTokenSettings({ ctx: ctx.service })),
  updateTokenSettings: adminProcedure
    .input(updateTokenSettingsInput)
    .mutation(({ ctx, input }) => updateTokenSettings({ ctx: ctx.service, input })),
});
