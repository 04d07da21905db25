/**
 * Which sources may reach each destination, per probe port, as bitsets over endpoint identities.
 *
 * A whole direction is resolved at once: each rule's peer set is a bitset computed once, and the
 * decision order (admin first-match with Pass, namespace union, baseline first-match, default)
 * becomes bitset algebra. Rules are read through the evaluator's subjectIndex; their peers and
 * ports are typed matchers (./matchers.ts), so a workload selector only looks at the pods of the
 * namespaces it can pick.
 */
import type { FlowEndpoint, Protocol } from "../model";
import {
  activeAt,
  type CompiledRule,
  type Evaluator,
  type Identity,
  type PeerMatcher,
  type PodIdentity,
  type SubjectIndex,
} from "./evaluator";
import { anyPortMatches } from "./matchers";
import type { ReachabilityNode, ReachabilityOptions } from "./reachability";

export type Bits = Uint32Array;

export interface Probe {
  port: number;
  protocol: Protocol;
  /** True for the "every other port" probe. */
  other: boolean;
  /** Index into the list of all probes (assigned once). */
  index: number;
}

const PROTOS: Protocol[] = ["TCP", "UDP", "SCTP"];

/**
 * The external destinations a graph has as nodes: "world" and every address or name the cluster or
 * its policies mention that resolves outside the cluster, each with the identity it resolves to.
 */
export function externalEndpoints(ev: Evaluator): { label: string; id: number }[] {
  const externals: { label: string; endpoint: FlowEndpoint }[] = [
    { label: "world", endpoint: { kind: "ip", ip: "198.51.100.10" } },
    ...ev.externalCandidates(),
  ];
  return externals.flatMap(({ label, endpoint }) => {
    const r = ev.resolve(endpoint);
    return r.ok && r.value.kind === "external" ? [{ label, id: r.value.id }] : [];
  });
}

/**
 * What every reachability answer is built from: the endpoint identities, the group nodes each
 * identity belongs to, and `incoming(di, visit)`, which calls `visit(si, probe)` for every source
 * identity allowed to reach destination identity `di` on a probe port. Memory: bitsets over
 * identities per rule and per (probe, source); nothing per edge.
 */
export function allowedSets(ev: Evaluator, options: ReachabilityOptions) {
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
      node = grouped
        ? { id: nodeId, kind: "namespace", namespace: pod.namespace, name: pod.namespace, pods: 0 }
        : { id: nodeId, kind: "workload", namespace: pod.namespace, name: w.name, workloadKind: w.kind, pods: 0 };
      nodes.set(nodeId, node);
    }
    if (node.kind !== "external") node.pods += 1; // pods come before externals: always a pod group here
    let m = workloadsOf.get(identity.id);
    if (!m) workloadsOf.set(identity.id, (m = new Map()));
    m.set(nodeId, node);
  }
  for (const { label, id } of externalEndpoints(ev)) {
    const nodeId = `external/${label}`;
    if (!nodes.has(nodeId)) nodes.set(nodeId, { id: nodeId, kind: "external", name: label });
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
    if (!v)
      probesByIdentity.set(id.id, (v = dedupeProbes(id.ports.map((p) => intern({ port: p.port, protocol: p.protocol, other: false })))));
    return v;
  };
  for (const id of ids) probesOf(id);
  const probeCount = probeIndex.size;

  // Rule peer bitsets, computed once per compiled rule.
  const ALL = new Uint32Array(words).fill(0xffffffff);
  if (n % 32 !== 0) ALL[words - 1] = ((1 << (n % 32)) - 1) >>> 0;
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
    if (idx.admin.length === 0 && idx.npPolicies.length === 0 && idx.npDeny.length === 0 && idx.baseline.length === 0 && !idx.defaultDeny)
      return ALL;
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
      v = {
        allow: directionBits(s, idx, "egress", probe),
        constraint: flowLevelBits(s, idx.constraint, "egress", probe),
        exception: flowLevelBits(s, idx.exception, "egress", probe),
      };
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

function dedupeProbes(list: Probe[]): Probe[] {
  return [...new Set(list)];
}
