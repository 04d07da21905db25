// What the filters leave on the canvas, decided on the element definitions
// (pure, unit-tested): the canvas only toggles the "hidden" class on what this
// says, so nothing is re-laid out and positions stay where they were; the
// figures above the canvas count the same result.
import type { ElementDef } from "@/lib/graph/elements";
import type { AllowanceLayer, GraphData } from "@/lib/graph/types";

export interface CanvasFilters {
  tenant: string | null;
  namespace: string | null;
  showExternal: boolean;
  /** Only paths into this node (a leaf or island id). */
  destination: string | null;
  layers: Record<AllowanceLayer, boolean>;
}

export const LAYERS: readonly AllowanceLayer[] = ["namespace", "admin", "exception", "baseline", "default"];

export const ALL_LAYERS_ON: Record<AllowanceLayer, boolean> = {
  namespace: true,
  admin: true,
  exception: true,
  baseline: true,
  default: true,
};

export const DEFAULT_FILTERS: CanvasFilters = {
  tenant: null,
  namespace: null,
  showExternal: true,
  destination: null,
  layers: ALL_LAYERS_ON,
};

/** True when some filter leaves something out. */
export function filtering(f: CanvasFilters): boolean {
  return Boolean(f.tenant || f.namespace || f.destination) || !f.showExternal || LAYERS.some((l) => !f.layers[l]);
}

export interface FilterOutcome {
  /**
   * The elements to mark hidden: only the outermost of what goes, since Cytoscape hides a
   * group's contents and a hidden node's edges with it. Every class change restyles the
   * element and, on a group, its descendants: marking fewer keeps a filter change fast.
   */
  hidden: ReadonlySet<string>;
  /** What is on the canvas after the filters: nodes and edges, hidden ancestors and endpoints taken into account. */
  shown: { nodes: ReadonlySet<string>; edges: ReadonlySet<string> };
}

const hasClass = (e: ElementDef, c: string) => e.classes.split(" ").includes(c);

export function filterElements(elements: readonly ElementDef[], f: CanvasFilters): FilterOutcome {
  const nodes = elements.filter((e) => e.group === "nodes");
  const edges = elements.filter((e) => e.group === "edges");
  const parentOf = new Map<string, string | undefined>(nodes.map((n) => [n.data.id, n.data.parent as string | undefined]));
  const parents = new Set([...parentOf.values()].filter((p): p is string => p !== undefined));
  const hidden = new Set<string>();

  const off = LAYERS.filter((l) => !f.layers[l]);
  if (off.length > 0)
    for (const e of edges) {
      const layers = String(e.data.layers ?? e.data.layer ?? "").split(",");
      if (layers.every((l) => off.includes(l as AllowanceLayer))) hidden.add(e.data.id);
    }
  if (!f.showExternal) for (const n of nodes) if (hasClass(n, "external") || hasClass(n, "externals")) hidden.add(n.data.id);

  let scope: string[] | null = null;
  let scopeEdges: ElementDef[] = [];
  if (f.destination) {
    scope = nodes.filter((n) => n.data.id === f.destination).map((n) => n.data.id);
    scopeEdges = scope.length > 0 ? edges.filter((e) => e.data.target === f.destination && !hidden.has(e.data.id)) : [];
  } else if (f.namespace || f.tenant) {
    const match = new Set(
      nodes
        .filter((n) => (f.namespace ? n.data.namespace === f.namespace : n.data.tenant === f.tenant) && !parents.has(n.data.id))
        .map((n) => n.data.id),
    );
    scope = [...match];
    scopeEdges = edges.filter((e) => (match.has(String(e.data.source)) || match.has(String(e.data.target))) && !hidden.has(e.data.id));
  }
  if (scope) {
    const keep = new Set<string>();
    for (const id of [...scope, ...scopeEdges.flatMap((e) => [String(e.data.source), String(e.data.target)])]) {
      if (hidden.has(id)) continue;
      for (let cur: string | undefined = id, i = 0; cur !== undefined && i < 16; cur = parentOf.get(cur), i++) keep.add(cur);
    }
    const inScope = new Set(scopeEdges.map((e) => e.data.id));
    for (const n of nodes) if (!keep.has(n.data.id)) hidden.add(n.data.id);
    for (const e of edges) if (!inScope.has(e.data.id)) hidden.add(e.data.id);
  }

  const shownNodes = new Set<string>();
  for (const n of nodes) {
    let visible = true;
    for (let cur: string | undefined = n.data.id, i = 0; cur !== undefined && i < 16 && visible; cur = parentOf.get(cur), i++)
      visible = !hidden.has(cur);
    if (visible) shownNodes.add(n.data.id);
  }
  const endsShown = (e: ElementDef) => shownNodes.has(String(e.data.source)) && shownNodes.has(String(e.data.target));
  const shownEdges = new Set(edges.filter((e) => !hidden.has(e.data.id) && endsShown(e)).map((e) => e.data.id));
  const marks = new Set<string>();
  for (const n of nodes) {
    const parent = parentOf.get(n.data.id);
    if (hidden.has(n.data.id) && (parent === undefined || shownNodes.has(parent))) marks.add(n.data.id);
  }
  for (const e of edges) if (hidden.has(e.data.id) && endsShown(e)) marks.add(e.data.id);
  return { hidden: marks, shown: { nodes: shownNodes, edges: shownEdges } };
}

/** Workloads and allowed paths on the canvas: an island counts what it holds, an island edge the paths it stands for. */
export function shownCounts(projected: GraphData, shown: FilterOutcome["shown"]): { workloads: number; paths: number } {
  let workloads = 0;
  let paths = 0;
  for (const n of projected.nodes) {
    if (!shown.nodes.has(n.id)) continue;
    if (n.collapsed) {
      workloads += n.workloads ?? 0;
      paths += n.internalPaths ?? 0;
    } else if (n.kind === "workload") workloads += 1;
  }
  for (const e of projected.edges) if (shown.edges.has(e.id) && !e.fronts) paths += e.aggregate?.paths ?? 1;
  return { workloads, paths };
}
