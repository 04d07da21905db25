import { z } from "zod";
import { readableOverlay } from "@/server/graph/access";
import { graphEdge, graphGroup, graphNode, graphView } from "@/server/graph/service";
import { protectedProcedure, router } from "../init";

const overlay = z
  .string()
  .max(80)
  .regex(/^(release|drafts|cr:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/, "overlay must be drafts or cr:<change request id>")
  .optional();
const scope = { cluster: z.string().min(1).max(120), overlay };
const elementId = z.string().min(3).max(600);

export const graphRouter = router({
  /** The allowed-paths graph of a cluster (or "all"), optionally with a draft or change request overlaid. */
  view: protectedProcedure
    .input(z.object({ ...scope, cluster: scope.cluster.optional() }))
    .query(async ({ ctx, input }) => graphView(ctx.db, input.cluster ?? null, await readableOverlay(ctx.service, input.overlay))),
  /** The contents of one island, loaded when it is expanded. */
  group: protectedProcedure.input(z.object({ ...scope, group: elementId })).query(async ({ ctx, input }) => graphGroup(ctx.db, input.cluster, await readableOverlay(ctx.service, input.overlay), input.group)),
  /** The engine's rationale of one path, port by port. */
  edge: protectedProcedure.input(z.object({ ...scope, edge: elementId })).query(async ({ ctx, input }) => graphEdge(ctx.db, input.cluster, await readableOverlay(ctx.service, input.overlay), input.edge)),
  /** A node's labels, the policies selecting it, and its paths. */
  node: protectedProcedure.input(z.object({ ...scope, node: elementId })).query(async ({ ctx, input }) => graphNode(ctx.db, input.cluster, await readableOverlay(ctx.service, input.overlay), input.node)),
});
