// Observed denied flows on the graph (issue 17): the paths the clusters dropped,
// drawn as red edges over the allowed paths (pure). Each flow's ends are placed on
// what the view shows: the workload itself, else its namespace (a collapsed island
// or group), else the external destination by name; flows whose ends are not in
// the view are counted, not drawn.
import type { ElementDef } from "./elements";
import { portsLabel } from "./elements";
import type { GraphNode } from "./types";

export const OBSERVED_DENIAL_CLASS = "observed-denial";

export type ObservedDenial = PlaceableFlow;

/** Where a flow's end sits in the view, or null. */
function placer(nodes: readonly GraphNode[]) {
  const byKey = new Map<string, string>();
  for (const n of nodes) {
    if (n.kind === "workload" && n.namespace) byKey.set(`w|${n.cluster}|${n.namespace}/${n.label}`, n.id);
    else if (n.kind === "namespace") byKey.set(`n|${n.cluster}|${n.label}`, n.id);
    else if (n.kind === "external") byKey.set(`x|${n.label.toLowerCase()}`, n.id);
  }
  return (cluster: string, end: string): string | null => {
    const slash = end.indexOf("/");
    if (slash > 0 && !end.includes(":") && !/^\d/.test(end)) {
      return byKey.get(`w|${cluster}|${end}`) ?? byKey.get(`n|${cluster}|${end.slice(0, slash)}`) ?? null;
    }
    return byKey.get(`x|${end.toLowerCase()}`) ?? null;
  };
}

/** One flow between two ends, as ingestion or a replay names them. */
export interface PlaceableFlow {
  cluster: string;
  /** "namespace/workload", else an address or DNS name. */
  source: string;
  destination: string;
  port: number;
  protocol: string;
  count: number;
}

/**
 * Flows as edges between the ends the view shows, one per pair of ends (ports and counts summed),
 * and how many flows could not be placed. Shared by the observed denials and a replay run's changes.
 */
export function placedFlowEdges(
  nodes: readonly GraphNode[],
  flows: readonly PlaceableFlow[],
  edge: { prefix: string; classes: string; layers: string; label: (count: number, ports: string) => string },
): { elements: ElementDef[]; unplaced: number } {
  const place = placer(nodes);
  const edges = new Map<string, { source: string; target: string; count: number; ports: Set<string> }>();
  let unplaced = 0;
  for (const d of flows) {
    const source = place(d.cluster, d.source);
    const target = place(d.cluster, d.destination);
    if (!source || !target) {
      unplaced += d.count;
      continue;
    }
    const id = `${edge.prefix}:${source}->${target}`;
    const e = edges.get(id) ?? { source, target, count: 0, ports: new Set<string>() };
    e.count += d.count;
    e.ports.add(`${d.port}/${d.protocol}`);
    edges.set(id, e);
  }
  const elements = [...edges.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, e]) => ({
      group: "edges" as const,
      data: {
        id,
        source: e.source,
        target: e.target,
        label: edge.label(e.count, portsLabel([...e.ports].sort())),
        layers: edge.layers,
      },
      classes: edge.classes + (e.source === e.target ? " loop" : ""),
    }));
  return { elements, unplaced };
}

/** Red edges for the denials, one per pair of shown ends (ports and counts summed), and how many flows could not be placed. */
export function observedDenialElements(
  nodes: readonly GraphNode[],
  denials: readonly ObservedDenial[],
): { elements: ElementDef[]; unplaced: number } {
  return placedFlowEdges(nodes, denials, {
    prefix: "deny",
    classes: OBSERVED_DENIAL_CLASS,
    layers: "observed",
    label: (count, ports) => `${count.toLocaleString("en")} denied · ${ports}`,
  });
}
