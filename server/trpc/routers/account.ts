import "server-only";
import { z } from "zod";
import { setPasswordWithToken } from "@/server/users/bootstrap";
import { publicProcedure, router } from "../init";

export const accountRouter = router({
  /** Open to anyone holding a one-time set-password link (printed by `policyplane admin create`). */
  setPassword: publicProcedure
    .input(z.object({ token: z.string().min(20).max(200), password: z.string().min(10, "At least 10 characters").max(200) }))
    .mutation(({ ctx, input }) => setPasswordWithToken(ctx.db, input)),
});
