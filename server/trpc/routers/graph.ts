import "server-only";
import { z } from "zod";
import { graphEdge, graphGroup, graphNode, graphView } from "@/server/graph/service";
import { parseOverlay } from "@/lib/graph/types";
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
    .query(({ ctx, input }) => graphView(ctx, input.cluster ?? null, parseOverlay(input.overlay))),
  /** The contents of one island, loaded when it is expanded (`open`: the other opened islands, which a large cluster's namespaces draw their paths to in detail). */
  group: protectedProcedure
    .input(z.object({ ...scope, group: elementId, open: z.array(elementId).max(200).optional() }))
    .query(({ ctx, input }) => graphGroup(ctx, input.cluster, parseOverlay(input.overlay), input.group, input.open)),
  /** The engine's rationale of one path, port by port. */
  edge: protectedProcedure.input(z.object({ ...scope, edge: elementId })).query(({ ctx, input }) => graphEdge(ctx, input.cluster, parseOverlay(input.overlay), input.edge)),
  /** A node's labels, the policies selecting it, and its paths. */
  node: protectedProcedure.input(z.object({ ...scope, node: elementId })).query(({ ctx, input }) => graphNode(ctx, input.cluster, parseOverlay(input.overlay), input.node)),
});
