// The overlay: paths a draft or change request adds or removes against the
// current release (pure). Both graphs come from the same engine.
import { parseNodeId } from "./ids";
import type { GraphData, GraphEdge, GraphNode, OverlayPath } from "./types";

/** `checkout/cart`, `api.stripe.com`: how a path's endpoint is named in the overlay list. */
export function endpointLabel(node: GraphNode | undefined, id: string): string {
  if (node?.kind === "workload" || node?.kind === "service") return `${node.namespace}/${node.label}`;
  if (node) return node.label;
  const p = parseNodeId(id);
  return p?.namespace && p.kind !== "namespace" ? `${p.namespace}/${p.name}` : (p?.name ?? id);
}

export function pathLabel(source: string, target: string, ports: readonly string[], nodes: ReadonlyMap<string, GraphNode>): string {
  return `${endpointLabel(nodes.get(source), source)} → ${endpointLabel(nodes.get(target), target)} ${ports.join(", ")}`;
}

function clusterOf(e: GraphEdge, nodes: ReadonlyMap<string, GraphNode>): string {
  return nodes.get(e.source)?.cluster ?? nodes.get(e.target)?.cluster ?? "";
}

/**
 * The proposal's graph with every difference marked: new paths (change
 * "added"), paths that disappear (kept, change "removed"), and per-port
 * differences on paths present in both.
 */
export function diffGraphs(base: GraphData, proposal: GraphData): { data: GraphData; paths: OverlayPath[] } {
  const nodes = new Map<string, GraphNode>();
  for (const n of base.nodes) nodes.set(n.id, n);
  for (const n of proposal.nodes) nodes.set(n.id, n);
  const baseEdges = new Map(base.edges.map((e) => [e.id, e]));
  const propEdges = new Map(proposal.edges.map((e) => [e.id, e]));
  const edges: GraphEdge[] = [];
  const paths: OverlayPath[] = [];
  const record = (e: GraphEdge, change: "added" | "removed", ports: string[]) =>
    paths.push({ edgeId: e.id, change, cluster: clusterOf(e, nodes), label: pathLabel(e.source, e.target, ports, nodes), ports });

  for (const e of proposal.edges) {
    const before = baseEdges.get(e.id);
    if (e.fronts) {
      edges.push(e);
      continue;
    }
    if (!before) {
      edges.push({ ...e, change: "added" });
      record(e, "added", e.ports);
      continue;
    }
    const added = e.ports.filter((p) => !before.ports.includes(p));
    const removed = before.ports.filter((p) => !e.ports.includes(p));
    if (added.length === 0 && removed.length === 0) {
      edges.push(e);
      continue;
    }
    edges.push({
      ...e,
      ports: [...e.ports, ...removed],
      ...(added.length ? { change: "added" as const, portsAdded: added } : { change: "removed" as const }),
      ...(removed.length ? { portsRemoved: removed } : {}),
    });
    if (added.length) record(e, "added", added);
    if (removed.length) record(e, "removed", removed);
  }
  for (const e of base.edges) {
    if (propEdges.has(e.id) || e.fronts) continue;
    edges.push({ ...e, change: "removed" });
    record(e, "removed", e.ports);
  }
  paths.sort((a, b) => (a.change === b.change ? a.label.localeCompare(b.label) : a.change === "added" ? -1 : 1));
  return { data: { nodes: [...nodes.values()], edges }, paths };
}
