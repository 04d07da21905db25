/**
 * Reachability: the graph of allowed paths, aggregated by workload (or namespace).
 *
 * Decisions are computed per identity, not per pod: ./allowed-sets.ts resolves which sources
 * reach each destination as bitsets; this file groups them into nodes and edges. The per-flow
 * evaluator is used only for the rationale of each edge, so both answers come from the same
 * compiled rules.
 */
import type { Evaluator, Identity } from "./evaluator";
import { formatPortProtocol } from "../util/text";
import { formatDecisionPath } from "./explain";
import { allowedSets, type Probe } from "./allowed-sets";

export type ReachabilityNode =
  | { id: string; kind: "workload"; namespace: string; name: string; workloadKind: string; pods: number }
  | { id: string; kind: "namespace"; namespace: string; name: string; pods: number }
  | { id: string; kind: "external"; name: string };

export interface ReachabilityEdge {
  from: string;
  to: string;
  /** "443/TCP"; "*\/TCP" means every TCP port not otherwise listed (destinations without declared container ports). */
  ports: string[];
  /** One-line rationale of the first allowed port. */
  rationale: string;
  /** With `witnesses: true`: per port label, a source and destination identity the engine allows on it. */
  witnesses?: Record<string, ReachabilityWitness>;
  /**
   * With `pairs: true`: how many (source workload, destination workload) pairs the edge stands
   * for (an external destination counts as one). A workload whose pods differ in labels counts
   * once per allowed identity pair.
   */
  pairs?: number;
}

/** An identity pair that is allowed: the proof behind one port of an aggregated edge. */
export interface ReachabilityWitness {
  src: Identity;
  dst: Identity;
}

export interface ReachabilityGraph {
  nodes: ReachabilityNode[];
  edges: ReachabilityEdge[];
  stats: { identities: number; endpoints: number; edges: number; elapsedMs: number };
}

/** What one node of the graph stands for: a workload (a bare Pod is its own) or a whole namespace. */
export type ReachabilityGroupBy = "workload" | "namespace";

export interface ReachabilityOptions {
  /** Evaluation time for exceptions (default now). */
  time?: string | Date;
  /** Nodes are workloads (default) or namespaces; external destinations are nodes either way. */
  groupBy?: ReachabilityGroupBy;
  /** Compute the one-line rationale of each edge (default true). */
  rationale?: boolean;
  /**
   * Keep an allowed identity pair per edge and port (default false). The pods of one
   * workload may differ (labels), so only such a pair explains why the edge exists.
   */
  witnesses?: boolean;
  /** Count the workload pairs behind each edge (default false): aggregated views without the pairs themselves. */
  pairs?: boolean;
  /** With `groupBy: "namespace"`: the pods of these namespaces are still grouped by workload (islands opened in the console). */
  workloadsIn?: readonly string[];
  /** Only the edges with an endpoint among this namespace's pods: the cost is then that of its identities, not of the whole cluster. */
  touching?: string;
}

const portLabel = (probe: Probe): string => (probe.other ? `*/${probe.protocol}` : formatPortProtocol(probe.port, probe.protocol));

export function computeReachability(ev: Evaluator, options: ReachabilityOptions = {}): ReachabilityGraph {
  const t0 = performance.now();
  const { ids, n, nodes, groupsOf, incoming, weight, podsIn, has } = allowedSets(ev, options);
  const wantWitnesses = options.witnesses ?? false;
  const wantPairs = options.pairs ?? false;
  const index = new Map<ReachabilityNode, number>([...nodes.values()].map((node, i) => [node, i]));
  const edgeKeys = new Map<
    number,
    {
      from: ReachabilityNode;
      to: ReachabilityNode;
      ports: Set<string>;
      first: { s: Identity; d: Identity; probe: Probe };
      witnesses?: Record<string, ReachabilityWitness>;
      pairs: number;
    }
  >();
  // Per source identity, the destination identity (+1) it was last counted with: a pair counts once over all probes.
  const pairSeen = new Int32Array(wantPairs ? n : 0);
  const focus = options.touching === undefined ? null : podsIn(options.touching);
  // Within one (destination, probe), a source group is added once, however many of its identities reach it.
  const seen = new Int32Array(nodes.size);
  let tick = 0;
  let lastProbe: Probe | null = null;
  for (let di = 0; di < n; di++) {
    const d = ids[di]!;
    const toNodes = groupsOf.get(d.id);
    if (!toNodes) continue;
    lastProbe = null;
    // Outside the focus namespace, only sources inside it make an edge that touches it.
    const sources = focus && !has(focus, di) ? focus : undefined;
    incoming(
      di,
      (si, probe) => {
        if (probe !== lastProbe) {
          lastProbe = probe;
          tick++;
        }
        const s = ids[si]!;
        const fromNodes = groupsOf.get(s.id);
        if (!fromNodes) return;
        const label = portLabel(probe);
        for (const from of fromNodes.values()) {
          const fi = index.get(from)!;
          if (seen[fi] === tick) continue;
          seen[fi] = tick;
          for (const to of toNodes.values()) {
            if (from === to && from.kind === "external") continue;
            const k = fi * nodes.size + index.get(to)!;
            let edge = edgeKeys.get(k);
            if (!edge)
              edgeKeys.set(
                k,
                (edge = { from, to, ports: new Set(), first: { s, d, probe }, ...(wantWitnesses ? { witnesses: {} } : {}), pairs: 0 }),
              );
            if (edge.witnesses && !edge.ports.has(label)) edge.witnesses[label] = { src: s, dst: d };
            edge.ports.add(label);
          }
        }
        if (wantPairs && pairSeen[si] !== di + 1) {
          pairSeen[si] = di + 1;
          // A workload node is one workload; a namespace node stands for every workload of the identity.
          for (const from of fromNodes.values())
            for (const to of toNodes.values()) {
              const edge = edgeKeys.get(index.get(from)! * nodes.size + index.get(to)!);
              if (edge) edge.pairs += (from.kind === "workload" ? 1 : weight(s)) * (to.kind === "workload" ? 1 : weight(d));
            }
        }
      },
      sources,
    );
  }

  const wantRationale = options.rationale ?? true;
  const edges: ReachabilityEdge[] = [];
  for (const e of edgeKeys.values()) {
    // Uncached: one decision per edge would otherwise stay in the evaluator's cache for good.
    const rationale = wantRationale
      ? formatDecisionPath(ev.decideUncached(e.first.s, e.first.d, e.first.probe.port, e.first.probe.protocol, options.time))
      : "";
    edges.push({
      from: e.from.id,
      to: e.to.id,
      ports: [...e.ports].sort(comparePorts),
      rationale,
      ...(e.witnesses ? { witnesses: e.witnesses } : {}),
      ...(wantPairs ? { pairs: e.pairs } : {}),
    });
  }
  edges.sort((a, b) => (a.from === b.from ? (a.to < b.to ? -1 : a.to > b.to ? 1 : 0) : a.from < b.from ? -1 : 1));
  return {
    nodes: [...nodes.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    edges,
    stats: { identities: n, endpoints: nodes.size, edges: edges.length, elapsedMs: Math.round(performance.now() - t0) },
  };
}

export interface ReachabilityStream {
  /** Every node, known before any edge (bounded by groups, not edges). */
  nodes: ReachabilityNode[];
  /**
   * The edges, grouped by destination node (the nodes of one destination identity follow each
   * other), sources in id order within a destination. Memory stays bounded by identities and
   * groups: a destination's edges are complete, yielded and dropped before the next one starts,
   * and rationales are computed without filling the evaluator's decision cache.
   */
  edges: Generator<ReachabilityEdge>;
  stats(): ReachabilityGraph["stats"];
}

/** The graph of computeReachability, one edge at a time (for graphs too large to hold). */
export function streamReachability(ev: Evaluator, options: ReachabilityOptions = {}): ReachabilityStream {
  const t0 = performance.now();
  const { ids, n, nodes, groupsOf, incoming } = allowedSets(ev, options);
  const identitiesOf = new Map<ReachabilityNode, number[]>();
  for (let i = 0; i < n; i++)
    for (const node of groupsOf.get(ids[i]!.id)?.values() ?? []) identitiesOf.set(node, [...(identitiesOf.get(node) ?? []), i]);
  const order = [...identitiesOf.keys()].sort(
    (a, b) => identitiesOf.get(a)![0]! - identitiesOf.get(b)![0]! || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  const wantRationale = options.rationale ?? true;
  let count = 0;
  function* edges(): Generator<ReachabilityEdge> {
    let memoFor = "";
    let memo = new Map<string, string>();
    for (const to of order) {
      const dis = identitiesOf.get(to)!;
      const key = dis.join(",");
      if (key !== memoFor) {
        memoFor = key;
        memo = new Map();
      }
      const incomingEdges = new Map<ReachabilityNode, { ports: Set<string>; first: { si: number; di: number; probe: Probe } }>();
      for (const di of dis) {
        incoming(di, (si, probe) => {
          for (const from of groupsOf.get(ids[si]!.id)?.values() ?? []) {
            if (from === to && from.kind === "external") continue;
            let e = incomingEdges.get(from);
            if (!e) incomingEdges.set(from, (e = { ports: new Set(), first: { si, di, probe } }));
            e.ports.add(portLabel(probe));
          }
        });
      }
      for (const [from, e] of [...incomingEdges].sort(([a], [b]) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
        let rationale = "";
        if (wantRationale) {
          const { si, di, probe } = e.first;
          const k = `${si}/${di}/${probe.index}`;
          rationale = memo.get(k) ?? "";
          if (!rationale)
            memo.set(k, (rationale = formatDecisionPath(ev.decideUncached(ids[si]!, ids[di]!, probe.port, probe.protocol, options.time))));
        }
        count++;
        yield { from: from.id, to: to.id, ports: [...e.ports].sort(comparePorts), rationale };
      }
    }
  }
  return {
    nodes: [...nodes.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    edges: edges(),
    stats: () => ({ identities: n, endpoints: nodes.size, edges: count, elapsedMs: Math.round(performance.now() - t0) }),
  };
}

function comparePorts(a: string, b: string): number {
  const pa = Number.parseInt(a, 10);
  const pb = Number.parseInt(b, 10);
  if (Number.isNaN(pa) !== Number.isNaN(pb)) return Number.isNaN(pa) ? 1 : -1;
  return pa - pb || (a < b ? -1 : a > b ? 1 : 0);
}

/** Graphviz rendering of a reachability graph. */
export function reachabilityToDot(g: ReachabilityGraph): string {
  const q = (s: string) => JSON.stringify(s);
  const lines = ["digraph reachability {", "  rankdir=LR;", "  node [shape=box, fontsize=10];"];
  for (const n of g.nodes)
    lines.push(
      `  ${q(n.id)} [label=${q(n.kind === "workload" ? `${n.namespace}/${n.name}` : n.name)}${n.kind === "external" ? ", shape=ellipse" : ""}];`,
    );
  for (const e of g.edges) lines.push(`  ${q(e.from)} -> ${q(e.to)} [label=${q(e.ports.join(","))}, tooltip=${q(e.rationale)}];`);
  lines.push("}");
  return `${lines.join("\n")}\n`;
}
