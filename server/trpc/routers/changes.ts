import "server-only";
import { z } from "zod";
import { getChange } from "@/server/policies/get-change";
import { listChanges } from "@/server/policies/list-changes";
import { protectedProcedure, router } from "../init";

export const changesRouter = router({
  list: protectedProcedure.query(({ ctx }) => listChanges({ ctx: ctx.service })),
  get: protectedProcedure.input(z.object({ number: z.number().int().min(1) })).query(({ ctx, input }) => getChange({ ctx: ctx.service, input })),
});
