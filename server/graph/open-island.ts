// Opening an island of a large (aggregated, aggregate.ts) cluster: its
// workload-level graph is computed when asked for, for the release and the
// proposal (whose difference is then workload by workload), and kept for a few
// requests, since the panels ask about its nodes and edges next.
import { buildIslandGraph, diffAggregated } from "./aggregate";
import type { ClusterState, ComputedGraph } from "./compute";
import { namespaceNodeId, parseEdgeId, parseNodeId } from "@/lib/graph/ids";

const ISLANDS_KEPT = 16;
const opened = new WeakMap<ComputedGraph, Map<string, ComputedGraph>>();

/** The cluster and namespace of a namespace group id, when that cluster's graph is aggregated. */
function aggregatedNamespace(graph: ComputedGraph, groupId: string): { cluster: string; namespace: string } | null {
  const p = parseNodeId(groupId);
  if (p?.kind !== "namespace" || !p.cluster || !p.namespace) return null;
  return graph.base.some((s) => s.cluster === p.cluster && s.aggregated) ? { cluster: p.cluster, namespace: p.namespace } : null;
}

/** Whether a group's contents are computed on opening (a namespace of an aggregated cluster). */
export const opensOnDemand = (graph: ComputedGraph, groupId: string) => aggregatedNamespace(graph, groupId) !== null;

/**
 * The graph of one opened namespace of an aggregated cluster, with the other opened namespaces'
 * workloads as detailed endpoints; null when the group is not such a namespace.
 */
export function openIsland(graph: ComputedGraph, groupId: string, open: readonly string[], time: Date): ComputedGraph | null {
  const target = aggregatedNamespace(graph, groupId);
  if (!target) return null;
  const others = [
    ...new Set(
      open
        .map((id) => aggregatedNamespace(graph, id))
        .filter((o) => o !== null && o.cluster === target.cluster && o.namespace !== target.namespace)
        .map((o) => o!.namespace),
    ),
  ].sort();
  const key = `${groupId}|${others.join(",")}`;
  let kept = opened.get(graph);
  if (!kept) opened.set(graph, (kept = new Map()));
  const hit = kept.get(key);
  if (hit) return hit;
  const island = (states: readonly ClusterState[]): ClusterState[] =>
    states
      .filter((s) => s.cluster === target.cluster)
      .map((s) => ({
        ...s,
        data: buildIslandGraph(s.evaluator, { cluster: s.cluster, namespace: target.namespace, open: others, time }, graph.limits),
      }));
  const base = island(graph.base);
  const proposal = graph.proposal ? island(graph.proposal) : undefined;
  const diff = proposal ? diffAggregated(base[0]!.data, proposal[0]!.data) : null;
  const result: ComputedGraph = {
    ...graph,
    base,
    ...(proposal ? { proposal } : {}),
    data: diff?.data ?? base[0]!.data,
    paths: diff?.paths ?? [],
  };
  kept.set(key, result);
  while (kept.size > ISLANDS_KEPT) kept.delete(kept.keys().next().value!);
  return result;
}

/** The namespace of a workload or Service id of an aggregated cluster. */
function namespaceGroupOf(graph: ComputedGraph, id: string): string | null {
  const p = parseNodeId(id);
  if ((p?.kind !== "workload" && p?.kind !== "service") || !p.cluster || !p.namespace) return null;
  const group = namespaceNodeId(p.cluster, p.namespace);
  return aggregatedNamespace(graph, group) ? group : null;
}

/**
 * The graph that knows an element: for a workload or Service of an aggregated cluster (or a path
 * touching one) the island of its namespace, opened with the other end's namespace; else the graph.
 */
export function graphFor(graph: ComputedGraph, elementId: string, time: Date): ComputedGraph {
  const ends = parseEdgeId(elementId);
  const ids = ends ? [ends.source, ends.target] : [elementId];
  const groups = ids.map((id) => namespaceGroupOf(graph, id)).filter((g) => g !== null);
  const [group, ...others] = groups;
  return group ? (openIsland(graph, group, others, time) ?? graph) : graph;
}
