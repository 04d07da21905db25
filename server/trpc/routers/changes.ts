import "server-only";
import { getChange } from "@/server/changes/get-change";
import { getChangeCompiledDiff, getChangeImpact } from "@/server/changes/impact-service";
import { listChanges } from "@/server/changes/list-changes";
import { changeCompiledDiffInput, getChangeInput } from "@/server/changes/schemas";
import { protectedProcedure, router } from "../init";

export const changesRouter = router({
  list: protectedProcedure.query(({ ctx }) => listChanges({ ctx: ctx.service })),
  get: protectedProcedure.input(getChangeInput).query(({ ctx, input }) => getChange({ ctx: ctx.service, input })),
  impact: protectedProcedure.input(getChangeInput).query(({ ctx, input }) => getChangeImpact({ ctx: ctx.service, input })),
  compiledDiff: protectedProcedure
    .input(changeCompiledDiffInput)
    .query(({ ctx, input }) => getChangeCompiledDiff({ ctx: ctx.service, input })),
});
