import "server-only";
import { flowPath, observedDenials, violationsDashboard } from "@/server/flows/query";
import { flowPathInput, observedDenialsInput, violationsDashboardInput } from "@/server/flows/schemas";
import { protectedProcedure, router } from "../init";

export const violationsRouter = router({
  /** Violations, near-misses and enforcement gaps over a time range, by cluster, tenant and namespace, and the top paths. */
  dashboard: protectedProcedure.input(violationsDashboardInput).query(({ ctx, input }) => violationsDashboard({ ctx: ctx.service, input })),
  /** One path's flows: the engine's rationale and the raw samples. */
  path: protectedProcedure.input(flowPathInput).query(({ ctx, input }) => flowPath({ ctx: ctx.service, input })),
  /** The paths the clusters dropped, for the graph's red edges. */
  observedDenials: protectedProcedure.input(observedDenialsInput).query(({ ctx, input }) => observedDenials({ ctx: ctx.service, input })),
});
