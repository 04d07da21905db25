import "server-only";
import { graphEdgeInput, graphGroupInput, graphNodeInput, graphViewInput, graphWhatIfInput } from "@/server/graph/schemas";
import { graphEdge, graphGroup, graphNode, graphView } from "@/server/graph/service";
import { graphWhatIf } from "@/server/graph/what-if";
import { protectedProcedure, router } from "../init";

export const graphRouter = router({
  /** The allowed-paths graph of a cluster (or "all"), optionally with a draft or change request overlaid. */
  view: protectedProcedure.input(graphViewInput).query(({ ctx, input }) => graphView({ ctx: ctx.service, input })),
  /** The contents of one island, loaded when it is expanded. */
  group: protectedProcedure.input(graphGroupInput).query(({ ctx, input }) => graphGroup({ ctx: ctx.service, input })),
  /** The engine's rationale of one path, port by port. */
  edge: protectedProcedure.input(graphEdgeInput).query(({ ctx, input }) => graphEdge({ ctx: ctx.service, input })),
  /** A node's labels, the policies selecting it, and its paths. */
  node: protectedProcedure.input(graphNodeInput).query(({ ctx, input }) => graphNode({ ctx: ctx.service, input })),
  /** One flow decided by the release and by a proposal at once (the Simulator's what-if). */
  whatIf: protectedProcedure.input(graphWhatIfInput).query(({ ctx, input }) => graphWhatIf({ ctx: ctx.service, input })),
});
