import "server-only";
import { getChange } from "@/server/changes/get-change";
import { listChanges } from "@/server/changes/list-changes";
import { getChangeInput } from "@/server/changes/schemas";
import { protectedProcedure, router } from "../init";

export const changesRouter = router({
  list: protectedProcedure.query(({ ctx }) => listChanges({ ctx: ctx.service })),
  get: protectedProcedure.input(getChangeInput).query(({ ctx, input }) => getChange({ ctx: ctx.service, input })),
});
