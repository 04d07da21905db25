// Large clusters (issue 9 §3). A cluster of thousands of mostly open workloads
// has tens of millions of allowed workload pairs: too many to hold, let alone
// draw. Its graph is computed at namespace level instead, with the engine's
// grouped reachability counting the workload pairs behind each namespace edge
// without holding them; a namespace's workload-level edges are computed only
// when the person opens it (buildIslandGraph). Small clusters keep the full graph.
import type { Evaluator } from "@/server/policy/eval/evaluator";
import { computeReachability, type ReachabilityEdge } from "@/server/policy/eval/reachability";
import { TooLarge } from "@/server/errors";
import {
  allowedEdge,
  buildClusterGraph,
  externalNodes,
  groupNodes,
  serviceNodes,
  workloadNodes,
  type BuildOptions,
  type ClusterGraph,
  type EdgeWitnesses,
} from "./build";
import { diffGraphs } from "@/lib/graph/diff";
import { aggregateEdgeId, edgeId, namespaceNodeId } from "@/lib/graph/ids";
import type { GraphData, GraphEdge, OverlayPath } from "@/lib/graph/types";

export interface GraphLimits {
  /** Clusters with at most this many workloads always get the full workload-level graph. */
  smallWorkloads: number;
  /** Larger clusters get it only when their allowed workload paths are at most this many; else the namespace-level graph. */
  fullPaths: number;
  /** An island with more workloads than this is refused (its paths alone could be too many to draw). */
  islandWorkloads: number;
  /** An island with more paths than this is refused. */
  islandPaths: number;
}

export const GRAPH_LIMITS: GraphLimits = { smallWorkloads: 1000, fullPaths: 50_000, islandWorkloads: 400, islandPaths: 20_000 };

/** Distinct workloads per namespace (a bare Pod is its own workload). */
function workloadsPerNamespace(ev: Evaluator): Map<string, number> {
  const seen = new Set<string>();
  const out = new Map<string, number>();
  for (const { pod } of ev.podEntries) {
    const w = pod.workload ?? { kind: "Pod", name: pod.name };
    const key = `${pod.namespace}/${w.kind}/${w.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.set(pod.namespace, (out.get(pod.namespace) ?? 0) + 1);
  }
  return out;
}

/**
 * One shared copy of equal values (ports lists, allowances, layer lists): a large cluster has
 * hundreds of thousands of namespace edges and only a few distinct ones of each.
 */
function interner() {
  const seen = new Map<string, unknown>();
  return <T>(value: T): T => {
    const key = JSON.stringify(value);
    const prev = seen.get(key);
    if (prev !== undefined) return prev as T;
    seen.set(key, value);
    return value;
  };
}

/** A reachability edge as a graph edge: workload to workload as today, anything with a namespace end as an aggregate with its pair count. */
function edgeOf(
  e: ReachabilityEdge,
  source: string,
  target: string,
  ev: Evaluator,
  time: Date | undefined,
  intern: ReturnType<typeof interner>,
): GraphEdge {
  const detailed = source.startsWith("w:") || source.startsWith("x:") ? target.startsWith("w:") || target.startsWith("x:") : false;
  const edge = allowedEdge(e, detailed ? edgeId(source, target) : aggregateEdgeId(source, target), source, target, ev, time);
  if (detailed) return edge;
  // The layer is the sampled pair's (the first port's witness): counting every pair's layer would decide every pair.
  return {
    ...edge,
    ports: intern(edge.ports),
    allowance: intern(edge.allowance),
    aggregate: { paths: e.pairs ?? 0, added: 0, removed: 0, layers: intern([edge.allowance.layer]) },
  };
}

function toGraph(
  reach: { edges: ReachabilityEdge[] },
  idOf: ReadonlyMap<string, string>,
  ev: Evaluator,
  time: Date | undefined,
  data: GraphData,
): ClusterGraph {
  const witnesses: EdgeWitnesses = new Map();
  const edges = [...data.edges];
  const intern = interner();
  for (const e of reach.edges) {
    const source = idOf.get(e.from);
    const target = idOf.get(e.to);
    if (!source || !target) continue;
    const edge = edgeOf(e, source, target, ev, time, intern);
    if (witnesses.has(edge.id)) continue;
    witnesses.set(edge.id, e.witnesses ?? {});
    edges.push(edge);
  }
  return { nodes: data.nodes, edges, witnesses };
}

/**
 * The namespace-level graph: group nodes and external destinations, and one aggregated edge per
 * (namespace or external, namespace or external) pair with the ports and the number of workload
 * pairs it stands for. A namespace's own paths are an edge from it to itself (the island's count).
 */
export function buildAggregatedClusterGraph(ev: Evaluator, options: BuildOptions): ClusterGraph {
  const reach = computeReachability(ev, {
    groupBy: "namespace",
    rationale: false,
    witnesses: true,
    pairs: true,
    ...(options.time ? { time: options.time } : {}),
  });
  const nodes = groupNodes(ev.cluster, options.cluster, workloadsPerNamespace(ev), options.withClusterNode ?? false);
  const idOf = new Map<string, string>();
  for (const n of reach.nodes) if (n.kind === "namespace") idOf.set(n.id, namespaceNodeId(options.cluster, n.name));
  nodes.push(...externalNodes(reach.nodes, ev.cluster, idOf));
  return toGraph(reach, idOf, ev, options.time, { nodes, edges: [] });
}

/** Allowed workload pairs of an aggregated graph (a namespace's own included). */
export const aggregatedPaths = (g: GraphData) => g.edges.reduce((sum, e) => sum + (e.fronts ? 0 : (e.aggregate?.paths ?? 1)), 0);

/**
 * One cluster's graph at the level its size allows: the full workload-level graph when the
 * cluster is small or its allowed paths are few enough to draw, else the namespace-level one.
 * `aggregated` forces the choice (a proposal is shown at the level of the release it is compared with).
 */
export function buildScaledClusterGraph(
  ev: Evaluator,
  options: BuildOptions,
  limits: GraphLimits,
  aggregated?: boolean,
): { data: ClusterGraph; aggregated: boolean } {
  if (aggregated === false) return { data: buildClusterGraph(ev, options), aggregated: false };
  const perNs = workloadsPerNamespace(ev);
  const workloads = [...perNs.values()].reduce((a, b) => a + b, 0);
  if (aggregated === undefined && workloads <= limits.smallWorkloads) return { data: buildClusterGraph(ev, options), aggregated: false };
  const data = buildAggregatedClusterGraph(ev, options);
  if (aggregated === undefined && aggregatedPaths(data) <= limits.fullPaths)
    return { data: buildClusterGraph(ev, options), aggregated: false };
  return { data, aggregated: true };
}

/**
 * An opened namespace of an aggregated graph: its workloads (and the Services in front of them)
 * and every allowed path touching them, workload to workload within it and with the workloads of
 * the other opened namespaces (`open`), and aggregated to the namespace elsewhere. Refused with a
 * clear message when it is too large to draw.
 */
export function buildIslandGraph(
  ev: Evaluator,
  options: BuildOptions & { namespace: string; open?: readonly string[] },
  limits: GraphLimits,
): ClusterGraph {
  const { cluster, namespace } = options;
  const workloads = workloadsPerNamespace(ev).get(namespace) ?? 0;
  const hint = "list its paths with `policyplane reachability --group-by workload --output jsonl` instead";
  if (workloads > limits.islandWorkloads)
    throw new TooLarge(`${namespace}: ${workloads} workloads, too many to draw (at most ${limits.islandWorkloads}); ${hint}.`);
  const detailed = [namespace, ...(options.open ?? []).filter((n) => n !== namespace)];
  const reach = computeReachability(ev, {
    groupBy: "namespace",
    workloadsIn: detailed,
    touching: namespace,
    rationale: false,
    witnesses: true,
    pairs: true,
    ...(options.time ? { time: options.time } : {}),
  });
  if (reach.edges.length > limits.islandPaths)
    throw new TooLarge(
      `${namespace}: ${workloads} workloads with ${reach.edges.length} paths, too many to draw (at most ${limits.islandPaths}); ${hint}.`,
    );
  const idOf = new Map<string, string>();
  for (const n of reach.nodes) if (n.kind === "namespace") idOf.set(n.id, namespaceNodeId(cluster, n.name));
  // The other opened namespaces' workloads are drawn by their own islands: only their ids here.
  const nodes = workloadNodes(reach.nodes, ev.cluster, cluster, idOf).filter((n) => n.namespace === namespace);
  nodes.push(...externalNodes(reach.nodes, ev.cluster, idOf));
  const services = serviceNodes(ev.cluster, cluster, namespace);
  return toGraph(reach, idOf, ev, options.time, { nodes: [...nodes, ...services.nodes], edges: services.edges });
}

/**
 * The overlay of aggregated graphs: the paths diff of diff.ts (ports added or removed, edges
 * new or gone), plus on aggregated edges how many workload pairs the proposal adds or removes
 * (net, per namespace pair: the pairs themselves are not held).
 */
export function diffAggregated(base: GraphData, proposal: GraphData): { data: GraphData; paths: OverlayPath[] } {
  const diff = diffGraphs(base, proposal);
  const before = new Map(base.edges.map((e) => [e.id, e.aggregate?.paths ?? 0]));
  const after = new Map(proposal.edges.map((e) => [e.id, e.aggregate?.paths ?? 0]));
  const edges = diff.data.edges.map((e) => {
    const b = before.get(e.id) ?? 0;
    const p = after.get(e.id) ?? 0;
    // Unchanged edges stay the proposal's own objects (hundreds of thousands in a large cluster).
    if (!e.aggregate || (b === p && !e.change)) return e;
    const aggregate = { ...e.aggregate, paths: Math.max(b, p), added: Math.max(0, p - b), removed: Math.max(0, b - p) };
    return { ...e, aggregate, ...(p > b && !e.change ? { change: "added" as const } : {}) };
  });
  return { data: { nodes: diff.data.nodes, edges }, paths: diff.paths };
}
