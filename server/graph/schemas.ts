// Inputs of the graph services: which cluster, which overlay (the release, the
// pending drafts or a change request), and which element of the graph.
import { z } from "zod";

const overlay = z
  .string()
  .max(80)
  .regex(
    /^(release|drafts|cr:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/,
    "overlay must be drafts or cr:<change request id>",
  )
  .optional();
const scope = { cluster: z.string().min(1).max(120), overlay };
const elementId = z.string().min(3).max(600);

/** The view of a cluster (default: the first by name) or of every cluster ("all"). */
export const graphViewInput = z.object({ ...scope, cluster: scope.cluster.optional() });
export type GraphViewInput = z.infer<typeof graphViewInput>;

/** An island's contents; `open` names the other opened islands, which a large cluster's namespaces draw their paths to in detail. */
export const graphGroupInput = z.object({ ...scope, group: elementId, open: z.array(elementId).max(200).optional() });
export type GraphGroupInput = z.infer<typeof graphGroupInput>;

export const graphEdgeInput = z.object({ ...scope, edge: elementId });
export type GraphEdgeInput = z.infer<typeof graphEdgeInput>;

export const graphNodeInput = z.object({ ...scope, node: elementId });
export type GraphNodeInput = z.infer<typeof graphNodeInput>;

/** One flow decided by the release and, with an overlay, by the proposal (the Simulator's what-if). */
export const graphWhatIfInput = z.object({
  cluster: scope.cluster,
  overlay,
  from: z.string().trim().min(1, "from: name a source (namespace/pod or workload, an IP address)").max(300),
  to: z.string().trim().min(1, "to: name a destination (namespace/pod or workload, an IP address or a DNS name)").max(300),
  port: z.number().int().min(1, "port: 1-65535").max(65535, "port: 1-65535"),
  protocol: z.enum(["TCP", "UDP", "SCTP"]).default("TCP"),
  time: z.iso.datetime({ offset: true, error: "time: an RFC 3339 instant" }).optional(),
});
export type GraphWhatIfInput = z.infer<typeof graphWhatIfInput>;
