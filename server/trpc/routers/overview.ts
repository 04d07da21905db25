import "server-only";
import { committeeOverview } from "@/server/org/committee";
import { overviewCounts } from "@/server/org/overview";
import { protectedProcedure, router } from "../init";

export const overviewRouter = router({
  counts: protectedProcedure.query(({ ctx }) => overviewCounts({ ctx: ctx.service })),
  /** The committee's figures: coverage, violations and their trend, drift, expiring exceptions, approvals waiting, last releases. */
  committee: protectedProcedure.query(({ ctx }) => committeeOverview({ ctx: ctx.service })),
});
