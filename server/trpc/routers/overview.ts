import "server-only";
import { overviewCounts } from "@/server/org/overview";
import { protectedProcedure, router } from "../init";

export const overviewRouter = router({
  counts: protectedProcedure.query(({ ctx }) => overviewCounts(ctx.db)),
});
