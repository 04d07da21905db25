/**
 * Reachability: the graph of allowed paths, aggregated by workload.
 *
 * Decisions are computed per identity, not per pod, and a whole direction is
 * resolved at once as a bitset over all peer identities: each rule's peer set
 * is a bitset computed once, and the decision order (admin first-match with
 * Pass, namespace union, baseline first-match, default) becomes bitset algebra.
 * The per-flow evaluator is used only for the rationale of each edge, so both
 * answers come from the same compiled rules.
 */
import type { FlowEndpoint, Protocol } from "../model";
import { activeAt, type CompiledRule, type Evaluator, type Identity, type PeerMatcher, type PodIdentity, type SubjectIndex } from "./evaluator";
import { anyPortMatches } from "./matchers";
import { formatPortProtocol } from "../util/text";
import { formatDecisionPath } from "./explain";

/** A node of the graph: a workload (a bare Pod is its own), a whole namespace, or an external destination. */
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

type Bits = Uint32Array;

interface Probe {
  port: number;
  protocol: Protocol;
  /** True for the "every other port" probe. */
  other: boolean;
  /** Index into the list of all probes (assigned once). */
  index: number;
}

const PROTOS: Protocol[] = ["TCP", "UDP", "SCTP"];

/**
 * What every reachability answer is built from: the endpoint identities, the group nodes each
 * identity belongs to, and `incoming(di, visit)`, which calls `visit(si, probe)` for every source
 * identity allowed to reach destination identity `di` on a probe port. Memory: bitsets over
 * identities per rule and per (probe, source); nothing per edge.
 */
function prepare(ev: Evaluator, options: ReachabilityOptions) {
  const epoch = ev.epochAt(options.time);
  const detailed = new Set(options.workloadsIn ?? []);
  const byNamespace = (ns: string) => options.groupBy === "namespace" && !detailed.has(ns);

  // Endpoints: every pod identity plus representative external destinations.
  const endpointIds: number[] = [];
  const seen = new Set<number>();
  const workloadsOf = new Map<number, Map<string, ReachabilityNode>>();
  const nodes = new Map<string, ReachabilityNode>();
  // Distinct workloads per identity (for pair counts).
  const workloadsPerIdentity = new Map<number, Set<string>>();
  for (const { pod, identity } of ev.podEntries) {
    if (!seen.has(identity.id)) {
      seen.add(identity.id);
      endpointIds.push(identity.id);
    }
    const w = pod.workload ?? { kind: "Pod", name: pod.name };
    const workloadId = `${pod.namespace}/${w.kind}/${w.name}`;
    let ws = workloadsPerIdentity.get(identity.id);
    if (!ws) workloadsPerIdentity.set(identity.id, (ws = new Set()));
    ws.add(workloadId);
    const grouped = byNamespace(pod.namespace);
    const nodeId = grouped ? pod.namespace : workloadId;
    let node = nodes.get(nodeId);
    if (!node) {
      node = grouped ? { id: nodeId, kind: "namespace", namespace: pod.namespace, name: pod.namespace, pods: 0 } : { id: nodeId, kind: "workload", namespace: pod.namespace, name: w.name, workloadKind: w.kind, pods: 0 };
      nodes.set(nodeId, node);
    }
    if (node.kind !== "external") node.pods += 1; // pods come before externals: always a pod group here
    let m = workloadsOf.get(identity.id);
    if (!m) workloadsOf.set(identity.id, (m = new Map()));
    m.set(nodeId, node);
  }
  const externals: { label: string; endpoint: FlowEndpoint }[] = [{ label: "world", endpoint: { kind: "ip", ip: "198.51.100.10" } }, ...ev.externalCandidates()];
  for (const ext of externals) {
    const r = ev.resolve(ext.endpoint);
    if (!r.ok || r.value.kind !== "external") continue;
    const id = r.value.id;
    const nodeId = `external/${ext.label}`;
    if (!nodes.has(nodeId)) nodes.set(nodeId, { id: nodeId, kind: "external", name: ext.label });
    let m = workloadsOf.get(id);
    if (!m) workloadsOf.set(id, (m = new Map()));
    m.set(nodeId, nodes.get(nodeId)!);
    if (!seen.has(id)) {
      seen.add(id);
      endpointIds.push(id);
    }
  }
  const n = endpointIds.length;
  const words = (n + 31) >>> 5;
  const ids: Identity[] = endpointIds.map((id) => ev.identity(id)!);
  const indexOf = new Map<number, number>();
  endpointIds.forEach((id, i) => indexOf.set(id, i));

  // Probe ports: declared container ports for destinations that declare them; otherwise the
  // ports named in rules plus one port no rule mentions ("every other port").
  const rulePorts = ev.rulePorts();
  const otherPort = (protocol: Protocol): number => {
    for (let p = 65001; p > 1024; p--) if (!rulePorts.some((r) => r.protocol === protocol && p >= r.port && p <= r.endPort)) return p;
    return 65535;
  };
  const genericProbes: Probe[] = [];
  const seenProbe = new Set<string>();
  for (const r of rulePorts) {
    const k = `${r.port}/${r.protocol}`;
    if (!seenProbe.has(k)) {
      seenProbe.add(k);
      genericProbes.push({ port: r.port, protocol: r.protocol, other: false, index: -1 });
    }
  }
  for (const protocol of PROTOS) genericProbes.push({ port: otherPort(protocol), protocol, other: true, index: -1 });
  // Intern probes so per-probe results can live in arrays.
  const probeIndex = new Map<string, Probe>();
  const intern = (p: Omit<Probe, "index">): Probe => {
    const k = `${p.port}/${p.protocol}/${p.other}`;
    let v = probeIndex.get(k);
    if (!v) probeIndex.set(k, (v = { ...p, index: probeIndex.size }));
    return v;
  };
  const generic = genericProbes.map(intern);
  const probesByIdentity = new Map<number, Probe[]>();
  const probesOf = (id: Identity): Probe[] => {
    if (!(id.kind === "pod" && id.ports.length > 0)) return generic;
    let v = probesByIdentity.get(id.id);
    if (!v) probesByIdentity.set(id.id, (v = dedupeProbes(id.ports.map((p) => intern({ port: p.port, protocol: p.protocol, other: false })))));
    return v;
  };
  for (const id of ids) probesOf(id);
  const probeCount = probeIndex.size;

  // Rule peer bitsets, computed once per compiled rule.
  const ALL = new Uint32Array(words).fill(0xffffffff);
  if (n % 32 !== 0) ALL[words - 1] = (1 << n % 32) - 1 >>> 0;
  // Workload peers only need to look at pods of the namespaces they can select.
  const membersOf = new Map<string, { nsLabels: PodIdentity["nsLabels"]; members: number[] }>();
  ids.forEach((id, i) => {
    if (id.kind !== "pod") return;
    let e = membersOf.get(id.namespace);
    if (!e) membersOf.set(id.namespace, (e = { nsLabels: id.nsLabels, members: [] }));
    e.members.push(i);
  });
  const nsMatchCache = new Map<string, number[]>();
  const candidates = (m: PeerMatcher): Iterable<number> | null => {
    if (m.kind !== "workloads") return null;
    const key = m.namespaceKey;
    let members = nsMatchCache.get(key);
    if (!members) {
      members = [...membersOf.entries()].filter(([name, e]) => m.selectsNamespace(name, e.nsLabels)).flatMap(([, e]) => e.members);
      nsMatchCache.set(key, members);
    }
    return members;
  };
  // Non-workload peers (ipBlock, entity, dns, service, nodes) do not depend on the policy: share their bitsets.
  const sharedPeerBits = new Map<string, Bits>();
  const peerBits = new Map<CompiledRule, Bits>();
  const bitsOfRule = (r: CompiledRule): Bits => {
    let b = peerBits.get(r);
    if (!b) {
      b = new Uint32Array(words);
      if (r.peers === null) b.set(ALL);
      else
        for (const m of r.peers) {
          const cand = candidates(m);
          if (cand) {
            for (const i of cand) if (m.matches(ids[i]!)) b[i >>> 5]! |= 1 << (i & 31);
          } else {
            const key = JSON.stringify(m.peer);
            let shared = sharedPeerBits.get(key);
            if (!shared) {
              shared = new Uint32Array(words);
              for (let i = 0; i < n; i++) if (m.matches(ids[i]!)) shared[i >>> 5]! |= 1 << (i & 31);
              sharedPeerBits.set(key, shared);
            }
            for (let w = 0; w < words; w++) b[w]! |= shared[w]!;
          }
        }
      peerBits.set(r, b);
    }
    return b;
  };
  // For egress the port is resolved on the peer (destination): named ports give a per-peer mask.
  // Per rule and probe: 1 = port matches, 0 = no, 2 = depends on the destination (named ports, egress).
  const scalarPorts = new Map<CompiledRule, Int8Array>();
  const namedPortBits = new Map<CompiledRule, (Bits | undefined)[]>();
  const rulePortMask = (r: CompiledRule, probe: Probe, dir: "egress" | "ingress", subject: Identity): Bits | boolean => {
    if (r.ports === null) return true;
    const named = r.ports.some((m) => m.kind === "named");
    if (dir === "ingress" && named) return anyPortMatches(r.ports, probe.port, probe.protocol, subject);
    if (!named) {
      let arr = scalarPorts.get(r);
      if (!arr) scalarPorts.set(r, (arr = new Int8Array(probeCount).fill(-1)));
      let v = arr[probe.index]!;
      if (v < 0) arr[probe.index] = v = anyPortMatches(r.ports, probe.port, probe.protocol, subject) ? 1 : 0;
      return v === 1;
    }
    let list = namedPortBits.get(r);
    if (!list) namedPortBits.set(r, (list = new Array<Bits | undefined>(probeCount)));
    let b = list[probe.index];
    if (!b) {
      b = new Uint32Array(words);
      for (let i = 0; i < n; i++) if (anyPortMatches(r.ports, probe.port, probe.protocol, ids[i]!)) b[i >>> 5]! |= 1 << (i & 31);
      list[probe.index] = b;
    }
    return b;
  };

  const andMask = (out: Bits, r: CompiledRule, probe: Probe, dir: "egress" | "ingress", subject: Identity): boolean => {
    const pm = rulePortMask(r, probe, dir, subject);
    if (pm === false) return false;
    const pb = bitsOfRule(r);
    if (pm === true) out.set(pb);
    else for (let w = 0; w < words; w++) out[w] = pb[w]! & pm[w]!;
    return true;
  };

  const tmp = new Uint32Array(words);
  /** Allowed peers of `subject` in direction `dir` for one probe port (bitset over endpoints). */
  const directionBits = (subject: Identity, idx: SubjectIndex, dir: "egress" | "ingress", probe: Probe): Bits => {
    const applies = subject.kind === "pod" && !subject.hostNetwork;
    if (!applies) return ALL;
    if (idx.admin.length === 0 && idx.npPolicies.length === 0 && idx.npDeny.length === 0 && idx.baseline.length === 0 && !idx.defaultDeny) return ALL;
    const allow = new Uint32Array(words);
    const undecided = new Uint32Array(ALL);
    const passed = new Uint32Array(words);
    for (const r of idx.admin) {
      if (!andMask(tmp, r, probe, dir, subject)) continue;
      const a = r.rule.action;
      for (let w = 0; w < words; w++) {
        const m = tmp[w]! & undecided[w]!;
        if (m === 0) continue;
        if (a === "allow") allow[w]! |= m;
        else if (a === "pass") passed[w]! |= m;
        undecided[w]! &= ~m;
      }
    }
    const rem = new Uint32Array(words);
    for (let w = 0; w < words; w++) rem[w] = undecided[w]! | passed[w]!;
    // Namespace-layer denies decide even when no policy isolates the pod (Cilium enableDefaultDeny: false).
    for (const r of idx.npDeny) if (andMask(tmp, r, probe, dir, subject)) for (let w = 0; w < words; w++) rem[w]! &= ~tmp[w]!;
    if (idx.npPolicies.length > 0) {
      const npAllow = new Uint32Array(words);
      for (const r of idx.npAllow) if (andMask(tmp, r, probe, dir, subject)) for (let w = 0; w < words; w++) npAllow[w]! |= tmp[w]!;
      for (let w = 0; w < words; w++) allow[w]! |= rem[w]! & npAllow[w]!;
      return allow;
    }
    for (const r of idx.baseline) {
      if (!andMask(tmp, r, probe, dir, subject)) continue;
      const a = r.rule.action;
      for (let w = 0; w < words; w++) {
        const m = tmp[w]! & rem[w]!;
        if (a === "allow") allow[w]! |= m;
        rem[w]! &= ~m;
      }
    }
    if (!idx.defaultDeny) for (let w = 0; w < words; w++) allow[w]! |= rem[w]!;
    return allow;
  };
  /** Peers matched by any (active) rule of a flow-level list: constraints or exceptions. */
  const flowLevelBits = (subject: Identity, rules: CompiledRule[], dir: "egress" | "ingress", probe: Probe): Bits | null => {
    const applies = subject.kind === "pod" && !subject.hostNetwork;
    if (!applies || rules.length === 0) return null;
    const out = new Uint32Array(words);
    let any = false;
    for (const r of rules) {
      if (!activeAt(r, epoch)) continue;
      if (!andMask(tmp, r, probe, dir, subject)) continue;
      any = true;
      for (let w = 0; w < words; w++) out[w]! |= tmp[w]!;
    }
    return any ? out : null;
  };

  // Egress vectors per (probe, source), computed on first use.
  type EgressVec = { allow: Bits; constraint: Bits | null; exception: Bits | null };
  const egressCache: (EgressVec | undefined)[][] = Array.from({ length: probeCount }, () => new Array<EgressVec | undefined>(n));
  const egressOf = (si: number, probe: Probe): EgressVec => {
    const row = egressCache[probe.index]!;
    let v = row[si];
    if (!v) {
      const s = ids[si]!;
      const idx = ev.subjectIndex(s.id).egress;
      v = { allow: directionBits(s, idx, "egress", probe), constraint: flowLevelBits(s, idx.constraint, "egress", probe), exception: flowLevelBits(s, idx.exception, "egress", probe) };
      row[si] = v;
    }
    return v;
  };
  const has = (b: Bits | null, i: number): boolean => b !== null && (b[i >>> 5]! & (1 << (i & 31))) !== 0;

  // Sources are enumerated from the ingress bitset (sparse under default deny) unless some
  // source could be let through by an egress-side exception.
  const anyEgressException = ids.some((s) => ev.subjectIndex(s.id).egress.exception.length > 0);
  const incoming = (di: number, visit: (si: number, probe: Probe) => void, sources?: Bits): void => {
    const d = ids[di]!;
    const dIdx = ev.subjectIndex(d.id).ingress;
    for (const probe of probesOf(d)) {
      const ing = directionBits(d, dIdx, "ingress", probe);
      const ingC = flowLevelBits(d, dIdx.constraint, "ingress", probe);
      const ingX = flowLevelBits(d, dIdx.exception, "ingress", probe);
      const consider = (si: number) => {
        const s = ids[si]!;
        if (s.kind === "external" && d.kind === "external") return;
        const e = egressOf(si, probe);
        if (has(e.constraint, di) || has(ingC, si)) return;
        if (has(e.exception, di) || has(ingX, si) || (has(ing, si) && has(e.allow, di))) visit(si, probe);
      };
      if (anyEgressException) {
        for (let si = 0; si < n; si++) if (!sources || has(sources, si)) consider(si);
        continue;
      }
      for (let w = 0; w < words; w++) {
        let bits = (ing[w]! | (ingX ? ingX[w]! : 0)) & (sources ? sources[w]! : 0xffffffff);
        while (bits !== 0) {
          const low = bits & -bits;
          const si = (w << 5) + (31 - Math.clz32(low));
          bits ^= low;
          if (si < n) consider(si);
        }
      }
    }
  };
  /** Workloads an identity stands for in a pair count (an external destination is one). */
  const weight = (id: Identity): number => workloadsPerIdentity.get(id.id)?.size ?? 1;
  /** The endpoints among the pods of one namespace, as a bitset. */
  const podsIn = (namespace: string): Bits => {
    const b = new Uint32Array(words);
    ids.forEach((id, i) => {
      if (id.kind === "pod" && id.namespace === namespace) b[i >>> 5]! |= 1 << (i & 31);
    });
    return b;
  };
  return { ids, n, nodes, groupsOf: workloadsOf, incoming, weight, podsIn, has };
}

const portLabel = (probe: Probe): string => (probe.other ? `*/${probe.protocol}` : formatPortProtocol(probe.port, probe.protocol));

export function computeReachability(ev: Evaluator, options: ReachabilityOptions = {}): ReachabilityGraph {
  const t0 = performance.now();
  const { ids, n, nodes, groupsOf, incoming, weight, podsIn, has } = prepare(ev, options);
  const wantWitnesses = options.witnesses ?? false;
  const wantPairs = options.pairs ?? false;
  const index = new Map<ReachabilityNode, number>([...nodes.values()].map((node, i) => [node, i]));
  const edgeKeys = new Map<number, { from: ReachabilityNode; to: ReachabilityNode; ports: Set<string>; first: { s: Identity; d: Identity; probe: Probe }; witnesses?: Record<string, ReachabilityWitness>; pairs: number }>();
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
    incoming(di, (si, probe) => {
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
          if (!edge) edgeKeys.set(k, (edge = { from, to, ports: new Set(), first: { s, d, probe }, ...(wantWitnesses ? { witnesses: {} } : {}), pairs: 0 }));
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
    }, sources);
  }

  const wantRationale = options.rationale ?? true;
  const edges: ReachabilityEdge[] = [];
  for (const e of edgeKeys.values()) {
    // Uncached: one decision per edge would otherwise stay in the evaluator's cache for good.
    const rationale = wantRationale ? formatDecisionPath(ev.decideUncached(e.first.s, e.first.d, e.first.probe.port, e.first.probe.protocol, options.time)) : "";
    edges.push({ from: e.from.id, to: e.to.id, ports: [...e.ports].sort(comparePorts), rationale, ...(e.witnesses ? { witnesses: e.witnesses } : {}), ...(wantPairs ? { pairs: e.pairs } : {}) });
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
  const { ids, n, nodes, groupsOf, incoming } = prepare(ev, options);
  const identitiesOf = new Map<ReachabilityNode, number[]>();
  for (let i = 0; i < n; i++) for (const node of groupsOf.get(ids[i]!.id)?.values() ?? []) identitiesOf.set(node, [...(identitiesOf.get(node) ?? []), i]);
  const order = [...identitiesOf.keys()].sort((a, b) => identitiesOf.get(a)![0]! - identitiesOf.get(b)![0]! || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
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
          if (!rationale) memo.set(k, (rationale = formatDecisionPath(ev.decideUncached(ids[si]!, ids[di]!, probe.port, probe.protocol, options.time))));
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

function dedupeProbes(list: Probe[]): Probe[] {
  return [...new Set(list)];
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
  for (const n of g.nodes) lines.push(`  ${q(n.id)} [label=${q(n.kind === "workload" ? `${n.namespace}/${n.name}` : n.name)}${n.kind === "external" ? ", shape=ellipse" : ""}];`);
  for (const e of g.edges) lines.push(`  ${q(e.from)} -> ${q(e.to)} [label=${q(e.ports.join(","))}, tooltip=${q(e.rationale)}];`);
  lines.push("}");
  return `${lines.join("\n")}\n`;
}
