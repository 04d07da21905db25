import "server-only";
import { setPasswordInput } from "@/server/users/schemas";
import { setPasswordWithToken } from "@/server/users/bootstrap";
import { publicProcedure, router } from "../init";

export const accountRouter = router({
  /** Open to anyone holding a one-time set-password link (printed by `policyplane admin create`). */
  setPassword: publicProcedure
    .input(setPasswordInput)
    .mutation(({ ctx, input }) => setPasswordWithToken({ ctx: { db: ctx.db, requestId: ctx.requestId }, input })),
});
