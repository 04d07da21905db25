// Projected graph data → Cytoscape element definitions (pure). Meaning is in
// classes (the stylesheet keys on them); data holds what labels and panels need.
import type { GraphData, GraphEdge, GraphNode } from "./types";

export interface ElementDef {
  group: "nodes" | "edges";
  data: Record<string, unknown> & { id: string };
  classes: string;
}

const MAX_PORTS_IN_LABEL = 3;

export function portsLabel(ports: readonly string[]): string {
  if (ports.length <= MAX_PORTS_IN_LABEL) return ports.join(", ");
  return `${ports.slice(0, MAX_PORTS_IN_LABEL).join(", ")} +${ports.length - MAX_PORTS_IN_LABEL}`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function nodeLabel(n: GraphNode): string {
  if (n.collapsed) {
    const parts = [n.kind === "externals" ? "external destinations" : plural(n.workloads ?? 0, "workload")];
    if (n.kind === "tenant" || n.kind === "cluster") parts.unshift(plural(n.namespaces ?? 0, "namespace"));
    return `${n.label}\n${parts.join(" · ")}`;
  }
  if (n.kind === "tenant") return n.tenant ? `tenant ${n.label}` : "no tenant (platform)";
  if (n.kind === "service") return `svc ${n.label}`;
  // A CIDR's exceptions are one long word: a space after each comma lets the label wrap.
  if (n.kind === "external") return n.label.replace(/,(?=\S)/g, ", ");
  return n.label;
}

export function nodeClasses(n: GraphNode): string {
  const c: string[] = [n.kind];
  if (n.collapsed) c.push("island");
  if (n.externalKind) c.push(`ext-${n.externalKind}`);
  if (n.kind === "tenant" && !n.tenant) c.push("platform");
  return c.join(" ");
}

export function edgeLabel(e: GraphEdge): string {
  if (e.aggregate) return `${plural(e.aggregate.paths, "path")}`;
  const ports = portsLabel(e.ports);
  if (e.allowance.layer === "exception" && e.allowance.expiresAt) return `${ports} · until ${e.allowance.expiresAt.slice(0, 10)}`;
  return ports;
}

export function edgeClasses(e: GraphEdge): string {
  const c: string[] = [];
  if (e.fronts) c.push("fronts");
  else if (e.aggregate) {
    c.push("aggregate");
    const layers = e.aggregate.layers;
    c.push(layers.length === 1 ? `layer-${layers[0]}` : "layer-mixed");
  } else {
    c.push(`layer-${e.allowance.layer}`);
    if (e.allowance.tier) c.push(`tier-${e.allowance.tier}`);
  }
  if (e.via) c.push("via");
  if (e.change) c.push(e.change);
  if (e.source === e.target) c.push("loop");
  return c.join(" ");
}

/** Elements in a stable order: parents before children (Cytoscape needs them first), then edges. */
export function toElements(view: GraphData): ElementDef[] {
  const depth = new Map<string, number>();
  const byId = new Map(view.nodes.map((n) => [n.id, n]));
  const depthOf = (n: GraphNode): number => {
    const known = depth.get(n.id);
    if (known !== undefined) return known;
    const p = n.parent ? byId.get(n.parent) : undefined;
    const d = p ? depthOf(p) + 1 : 0;
    depth.set(n.id, d);
    return d;
  };
  // An open externals group is not drawn as a box (each destination sits near the workloads that reach it),
  // except across clusters: there it is the shared column between the clusters' columns (packing.ts).
  const multiCluster = view.nodes.filter((n) => n.kind === "cluster").length > 1;
  const boxless = (n: GraphNode | undefined) => n !== undefined && n.kind === "externals" && !n.collapsed && !multiCluster;
  const shown = view.nodes.filter((n) => !boxless(n));
  const nodes = [...shown].sort((a, b) => depthOf(a) - depthOf(b) || a.id.localeCompare(b.id));
  const out: ElementDef[] = nodes.map((n) => ({
    group: "nodes",
    data: {
      id: n.id,
      label: nodeLabel(n),
      kind: n.kind,
      ...(n.parent && byId.has(n.parent) && !boxless(byId.get(n.parent)) ? { parent: n.parent } : {}),
      ...(n.namespace ? { namespace: n.namespace } : {}),
      ...(n.cluster ? { cluster: n.cluster } : {}),
      ...(n.tenant ? { tenant: n.tenant } : {}),
      name: n.label,
    },
    classes: nodeClasses(n),
  }));
  for (const e of [...view.edges].sort((a, b) => a.id.localeCompare(b.id))) {
    out.push({
      group: "edges",
      data: {
        id: e.id,
        source: e.source,
        target: e.target,
        label: edgeLabel(e),
        layers: e.fronts ? "structure" : (e.aggregate?.layers ?? [e.allowance.layer]).join(","),
      },
      classes: edgeClasses(e),
    });
  }
  return out;
}
