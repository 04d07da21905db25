import "server-only";
import { searchDecisionsInput, updateDecisionLogSettingsInput } from "@/server/decisions/schemas";
import { searchDecisions } from "@/server/decisions/search";
import { getDecisionLogSettings, updateDecisionLogSettings } from "@/server/decisions/settings";
import { adminProcedure, protectedProcedure, router } from "../init";

export const decisionsRouter = router({
  search: protectedProcedure.input(searchDecisionsInput).query(({ ctx, input }) => searchDecisions({ ctx: ctx.service, input })),
  settings: adminProcedure.query(({ ctx }) => getDecisionLogSettings({ ctx: ctx.service })),
  updateSettings: adminProcedure
    .input(updateDecisionLogSettingsInput)
    .mutation(({ ctx, input }) => updateDecisionLogSettings({ ctx: ctx.service, input })),
});
