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
import type { CRule, Evaluator, Identity, SubjectIndex } from "./evaluator";
import { formatDecisionPath } from "./explain";

export interface ReachabilityNode {
  id: string;
  kind: "workload" | "external" | "node";
  namespace?: string;
  name: string;
  workloadKind?: string;
  pods?: number;
}

export interface ReachabilityEdge {
  from: string;
  to: string;
  /** "443/TCP"; "*\/TCP" means every TCP port not otherwise listed (destinations without declared container ports). */
  ports: string[];
  /** One-line rationale of the first allowed port. */
  rationale: string;
}

export interface ReachabilityGraph {
  nodes: ReachabilityNode[];
  edges: ReachabilityEdge[];
  stats: { identities: number; endpoints: number; edges: number; elapsedMs: number };
}

export interface ReachabilityOptions {
  /** Evaluation time for exceptions (default now). */
  time?: string | Date;
  /** Compute the one-line rationale of each edge (default true). */
  rationale?: boolean;
}

type Bits = Uint32Array;

interface Probe {
  port: number;
  protocol: Protocol;
  /** True for the "every other port" probe. */
  other: boolean;
}

const PROTOS: Protocol[] = ["TCP", "UDP", "SCTP"];

export function computeReachability(ev: Evaluator, options: ReachabilityOptions = {}): ReachabilityGraph {
  const t0 = performance.now();
  const epoch = ev.epochAt(options.time);

  // Endpoints: every pod identity plus representative external destinations.
  const endpointIds: number[] = [];
  const seen = new Set<number>();
  const workloadsOf = new Map<number, Map<string, ReachabilityNode>>();
  const nodes = new Map<string, ReachabilityNode>();
  for (const { pod, identity } of ev.podEntries) {
    if (!seen.has(identity.id)) {
      seen.add(identity.id);
      endpointIds.push(identity.id);
    }
    const w = pod.workload ?? { kind: "Pod", name: pod.name };
    const nodeId = `${pod.namespace}/${w.kind}/${w.name}`;
    let node = nodes.get(nodeId);
    if (!node) {
      node = { id: nodeId, kind: "workload", namespace: pod.namespace, name: w.name, workloadKind: w.kind, pods: 0 };
      nodes.set(nodeId, node);
    }
    node.pods = (node.pods ?? 0) + 1;
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
      genericProbes.push({ port: r.port, protocol: r.protocol, other: false });
    }
  }
  for (const protocol of PROTOS) genericProbes.push({ port: otherPort(protocol), protocol, other: true });
  const probesOf = (id: Identity): Probe[] => (id.kind === "pod" && id.ports.length > 0 ? dedupeProbes(id.ports.map((p) => ({ port: p.port, protocol: p.protocol, other: false }))) : genericProbes);

  // Rule peer bitsets, computed once per compiled rule.
  const ALL = new Uint32Array(words).fill(0xffffffff);
  if (n % 32 !== 0) ALL[words - 1] = (1 << n % 32) - 1 >>> 0;
  const peerBits = new Map<CRule, Bits>();
  const bitsOfRule = (r: CRule): Bits => {
    let b = peerBits.get(r);
    if (!b) {
      b = new Uint32Array(words);
      if (r.peers === null) b.set(ALL);
      else
        for (let i = 0; i < n; i++) {
          const id = ids[i]!;
          for (const f of r.peers) if (f(id)) {
            b[i >>> 5]! |= 1 << (i & 31);
            break;
          }
        }
      peerBits.set(r, b);
    }
    return b;
  };
  // For egress the port is resolved on the peer (destination): named ports give a per-peer mask.
  const portBits = new Map<string, Bits>();
  const rulePortMask = (r: CRule, probe: Probe, dir: "egress" | "ingress", subject: Identity): Bits | boolean => {
    if (r.ports === null) return true;
    if (dir === "ingress") return r.ports.some((f) => f(probe.port, probe.protocol, subject));
    if (r.rule.ports!.every((m) => m.kind === "number")) return r.ports.some((f) => f(probe.port, probe.protocol, subject));
    const key = `${r.rule.ref.kind}/${r.policy.id}/${r.rule.direction}/${r.rule.ref.ruleIndex}/${probe.port}/${probe.protocol}`;
    let b = portBits.get(key);
    if (!b) {
      b = new Uint32Array(words);
      for (let i = 0; i < n; i++) if (r.ports.some((f) => f(probe.port, probe.protocol, ids[i]!))) b[i >>> 5]! |= 1 << (i & 31);
      portBits.set(key, b);
    }
    return b;
  };

  const andMask = (out: Bits, r: CRule, probe: Probe, dir: "egress" | "ingress", subject: Identity): boolean => {
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
    if (idx.admin.length === 0 && idx.npPolicies.length === 0 && idx.baseline.length === 0 && !ev.options.secureByDefault) return ALL;
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
    if (idx.npPolicies.length > 0) {
      const npAllow = new Uint32Array(words);
      for (const r of idx.npAllow) if (andMask(tmp, r, probe, dir, subject)) for (let w = 0; w < words; w++) npAllow[w]! |= tmp[w]!;
      for (const r of idx.npDeny) if (andMask(tmp, r, probe, dir, subject)) for (let w = 0; w < words; w++) npAllow[w]! &= ~tmp[w]!;
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
    if (!ev.options.secureByDefault) for (let w = 0; w < words; w++) allow[w]! |= rem[w]!;
    return allow;
  };
  /** Peers matched by any (active) rule of a flow-level list: constraints or exceptions. */
  const flowLevelBits = (subject: Identity, rules: CRule[], dir: "egress" | "ingress", probe: Probe): Bits | null => {
    const applies = subject.kind === "pod" && !subject.hostNetwork;
    if (!applies || rules.length === 0) return null;
    const out = new Uint32Array(words);
    let any = false;
    for (const r of rules) {
      if (r.policy.layer === "exception" && !ev.activeAt(r.policy, epoch)) continue;
      if (!andMask(tmp, r, probe, dir, subject)) continue;
      any = true;
      for (let w = 0; w < words; w++) out[w]! |= tmp[w]!;
    }
    return any ? out : null;
  };

  // Egress vectors are needed for every probe any destination uses.
  const allProbes = new Map<string, Probe>();
  for (const id of ids) for (const p of probesOf(id)) allProbes.set(`${p.port}/${p.protocol}/${p.other}`, p);
  const probeKey = (p: Probe) => `${p.port}/${p.protocol}/${p.other}`;
  const egressCache = new Map<string, { allow: Bits; constraint: Bits | null; exception: Bits | null }>();
  const egressOf = (si: number, probe: Probe) => {
    const key = `${si}|${probeKey(probe)}`;
    let v = egressCache.get(key);
    if (!v) {
      const s = ids[si]!;
      const idx = ev.subjectIndex(s.id).egress;
      v = { allow: directionBits(s, idx, "egress", probe), constraint: flowLevelBits(s, idx.constraint, "egress", probe), exception: flowLevelBits(s, idx.exception, "egress", probe) };
      egressCache.set(key, v);
    }
    return v;
  };
  const has = (b: Bits | null, i: number): boolean => b !== null && (b[i >>> 5]! & (1 << (i & 31))) !== 0;

  // Identity-level edges.
  const edgeKeys = new Map<string, { from: ReachabilityNode; to: ReachabilityNode; ports: Set<string>; first?: { s: Identity; d: Identity; probe: Probe } }>();
  for (let di = 0; di < n; di++) {
    const d = ids[di]!;
    const dIdx = ev.subjectIndex(d.id).ingress;
    const toNodes = workloadsOf.get(d.id);
    if (!toNodes) continue;
    for (const probe of probesOf(d)) {
      const ing = directionBits(d, dIdx, "ingress", probe);
      const ingC = flowLevelBits(d, dIdx.constraint, "ingress", probe);
      const ingX = flowLevelBits(d, dIdx.exception, "ingress", probe);
      for (let si = 0; si < n; si++) {
        const s = ids[si]!;
        if (s.kind === "external" && d.kind === "external") continue;
        const e = egressOf(si, probe);
        if (has(e.constraint, di) || has(ingC, si)) continue;
        const ok = has(e.exception, di) || has(ingX, si) || (has(ing, si) && has(e.allow, di));
        if (!ok) continue;
        const fromNodes = workloadsOf.get(s.id);
        if (!fromNodes) continue;
        const label = probe.other ? `*/${probe.protocol}` : `${probe.port}/${probe.protocol}`;
        for (const from of fromNodes.values()) {
          for (const to of toNodes.values()) {
            if (from === to && from.kind === "external") continue;
            const k = `${from.id}\u0000${to.id}`;
            let edge = edgeKeys.get(k);
            if (!edge) edgeKeys.set(k, (edge = { from, to, ports: new Set(), first: { s, d, probe } }));
            edge.ports.add(label);
          }
        }
      }
    }
  }

  const wantRationale = options.rationale ?? true;
  const edges: ReachabilityEdge[] = [];
  for (const e of edgeKeys.values()) {
    let rationale = "";
    if (wantRationale && e.first) {
      const dec = ev.decideIdentities(e.first.s, e.first.d, e.first.probe.port, e.first.probe.protocol, options.time);
      rationale = formatDecisionPath(dec);
    }
    edges.push({ from: e.from.id, to: e.to.id, ports: [...e.ports].sort(comparePorts), rationale });
  }
  edges.sort((a, b) => (a.from === b.from ? (a.to < b.to ? -1 : a.to > b.to ? 1 : 0) : a.from < b.from ? -1 : 1));
  return {
    nodes: [...nodes.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    edges,
    stats: { identities: n, endpoints: nodes.size, edges: edges.length, elapsedMs: Math.round(performance.now() - t0) },
  };
}

function dedupeProbes(list: Probe[]): Probe[] {
  const m = new Map<string, Probe>();
  for (const p of list) m.set(`${p.port}/${p.protocol}`, p);
  return [...m.values()];
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
