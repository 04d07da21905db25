// The graph as a tenant-scoped person sees it (the rule is server/auth/visibility.ts):
// every tenant they may not read becomes one opaque node per cluster, and the
// paths to and from it keep only their ports and layer.
import { OTHER_TENANT_LABEL, redactPolicyNames, type Visibility } from "@/server/auth/visibility";
import type { ComputedGraph } from "./compute";
import { otherTenantNodeId } from "@/lib/graph/ids";
import { project } from "@/lib/graph/islands";
import type { GraphNode } from "@/lib/graph/types";

export function scopeGraph(graph: ComputedGraph, visibility: Visibility): ComputedGraph {
  if (!visibility.scoped) return graph;
  const hiddenKinds = new Set(["tenant", "namespace", "workload", "service"]);
  const isHidden = (n: GraphNode) => hiddenKinds.has(n.kind) && !visibility.tenantName(n.tenant);
  const opaque = new Map<string, GraphNode>();
  const hiddenIds = new Set(graph.data.nodes.filter(isHidden).map((n) => n.id));
  // The outermost hidden nodes (tenants; or, in an opened island without tenant groups, namespaces and
  // workloads) hang under their cluster's opaque node; collapsing it folds them (and their paths) in.
  const nodes = graph.data.nodes.map((n) => {
    if (!hiddenIds.has(n.id) || !n.cluster || (n.parent && hiddenIds.has(n.parent))) return n;
    const id = otherTenantNodeId(n.cluster);
    if (!opaque.has(id)) opaque.set(id, { id, kind: "other-tenant", label: OTHER_TENANT_LABEL, cluster: n.cluster });
    if (n.kind === "tenant" && n.parent) opaque.get(id)!.parent ??= n.parent;
    return { ...n, parent: id };
  });
  const folded =
    opaque.size === 0 ? graph.data : project({ nodes: [...nodes, ...opaque.values()], edges: graph.data.edges }, opaque.keys());
  const edges = folded.edges.map((e) =>
    opaque.has(e.source) || opaque.has(e.target)
      ? { ...e, allowance: { layer: e.allowance.layer, ...(e.allowance.tier ? { tier: e.allowance.tier } : {}) } }
      : e,
  );
  const kept = new Set(edges.map((e) => e.id));
  return {
    ...graph,
    data: redactPolicyNames({ nodes: folded.nodes, edges }, visibility),
    paths: redactPolicyNames(
      graph.paths.filter((p) => kept.has(p.edgeId)),
      visibility,
    ),
    warnings: redactPolicyNames(
      graph.warnings.filter((w) => !visibility.hiddenPolicyNames.has(w.document)),
      visibility,
    ),
  };
}
