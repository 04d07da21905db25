import "server-only";
import { flowPath, violationsDashboard } from "@/server/flows/query";
import { flowPathInput, violationsDashboardInput } from "@/server/flows/schemas";
import { protectedProcedure, router } from "../init";

export const violationsRouter = router({
  /** Violations, near-misses and enforcement gaps over a time range, by cluster, tenant and namespace, and the top paths. */
  dashboard: protectedProcedure.input(violationsDashboardInput).query(({ ctx, input }) => violationsDashboard({ ctx: ctx.service, input })),
  /** One path's flows: the engine's rationale and the raw samples. */
  path: protectedProcedure.input(flowPathInput).query(({ ctx, input }) => flowPath({ ctx: ctx.service, input })),
});
