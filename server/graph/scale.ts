// What the default view of a graph with large (aggregated) clusters collapses,
// and the counts it shows, the same way for full and aggregated clusters.
import { aggregatedPaths } from "./aggregate";
import type { ComputedGraph } from "./compute";
import { DEFAULT_VISIBLE_BUDGET } from "@/lib/graph/islands";

export interface ViewScale {
  /** Groups the default view must collapse on top of the usual ones: every namespace of an aggregated cluster, and coarser groups while they do not fit. */
  collapsed: string[];
  onDemand: boolean;
  workloads: number;
  /** Allowed workload paths (an aggregated edge counts its pairs). */
  paths: number;
}

export function viewScale(graph: ComputedGraph, budget = DEFAULT_VISIBLE_BUDGET): ViewScale {
  const nodes = graph.data.nodes;
  const workloads = nodes.reduce((sum, n) => sum + (n.kind === "namespace" ? (n.workloads ?? 0) : 0), 0);
  const paths = aggregatedPaths(graph.data);
  const aggregated = new Set(graph.base.filter((s) => s.aggregated).map((s) => s.cluster));
  if (aggregated.size === 0) return { collapsed: [], onDemand: false, workloads, paths };
  const ofAggregated = (kind: string) =>
    nodes.filter((n) => n.kind === kind && n.cluster !== undefined && aggregated.has(n.cluster)).map((n) => n.id);
  const collapsed = ofAggregated("namespace");
  // Namespaces are then the leaves: too many of them and their tenants collapse too, then the clusters.
  if (collapsed.length > budget) {
    const tenants = ofAggregated("tenant");
    collapsed.push(...tenants);
    if (tenants.length > budget) collapsed.push(...ofAggregated("cluster"));
  }
  return { collapsed, onDemand: true, workloads, paths };
}
