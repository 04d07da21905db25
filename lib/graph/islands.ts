// Islands (pure, shared by the server and the console): a collapsed group is
// drawn as one node; the paths of everything inside it are aggregated into
// edges with counts. The console loads a group's contents when it is expanded
// and re-projects the same way, so both sides agree on what an island means.
import { aggregateEdgeId, impliedParent } from "./ids";
import type { AllowanceLayer, GraphData, GraphEdge, GraphNode } from "./types";

/** More leaves than this and the default view starts collapsing groups. */
export const DEFAULT_VISIBLE_BUDGET = 160;

const GROUP_KINDS = new Set(["cluster", "tenant", "namespace", "externals"]);
export const isGroup = (n: GraphNode) => GROUP_KINDS.has(n.kind);

/**
 * Which groups the default view collapses: nothing when everything fits;
 * else every namespace; else every tenant; else every cluster. `bundled` (the
 * all-clusters view): namespaces at least, whatever fits, so paths start bundled
 * per namespace pair until a group is opened.
 */
export function defaultCollapsed(nodes: readonly GraphNode[], budget = DEFAULT_VISIBLE_BUDGET, bundled = false): string[] {
  const leaves = nodes.filter((n) => !isGroup(n));
  if (leaves.length <= budget && !bundled) return [];
  const externals = nodes.filter((n) => n.kind === "external").length;
  const externalCost = externals > budget / 4 ? 1 : externals;
  const collapseExternals = externals > budget / 4 ? nodes.filter((n) => n.kind === "externals").map((n) => n.id) : [];
  let coarsest: string[] = [];
  for (const kind of ["namespace", "tenant", "cluster"] as const) {
    const groups = nodes.filter((n) => n.kind === kind).map((n) => n.id);
    if (groups.length === 0) continue;
    if (groups.length + externalCost <= budget) return [...groups, ...collapseExternals];
    coarsest = groups;
  }
  return [...coarsest, ...collapseExternals];
}

function parentIndex(nodes: Iterable<GraphNode>): Map<string, string | undefined> {
  const m = new Map<string, string | undefined>();
  for (const n of nodes) m.set(n.id, n.parent);
  return m;
}

/** The visible stand-in of a node: its outermost collapsed ancestor (or itself). */
export function representative(id: string, parents: ReadonlyMap<string, string | undefined>, collapsed: ReadonlySet<string>): string {
  let rep = id;
  let cur: string | undefined = id;
  for (let guard = 0; cur !== undefined && guard < 16; guard++) {
    if (cur !== id && collapsed.has(cur)) rep = cur;
    cur = parents.has(cur) ? parents.get(cur) : impliedParent(cur);
  }
  return rep;
}

function sortPorts(ports: Iterable<string>): string[] {
  return [...ports].sort((a, b) => {
    const pa = Number.parseInt(a, 10);
    const pb = Number.parseInt(b, 10);
    if (Number.isNaN(pa) !== Number.isNaN(pb)) return Number.isNaN(pa) ? 1 : -1;
    return pa - pb || a.localeCompare(b);
  });
}

/**
 * Project raw graph data onto a collapse state. Raw edges may already be
 * aggregated (their endpoint is a group): such an edge counts only while that
 * group is still collapsed; once expanded, its detailed edges replace it.
 */
export function project(data: GraphData, collapsedIds: Iterable<string>): GraphData {
  const collapsed = new Set(collapsedIds);
  const byId = new Map(data.nodes.map((n) => [n.id, n]));
  const parents = parentIndex(data.nodes);
  const hidden = (id: string) => representative(id, parents, collapsed) !== id;

  const nodes: GraphNode[] = [];
  const islandIndex = new Map<string, GraphNode>();
  for (const n of data.nodes) {
    if (hidden(n.id)) continue;
    if (collapsed.has(n.id) && isGroup(n)) {
      const island = { ...n, collapsed: true, internalPaths: 0 };
      islandIndex.set(n.id, island);
      nodes.push(island);
    } else nodes.push(n);
  }

  const edges: GraphEdge[] = [];
  const merged = new Map<string, GraphEdge & { aggregate: NonNullable<GraphEdge["aggregate"]> }>();
  const layerSets = new Map<string, Set<AllowanceLayer>>();
  const seen = new Set<string>();
  for (const e of data.edges) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    const endpointExpanded = (id: string) => {
      const n = byId.get(id);
      return n !== undefined && isGroup(n) && !collapsed.has(id);
    };
    if (e.aggregate && (endpointExpanded(e.source) || endpointExpanded(e.target))) continue;
    const s = representative(e.source, parents, collapsed);
    const t = representative(e.target, parents, collapsed);
    if (!byId.has(s) || !byId.has(t)) continue;
    // A collapsed namespace's own aggregated paths (large clusters) count inside the island, as its workloads' paths do.
    if (s === e.source && t === e.target && !(s === t && islandIndex.has(s))) {
      edges.push(e);
      continue;
    }
    const paths = e.aggregate?.paths ?? 1;
    const added = e.aggregate?.added ?? (e.change === "added" ? 1 : 0);
    const removed = e.aggregate?.removed ?? (e.change === "removed" ? 1 : 0);
    if (s === t) {
      const island = islandIndex.get(s);
      if (island && !e.fronts) island.internalPaths = (island.internalPaths ?? 0) + paths;
      continue;
    }
    if (e.fronts) continue;
    const id = aggregateEdgeId(s, t);
    let agg = merged.get(id);
    if (!agg) {
      agg = { id, source: s, target: t, ports: [], allowance: e.allowance, aggregate: { paths: 0, added: 0, removed: 0, layers: [] } };
      merged.set(id, agg);
      layerSets.set(id, new Set());
    }
    agg.aggregate.paths += paths;
    agg.aggregate.added += added;
    agg.aggregate.removed += removed;
    const layers = layerSets.get(id)!;
    for (const l of e.aggregate?.layers ?? [e.allowance.layer]) layers.add(l);
    agg.ports = sortPorts(new Set([...agg.ports, ...e.ports]));
  }
  for (const [id, agg] of merged) {
    agg.aggregate.layers = [...layerSets.get(id)!].sort();
    if (agg.aggregate.added > 0) agg.change = "added";
    else if (agg.aggregate.removed > 0 && agg.aggregate.removed === agg.aggregate.paths) agg.change = "removed";
    edges.push(agg);
  }
  return { nodes, edges };
}

/** Everything inside a group (all descendants) and every edge touching one of them. */
export function groupContents(data: GraphData, groupId: string): GraphData {
  const parents = parentIndex(data.nodes);
  const inside = new Set<string>();
  for (const n of data.nodes) {
    let cur = n.parent;
    for (let guard = 0; cur !== undefined && guard < 16; guard++) {
      if (cur === groupId) {
        inside.add(n.id);
        break;
      }
      cur = parents.get(cur);
    }
  }
  return {
    nodes: data.nodes.filter((n) => inside.has(n.id)),
    edges: data.edges.filter((e) => inside.has(e.source) || inside.has(e.target)),
  };
}
