/**
 * The evaluator: normalise once, decide many times.
 *
 * Build: pods (concrete and materialised from workload templates) are grouped
 * into identities (namespace + namespace labels + pod labels + named ports +
 * which IP blocks contain their addresses). Every policy is compiled into rules
 * with peer and port matchers and attached to the identities its subject selects,
 * per layer and direction, in evaluation order. A decision then only walks the
 * rules attached to the source (egress) and destination (ingress) identities,
 * and is cached per (src identity, dst identity, port, protocol, exception epoch).
 */
import {
  NS_NAME_LABEL,
  ADMIN_TIER_ORDER,
  PROTOCOLS,
  PLATFORM_DEFAULT_ALL,
  PLATFORM_DEFAULT_OFF,
  platformDefaultCovers,
  refLabel,
  type AdminTier,
  type ClusterModel,
  type Direction,
  type Effect,
  type Flow,
  type FlowEndpoint,
  type Labels,
  type NamedPort,
  type NodeInfo,
  type Peer,
  type PlatformDefault,
  type PodInfo,
  type Policy,
  type PolicyRule,
  type PolicySet,
  type PortMatch,
  type Protocol,
  type RuleRef,
  type Verdict,
} from "../model";
import { FlowError, type Result } from "../errors";
import { cidrContainsIp, formatIp, parseCidr, parseIp, representativeIp, type ParsedCidr, type ParsedIp } from "../util/ip";
import { describeRule, formatPortProtocol, formatPorts } from "../util/text";
import { compileNamespaceMatch, compileSelector, dnsMatches, isKubeDns, type LabelPredicate } from "./selectors";

export interface EvaluatorOptions {
  /**
   * The platform default when no layer decides: true = deny for every namespace, or the setting
   * with its scope. Off (the default) for plain Kubernetes semantics.
   */
  secureByDefault?: boolean | PlatformDefault;
}

export type IdentityKind = "pod" | "node" | "external";

/** An equivalence class of endpoints that every policy treats the same way. */
export interface Identity {
  id: number;
  kind: IdentityKind;
  namespace?: string;
  nsLabels: Labels;
  labels: Labels;
  ports: readonly NamedPort[];
  hostNetwork: boolean;
  /** Labels of the node (node identities, host-network pods). */
  nodeLabels?: Labels;
  /** DNS names the endpoint is known by (externals). */
  dnsNames: readonly string[];
  /** Ids of ipBlock matchers that contain one of the endpoint's addresses. */
  ipBlocks: ReadonlySet<number>;
  /** True when no address is known (ipBlock matching falls back to whole-range blocks). */
  ipUnknown: boolean;
  /** Ids of services that select this pod or whose cluster IP this is. */
  services: ReadonlySet<number>;
  /** A readable example member, e.g. "default/web" or "203.0.113.7". */
  example: string;
}

/** @internal A compiled rule, attached to the identities its policy selects. */
export interface CRule {
  rule: PolicyRule;
  policy: Policy;
  peers: PeerFn[] | null;
  ports: PortFn[] | null;
  /**
   * The exception epochs (see Evaluator.epochAt) in which the rule counts: from one past its start's
   * index among the sorted boundaries (0 without start) to its expiry's index (Infinity without expiry).
   * An unreadable instant makes an empty window (never counts).
   */
  activeFrom: number;
  activeUntil: number;
}

/** @internal Whether a compiled rule counts at an exception epoch (only exceptions start and expire). */
export function activeAt(r: CRule, epoch: number): boolean {
  return r.activeFrom <= epoch && epoch <= r.activeUntil;
}

export type PeerFn = (peer: Identity) => boolean;
export type PortFn = (port: number, protocol: Protocol, dst: Identity) => boolean;

/** @internal Rules attached to one identity for one direction, in evaluation order. */
export interface SubjectIndex {
  constraint: CRule[];
  exception: CRule[];
  admin: CRule[];
  /** Namespace-layer policies that isolate the subject in this direction. */
  npPolicies: Policy[];
  npDeny: CRule[];
  npAllow: CRule[];
  baseline: CRule[];
  /** Whether the platform default denies in this direction for this identity (see PlatformDefault). */
  defaultDeny: boolean;
}

/** @internal */
export interface IdentityState {
  identity: Identity;
  egress: SubjectIndex;
  ingress: SubjectIndex;
}

type CachedDecision = { ok: true; value: Decision };

/**
 * The decision cache: an open-addressing hash table over (src identity, dst identity,
 * port·protocol, exception epoch), keys packed in one Int32Array (4 words a slot, src stored
 * +1 so 0 marks an empty slot). A hit is a few integer compares and no allocation.
 */
class DecisionTable {
  private keys = new Int32Array(4 * 1024);
  private vals: (CachedDecision | undefined)[] = new Array<CachedDecision | undefined>(1024);
  private mask = 1023;
  size = 0;

  private static slot(src: number, dst: number, pp: number, epoch: number, mask: number): number {
    let h = Math.imul(src + 1, 0x9e3779b1) ^ Math.imul(dst, 0x85ebca77) ^ Math.imul(pp, 0xc2b2ae3d) ^ epoch;
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    return h & mask;
  }

  get(src: number, dst: number, pp: number, epoch: number): CachedDecision | undefined {
    const keys = this.keys;
    const mask = this.mask;
    let i = DecisionTable.slot(src, dst, pp, epoch, mask);
    for (;;) {
      const o = i << 2;
      const k0 = keys[o]!;
      if (k0 === 0) return undefined;
      if (k0 === src + 1 && keys[o + 1] === dst && keys[o + 2] === pp && keys[o + 3] === epoch) return this.vals[i];
      i = (i + 1) & mask;
    }
  }

  set(src: number, dst: number, pp: number, epoch: number, v: CachedDecision): void {
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    this.insert(src, dst, pp, epoch, v);
    this.size++;
  }

  private insert(src: number, dst: number, pp: number, epoch: number, v: CachedDecision): void {
    const keys = this.keys;
    let i = DecisionTable.slot(src, dst, pp, epoch, this.mask);
    while (keys[i << 2] !== 0) i = (i + 1) & this.mask;
    const o = i << 2;
    keys[o] = src + 1;
    keys[o + 1] = dst;
    keys[o + 2] = pp;
    keys[o + 3] = epoch;
    this.vals[i] = v;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldVals = this.vals;
    const cap = (this.mask + 1) * 2;
    this.keys = new Int32Array(4 * cap);
    this.vals = new Array<CachedDecision | undefined>(cap);
    this.mask = cap - 1;
    for (let i = 0; i < oldVals.length; i++) {
      const o = i << 2;
      if (oldKeys[o] !== 0) this.insert(oldKeys[o]! - 1, oldKeys[o + 1]!, oldKeys[o + 2]!, oldKeys[o + 3]!, oldVals[i]!);
    }
  }
}

export interface DirectionDecision {
  /** False when no policy can apply (e.g. egress of traffic that starts outside the cluster). */
  applicable: boolean;
  verdict: Verdict;
  /** The chain of effects that led to the verdict, in decision order (pass effects first). */
  effects: Effect[];
}

export interface NearestAllow {
  rule: RuleRef;
  layer: Effect["layer"];
  /** "port": same peer, other port; "peer": same port, other peer; "overridden": the rule matches but an earlier layer decided. */
  differs: "port" | "peer" | "overridden";
  description: string;
}

export interface Decision {
  verdict: Verdict;
  /** A flow-level effect (compliance constraint or exception) that decided before the directions, if any. */
  flow?: Effect;
  egress: DirectionDecision;
  ingress: DirectionDecision;
  nearestAllow?: NearestAllow;
}

/** A protocol's slot in the cache key; -1 for anything else (flows from untyped callers). */
function protoIndex(p: string): number {
  return p === "TCP" ? 0 : p === "UDP" ? 1 : p === "SCTP" ? 2 : -1;
}

function labelsKey(l: Labels, only?: ReadonlySet<string>): string {
  const keys = Object.keys(l).sort();
  let s = "";
  for (const k of keys) if (!only || only.has(k)) s += `${k}=${l[k]}\u0001`;
  return s;
}

/** Pod label keys the built-in entities look at (see compilePeerRaw). */
const ENTITY_LABEL_KEYS = ["k8s-app", "component"];

/**
 * Every pod label key some policy selector mentions. Pods that agree on these keys (and on
 * everything else in the identity key) are treated alike by every policy, so they can share an
 * identity even when other labels differ (e.g. the per-replica statefulset.kubernetes.io/pod-name).
 */
function selectedPodLabelKeys(policies: readonly Policy[]): Set<string> {
  const keys = new Set<string>(ENTITY_LABEL_KEYS);
  const add = (sel: { matchLabels: Labels; matchExpressions: readonly { key: string }[] }) => {
    for (const k of Object.keys(sel.matchLabels)) keys.add(k);
    for (const e of sel.matchExpressions) keys.add(e.key);
  };
  for (const p of policies) {
    add(p.subject.pods);
    for (const r of p.rules) for (const peer of r.peers ?? []) if (peer.kind === "workloads") add(peer.selector.pods);
  }
  return keys;
}

function portsKey(ports: readonly NamedPort[]): string {
  return ports
    .map((p) => `${p.name ?? ""}:${p.port}/${p.protocol}`)
    .sort()
    .join(",");
}

function tierOf(p: Pick<Policy, "tier">): AdminTier {
  return p.tier ?? "cluster";
}

/** What places an admin-tier or baseline policy in the decision order. */
export type DecisionOrderKey = Pick<Policy, "id" | "tier" | "priority">;

/**
 * The decision order of admin-tier policies (and, among themselves, of baseline policies): tier
 * (global, regional, cluster; none counts as cluster), then priority (lower first; none counts as 0),
 * then id. Lint and the compiler order rules with this too, so they cannot disagree with decisions.
 */
export function compareDecisionOrder(a: DecisionOrderKey, b: DecisionOrderKey): number {
  const t = ADMIN_TIER_ORDER.indexOf(tierOf(a)) - ADMIN_TIER_ORDER.indexOf(tierOf(b));
  if (t !== 0) return t;
  const pr = (a.priority ?? 0) - (b.priority ?? 0);
  if (pr !== 0) return pr;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export interface PodEntry {
  pod: PodInfo;
  identity: Identity;
}

export class Evaluator {
  readonly cluster: ClusterModel;
  readonly policySet: PolicySet;
  readonly options: { readonly platformDefault: PlatformDefault };

  private readonly states: IdentityState[] = [];
  private readonly identityByKey = new Map<string, IdentityState>();
  private readonly podByName = new Map<string, Map<string, PodEntry>>();
  private readonly podsByIp = new Map<string, PodEntry>();
  private readonly nodesByIp = new Map<string, NodeInfo>();
  private readonly nodeByName = new Map<string, NodeInfo>();
  private readonly nsLabels = new Map<string, Labels>();
  private readonly externalByIp = new Map<string, IdentityState>();
  private readonly externalByName = new Map<string, IdentityState>();
  private readonly dnsNamesByIp = new Map<string, string[]>();
  private readonly ipBlocks: { id: number; cidr: ParsedCidr; except: ParsedCidr[]; wholeRange: boolean }[] = [];
  private readonly ipBlockIds = new Map<string, number>();
  private readonly services: { id: number; namespace: string; name: string; selector?: LabelPredicate; ips: Set<string> }[] = [];
  private readonly serviceIds = new Map<string, number>();
  private readonly apiserverIps = new Set<string>();
  private readonly dnsPatterns = new Set<string>();
  /** Sorted distinct exception start and expiry instants (ms); a flow's epoch is how many have passed. */
  private readonly boundaries: number[];
  private readonly epochs: number;
  private readonly workloadPods = new Map<string, PodEntry[]>();
  /** Pod label keys that take part in the identity key (see selectedPodLabelKeys). */
  private readonly podLabelKeys: ReadonlySet<string>;
  readonly podEntries: PodEntry[] = [];
  private hits = 0;
  private misses = 0;
  private decisions = new DecisionTable();

  constructor(cluster: ClusterModel, policySet: PolicySet, options: EvaluatorOptions = {}) {
    this.cluster = cluster;
    this.policySet = policySet;
    const sbd = options.secureByDefault ?? false;
    this.options = { platformDefault: sbd === true ? PLATFORM_DEFAULT_ALL : sbd === false ? PLATFORM_DEFAULT_OFF : sbd };
    for (const ns of cluster.namespaces) this.nsLabels.set(ns.name, { [NS_NAME_LABEL]: ns.name, ...ns.labels });
    for (const n of cluster.nodes) {
      this.nodeByName.set(n.name, n);
      for (const ip of n.ips) this.nodesByIp.set(ip, n);
    }
    for (const ext of cluster.externals) {
      if (ext.kind === "dns") for (const ip of ext.ips ?? []) this.dnsNamesByIp.set(ip, [...(this.dnsNamesByIp.get(ip) ?? []), ext.name]);
    }
    const instants = policySet.policies.filter((p) => p.layer === "exception").flatMap((p) => [p.startsAt, p.expiresAt].filter((t): t is string => t !== undefined).map((t) => Date.parse(t)));
    this.boundaries = [...new Set(instants)].filter((t) => !Number.isNaN(t)).sort((a, b) => a - b);
    this.epochs = this.boundaries.length + 1;
    this.podLabelKeys = selectedPodLabelKeys(policySet.policies);

    // Register every ipBlock / service / dns peer first: identities record which ones match them.
    const compiled = policySet.policies.map((p) => this.compilePolicy(p));
    for (const s of cluster.services) {
      const sid = this.serviceId(s.namespace, s.name);
      for (const ip of s.clusterIPs) this.services[sid]!.ips.add(ip);
      if (s.namespace === "default" && s.name === "kubernetes") for (const ip of s.clusterIPs) this.apiserverIps.add(ip);
    }

    for (const pod of this.materialisePods()) {
      const identity = this.internPod(pod);
      const entry = { pod, identity: identity.identity };
      this.podEntries.push(entry);
      let inNs = this.podByName.get(pod.namespace);
      if (!inNs) this.podByName.set(pod.namespace, (inNs = new Map()));
      inNs.set(pod.name, entry);
      for (const ip of pod.ips) {
        const prev = this.podsByIp.get(ip);
        if (!prev || (prev.pod.hostNetwork && !pod.hostNetwork)) this.podsByIp.set(ip, entry);
      }
      if (pod.workload) {
        const wk = `${pod.namespace}/${pod.workload.kind}/${pod.workload.name}`;
        const list = this.workloadPods.get(wk);
        if (list) list.push(entry);
        else this.workloadPods.set(wk, [entry]);
      }
    }

    // Attach compiled rules to the identities each subject selects.
    const byNamespace = new Map<string, IdentityState[]>();
    for (const st of this.states) {
      if (st.identity.kind !== "pod" || st.identity.hostNetwork) continue; // host-network pods are not policy subjects
      const list = byNamespace.get(st.identity.namespace!);
      if (list) list.push(st);
      else byNamespace.set(st.identity.namespace!, [st]);
    }
    for (const c of compiled) {
      const { policy } = c;
      const m = policy.subject.namespaces;
      const inNamespace = compileNamespaceMatch(m, policy.namespace);
      // Named namespaces (or the policy's own) narrow the candidates; the shared predicate decides.
      const candidates = m.kind === "names" ? new Set(m.names) : m.kind === "policy" ? [policy.namespace ?? ""] : byNamespace.keys();
      const namespaces = [...candidates].filter((n) => byNamespace.has(n) && inNamespace(n, this.nsLabels.get(n) ?? { [NS_NAME_LABEL]: n }));
      const podPred = compileSelector(policy.subject.pods);
      for (const ns of namespaces) {
        for (const st of byNamespace.get(ns) ?? []) {
          if (!podPred(st.identity.labels)) continue;
          this.attach(st, c);
        }
      }
    }
    const order = (a: CRule, b: CRule): number => compareDecisionOrder(a.policy, b.policy) || a.rule.ref.ruleIndex - b.rule.ref.ruleIndex;
    for (const st of this.states) {
      for (const idx of [st.egress, st.ingress]) {
        idx.admin.sort(order);
        idx.baseline.sort(order);
      }
    }
  }

  // -------------------------------------------------------------------------
  // Build helpers

  private materialisePods(): PodInfo[] {
    const pods = [...this.cluster.pods];
    const owned = new Set(pods.filter((p) => p.workload).map((p) => `${p.namespace}/${p.workload!.kind}/${p.workload!.name}`));
    for (const w of this.cluster.workloads) {
      if (owned.has(`${w.namespace}/${w.kind}/${w.name}`)) continue;
      const base = { namespace: w.namespace, labels: w.labels, ports: w.ports, ips: [], hostNetwork: w.hostNetwork, workload: { kind: w.kind, name: w.name }, fromTemplate: true, ...(w.source ? { source: w.source } : {}) };
      if (w.kind === "StatefulSet") {
        const n = Math.max(1, w.replicas ?? 1);
        // The StatefulSet controller labels each pod with its name and ordinal; policies select single replicas by them.
        for (let i = 0; i < n; i++) {
          const name = `${w.name}-${i}`;
          pods.push({ ...base, name, labels: { ...w.labels, "statefulset.kubernetes.io/pod-name": name, "apps.kubernetes.io/pod-index": String(i) } });
        }
      } else {
        pods.push({ ...base, name: w.name });
      }
    }
    return pods;
  }

  private ipBlockId(cidr: string, except: readonly string[]): number {
    const key = `${cidr}|${[...except].sort().join(",")}`;
    let id = this.ipBlockIds.get(key);
    if (id === undefined) {
      id = this.ipBlocks.length;
      const c = parseCidr(cidr);
      // Readers validate CIDRs; an invalid one here (hand-built model) matches nothing.
      const parsed = c ?? { family: 4 as const, base: 1n, prefix: 32, last: 0n };
      this.ipBlocks.push({ id, cidr: parsed, except: except.map((e) => parseCidr(e)).filter((e): e is ParsedCidr => !!e), wholeRange: !!c && c.prefix === 0 && except.length === 0 });
      this.ipBlockIds.set(key, id);
    }
    return id;
  }

  private serviceId(namespace: string, name: string): number {
    const key = `${namespace}/${name}`;
    let id = this.serviceIds.get(key);
    if (id === undefined) {
      id = this.services.length;
      const svc = this.cluster.services.find((s) => s.namespace === namespace && s.name === name);
      const sel = svc?.selector && Object.keys(svc.selector).length > 0 ? svc.selector : undefined;
      this.services.push({ id, namespace, name, ...(sel ? { selector: compileSelector({ matchLabels: sel, matchExpressions: [] }) } : {}), ips: new Set() });
      this.serviceIds.set(key, id);
    }
    return id;
  }

  private ipBlocksFor(ips: readonly string[]): { set: Set<number>; unknown: boolean } {
    const set = new Set<number>();
    const parsed = ips.map((s) => parseIp(s)).filter((x): x is ParsedIp => !!x);
    if (parsed.length === 0) {
      // Address unknown (manifests without status): only a whole-range block (0.0.0.0/0 or ::/0
      // without except) certainly contains it.
      for (const b of this.ipBlocks) if (b.wholeRange) set.add(b.id);
      return { set, unknown: true };
    }
    for (const b of this.ipBlocks) {
      if (parsed.some((ip) => cidrContainsIp(b.cidr, ip) && !b.except.some((e) => cidrContainsIp(e, ip)))) set.add(b.id);
    }
    return { set, unknown: false };
  }

  private newState(key: string, identity: Omit<Identity, "id">): IdentityState {
    const existing = this.identityByKey.get(key);
    if (existing) return existing;
    // Host-network pods, nodes and externals are no policy subjects: the platform default never applies to them.
    const defaultDeny = identity.kind === "pod" && !identity.hostNetwork && platformDefaultCovers(this.options.platformDefault, identity.namespace!);
    const emptyIndex = (): SubjectIndex => ({ constraint: [], exception: [], admin: [], npPolicies: [], npDeny: [], npAllow: [], baseline: [], defaultDeny });
    const st: IdentityState = { identity: { ...identity, id: this.states.length }, egress: emptyIndex(), ingress: emptyIndex() };
    this.states.push(st);
    this.identityByKey.set(key, st);
    return st;
  }

  private internPod(pod: PodInfo): IdentityState {
    const nsLabels = this.nsLabels.get(pod.namespace) ?? { [NS_NAME_LABEL]: pod.namespace };
    const blocks = this.ipBlocksFor(pod.ips);
    const services = new Set<number>();
    for (const s of this.services) if (s.namespace === pod.namespace && s.selector && !pod.hostNetwork && s.selector(pod.labels)) services.add(s.id);
    const node = pod.hostNetwork && pod.nodeName ? this.nodeByName.get(pod.nodeName) : undefined;
    const key = ["pod", pod.namespace, labelsKey(pod.labels, this.podLabelKeys), portsKey(pod.ports), pod.hostNetwork ? `host:${pod.nodeName ?? ""}` : "", [...blocks.set].join(","), blocks.unknown ? "?" : "", [...services].join(",")].join("\u0002");
    return this.newState(key, {
      kind: "pod",
      namespace: pod.namespace,
      nsLabels,
      labels: pod.labels,
      ports: pod.ports,
      hostNetwork: pod.hostNetwork,
      ...(node ? { nodeLabels: node.labels } : pod.hostNetwork ? { nodeLabels: {} } : {}),
      dnsNames: [],
      ipBlocks: blocks.set,
      ipUnknown: blocks.unknown,
      services,
      example: `${pod.namespace}/${pod.name}`,
    });
  }

  private internNode(node: NodeInfo, viaIp: string): IdentityState {
    const blocks = this.ipBlocksFor(node.ips.length ? node.ips : [viaIp]);
    const key = ["node", labelsKey(node.labels), [...blocks.set].join(",")].join("\u0002");
    return this.newState(key, { kind: "node", nsLabels: {}, labels: {}, nodeLabels: node.labels, ports: [], hostNetwork: true, dnsNames: [], ipBlocks: blocks.set, ipUnknown: blocks.unknown, services: new Set(), example: `node/${node.name}` });
  }

  private internExternal(ip: string | undefined, name: string | undefined): IdentityState {
    const names = [...new Set([...(name ? [name] : []), ...(ip ? (this.dnsNamesByIp.get(ip) ?? []) : [])])];
    let ips: string[] = ip ? [ip] : [];
    if (!ip && name) {
      const ext = this.cluster.externals.find((e) => e.kind === "dns" && e.name.toLowerCase() === name.toLowerCase());
      if (ext && ext.kind === "dns") ips = [...(ext.ips ?? [])];
    }
    const blocks = this.ipBlocksFor(ips);
    const services = new Set<number>();
    if (ip) for (const s of this.services) if (s.ips.has(ip)) services.add(s.id);
    const dnsSig = [...this.dnsPatterns].filter((p) => names.some((n) => dnsMatches(p, n))).join(",");
    const apiserver = ip !== undefined && this.apiserverIps.has(ip);
    const key = ["ext", [...blocks.set].join(","), blocks.unknown ? "?" : "", dnsSig, [...services].join(","), apiserver ? "api" : ""].join("\u0002");
    return this.newState(key, { kind: "external", nsLabels: {}, labels: apiserver ? { "policyplane.io/kube-apiserver": "true" } : {}, ports: [], hostNetwork: false, dnsNames: names, ipBlocks: blocks.set, ipUnknown: blocks.unknown, services, example: name ?? ip ?? "external" });
  }

  private compilePolicy(policy: Policy): { policy: Policy; rules: CRule[] } {
    // Start and expiry instants are parsed once, here: a decision compares epoch numbers.
    const from = policy.startsAt === undefined ? -1 : this.boundaries.indexOf(Date.parse(policy.startsAt));
    const until = policy.expiresAt === undefined ? Infinity : this.boundaries.indexOf(Date.parse(policy.expiresAt));
    const unreadable = (policy.startsAt !== undefined && from < 0) || until < 0;
    const activeFrom = unreadable ? Infinity : from + 1;
    const activeUntil = unreadable ? -1 : until;
    return {
      policy,
      rules: policy.rules.map((rule) => ({
        rule,
        policy,
        peers: rule.peers ? rule.peers.map((p) => this.compilePeer(p, policy)) : null,
        ports: rule.ports ? rule.ports.map((p) => compilePort(p)) : null,
        activeFrom,
        activeUntil,
      })),
    };
  }

  /** Peer matchers depend only on the identity, so each is memoised per identity id. */
  private compilePeer(peer: Peer, policy: Policy): PeerFn {
    const raw = this.compilePeerRaw(peer, policy);
    const memo: (boolean | undefined)[] = [];
    const fn: PeerFn = (id) => {
      let v = memo[id.id];
      if (v === undefined) memo[id.id] = v = raw(id);
      return v;
    };
    this.peerMeta.set(fn, { peer, policy });
    return fn;
  }

  /** @internal What a compiled peer matcher was built from (reachability narrows candidates with it). */
  readonly peerMeta = new Map<PeerFn, { peer: Peer; policy: Policy }>();

  private compilePeerRaw(peer: Peer, policy: Policy): PeerFn {
    switch (peer.kind) {
      case "workloads": {
        const inNamespace = compileNamespaceMatch(peer.selector.namespaces, policy.namespace);
        const podPred = compileSelector(peer.selector.pods);
        const memo = new Map<string, boolean>();
        const nsPred = (id: Identity): boolean => {
          let v = memo.get(id.namespace!);
          if (v === undefined) {
            v = inNamespace(id.namespace!, id.nsLabels);
            memo.set(id.namespace!, v);
          }
          return v;
        };
        // Workload selectors pick pods on the pod network; host-network pods look like their node.
        return (id) => id.kind === "pod" && !id.hostNetwork && nsPred(id) && podPred(id.labels);
      }
      case "ipBlock": {
        const bid = this.ipBlockId(peer.cidr, peer.except);
        return (id) => id.ipBlocks.has(bid);
      }
      case "dns": {
        const pattern = peer.pattern;
        this.dnsPatterns.add(pattern);
        return (id) => id.kind === "external" && id.dnsNames.some((n) => dnsMatches(pattern, n));
      }
      case "service": {
        const sid = this.serviceId(peer.namespace, peer.name);
        return (id) => id.services.has(sid);
      }
      case "nodes": {
        const pred = compileSelector(peer.selector);
        return (id) => (id.kind === "node" || (id.kind === "pod" && id.hostNetwork)) && pred(id.nodeLabels ?? {});
      }
      case "entity":
        switch (peer.entity) {
          case "world":
            return (id) => id.kind === "external" && id.labels["policyplane.io/kube-apiserver"] === undefined;
          case "cluster":
            return (id) => id.kind !== "external";
          case "kube-dns":
            return (id) => id.kind === "pod" && !id.hostNetwork && isKubeDns(id.namespace, id.labels);
          case "host":
          case "remote-node":
            return (id) => id.kind === "node" || (id.kind === "pod" && id.hostNetwork);
          case "kube-apiserver":
            return (id) => (id.kind === "pod" && id.namespace === "kube-system" && id.labels.component === "kube-apiserver") || id.labels["policyplane.io/kube-apiserver"] === "true";
          case "all":
            return () => true;
        }
    }
  }

  private attach(st: IdentityState, c: { policy: Policy; rules: CRule[] }): void {
    const { policy } = c;
    if (policy.layer === "namespace") {
      for (const dir of ["ingress", "egress"] as const) if (policy.policyTypes[dir] && !policy.nonIsolating?.[dir]) st[dir].npPolicies.push(policy);
    }
    for (const r of c.rules) {
      const idx = st[r.rule.direction];
      switch (policy.layer) {
        case "constraint":
          if (r.rule.action === "deny") idx.constraint.push(r);
          break;
        case "exception":
          if (r.rule.action === "allow") idx.exception.push(r);
          break;
        case "admin":
          idx.admin.push(r);
          break;
        case "namespace":
          if (!policy.policyTypes[r.rule.direction]) break;
          if (r.rule.action === "deny") idx.npDeny.push(r);
          else if (r.rule.action === "allow") idx.npAllow.push(r);
          break;
        case "baseline":
          if (r.rule.action !== "pass") idx.baseline.push(r);
          break;
      }
    }
  }

  // -------------------------------------------------------------------------
  // Identities and endpoints

  /** The identity cache: every identity interned so far (pods at build time, externals on demand). */
  get identities(): readonly Identity[] {
    return this.states.map((s) => s.identity);
  }

  identity(id: number): Identity | undefined {
    return this.states[id]?.identity;
  }

  /** Find a pod by namespace/name; falls back to a workload's materialised pod (Deployment name, StatefulSet ordinal, or a generated pod name with the workload's prefix). */
  findPod(namespace: string, name: string): PodEntry | undefined {
    const exact = this.podByName.get(namespace)?.get(name);
    if (exact) return exact;
    let best: { len: number; entry: PodEntry } | undefined;
    for (const w of this.cluster.workloads) {
      if (w.namespace !== namespace) continue;
      if (name === w.name || name.startsWith(`${w.name}-`)) {
        const entries = this.workloadPods.get(`${namespace}/${w.kind}/${w.name}`);
        if (entries?.[0] && (!best || w.name.length > best.len)) best = { len: w.name.length, entry: entries[0] };
      }
    }
    return best?.entry;
  }

  resolve(ep: FlowEndpoint, field = "endpoint"): Result<Identity, FlowError> {
    const known = this.knownIdentity(ep);
    return known ? { ok: true, value: known } : this.resolveSlow(ep, field);
  }

  /** The hit path of resolution: a pod by its exact name or an address seen before; undefined otherwise. */
  private knownIdentity(ep: FlowEndpoint): Identity | undefined {
    if (ep.kind === "pod") return this.podByName.get(ep.namespace)?.get(ep.name)?.identity;
    if (ep.kind === "ip") return (this.podsByIp.get(ep.ip) ?? this.externalByIp.get(ep.ip))?.identity;
    return undefined;
  }

  private resolveSlow(ep: FlowEndpoint, field: string): Result<Identity, FlowError> {
    switch (ep.kind) {
      case "pod": {
        const e = this.findPod(ep.namespace, ep.name);
        return e ? { ok: true, value: e.identity } : { ok: false, error: new FlowError(field, `no pod ${ep.namespace}/${ep.name} in the manifests`) };
      }
      case "ip": {
        // Known addresses were looked up by knownIdentity: parsing (bigint) is only needed for a new address.
        const parsed = parseIp(ep.ip);
        if (!parsed) return { ok: false, error: new FlowError(field, `expected "<namespace>/<pod>" or an IP address, got ${JSON.stringify(ep.ip)}`) };
        const node = this.nodesByIp.get(ep.ip);
        if (node) return { ok: true, value: this.internNode(node, ep.ip).identity };
        // A Service cluster IP is translated to a backend pod before policy applies.
        for (const s of this.services) {
          if (s.ips.has(ep.ip) && s.selector) {
            const backend = this.podEntries.find((p) => p.pod.namespace === s.namespace && !p.pod.hostNetwork && s.selector!(p.pod.labels));
            if (backend) return { ok: true, value: backend.identity };
          }
        }
        const st = this.internExternal(ep.ip, undefined);
        this.externalByIp.set(ep.ip, st);
        return { ok: true, value: st.identity };
      }
      case "dns": {
        const key = ep.name.toLowerCase();
        let st = this.externalByName.get(key);
        if (!st) {
          st = this.internExternal(undefined, ep.name);
          this.externalByName.set(key, st);
        }
        return { ok: true, value: st.identity };
      }
    }
  }

  // -------------------------------------------------------------------------
  // Decisions

  /** How many exception starts and expiries have passed at an instant (ms; default now). */
  private epochOf(time: string | Date | number | undefined): number {
    if (this.boundaries.length === 0) return 0;
    const t = time === undefined ? Date.now() : typeof time === "number" ? time : typeof time === "string" ? Date.parse(time) : time.getTime();
    // NaN passes no expiry, so it would count every exception as active (decide() reports it as a FlowError first).
    if (Number.isNaN(t)) throw new RangeError(`not a time: ${JSON.stringify(String(time))}`);
    let n = 0;
    while (n < this.boundaries.length && this.boundaries[n]! <= t) n++;
    return n;
  }

  /** Decide one flow. Errors (unknown pod, bad address) are returned, not thrown. */
  decide(flow: Flow): Result<Decision, FlowError> {
    const { port, protocol, time } = flow;
    if (!Number.isInteger(port) || port < 1 || port > 65535) return { ok: false, error: new FlowError("port", `expected a port number between 1 and 65535, got ${String(port)}`) };
    const proto = protoIndex(protocol);
    if (proto < 0) return { ok: false, error: new FlowError("protocol", `expected one of TCP, UDP, SCTP, got ${JSON.stringify(protocol)}`) };
    let at: number | undefined;
    if (time !== undefined) {
      at = typeof time === "string" ? Date.parse(time) : time.getTime();
      // An unparseable time would otherwise count every exception as active.
      if (Number.isNaN(at)) return { ok: false, error: new FlowError("time", `expected an ISO-8601 instant, got ${JSON.stringify(String(time))}`) };
    }
    let src = this.knownIdentity(flow.src);
    if (src === undefined) {
      const r = this.resolveSlow(flow.src, "src");
      if (!r.ok) return r;
      src = r.value;
    }
    let dst = this.knownIdentity(flow.dst);
    if (dst === undefined) {
      const r = this.resolveSlow(flow.dst, "dst");
      if (!r.ok) return r;
      dst = r.value;
    }
    return this.cached(src, dst, port, protocol, proto, this.epochs === 1 ? 0 : this.epochOf(at));
  }

  /** Cached decision between two identities. */
  decideIdentities(src: Identity, dst: Identity, port: number, protocol: Protocol, time?: string | Date): Decision {
    return this.cached(src, dst, port, protocol, protoIndex(protocol), this.epochOf(time)).value;
  }

  /** The cache holds shared, immutable result objects, so a hit allocates nothing. */
  private cached(src: Identity, dst: Identity, port: number, protocol: Protocol, proto: number, epoch: number): CachedDecision {
    const pp = port * 4 + proto;
    const hit = this.decisions.get(src.id, dst.id, pp, epoch);
    if (hit !== undefined) {
      this.hits++;
      return hit;
    }
    this.misses++;
    const d: CachedDecision = { ok: true, value: this.evaluate(src, dst, port, protocol, epoch) };
    this.decisions.set(src.id, dst.id, pp, epoch, d);
    return d;
  }

  /** Same as decideIdentities without touching the cache (for benchmarks and tests). */
  decideUncached(src: Identity, dst: Identity, port: number, protocol: Protocol, time?: string | Date): Decision {
    return this.evaluate(src, dst, port, protocol, this.epochOf(time));
  }

  /** @internal For reachability: the per-identity rule indexes. */
  subjectIndex(id: number): { egress: SubjectIndex; ingress: SubjectIndex } {
    const st = this.states[id]!;
    return { egress: st.egress, ingress: st.ingress };
  }

  /** True when some exception starts or expires, so a flow without a time is decided by the wall clock. */
  get timeDependent(): boolean {
    return this.epochs > 1;
  }

  /** The exception epoch of an instant (index into sorted boundaries). */
  epochAt(time?: string | Date): number {
    return this.epochOf(time);
  }

  /** The first exception start or expiry after `now` (ms since epoch; Infinity when none): decisions may change then. */
  nextBoundary(now: number): number {
    for (const t of this.boundaries) if (t > now) return t;
    return Number.POSITIVE_INFINITY;
  }

  /** Numeric ports named in rules (port, endPort), used to probe "other" ports in reachability. */
  rulePorts(): { port: number; endPort: number; protocol: Protocol }[] {
    const out: { port: number; endPort: number; protocol: Protocol }[] = [];
    for (const p of this.policySet.policies) for (const r of p.rules) for (const m of r.ports ?? []) if (m.kind === "number" && m.port !== undefined) out.push({ port: m.port, endPort: m.endPort ?? m.port, protocol: m.protocol });
    return out;
  }

  /** Representative external destinations mentioned by rules (ipBlocks, DNS names) and the cluster's known externals. */
  externalCandidates(): { label: string; endpoint: FlowEndpoint }[] {
    const out: { label: string; endpoint: FlowEndpoint }[] = [];
    const podIps = new Set(this.podsByIp.keys());
    for (const b of this.ipBlocks) {
      const ip = representativeIp(b.cidr, b.except);
      if (ip) {
        const s = formatIp(ip);
        if (!podIps.has(s) && !this.nodesByIp.has(s)) out.push({ label: this.ipBlockLabel(b.id), endpoint: { kind: "ip", ip: s } });
      }
    }
    for (const p of this.dnsPatterns) out.push({ label: p, endpoint: { kind: "dns", name: p === "*" ? "example.com" : p.replace(/\*/g, "x") } });
    for (const e of this.cluster.externals) {
      if (e.kind === "dns") out.push({ label: e.name, endpoint: { kind: "dns", name: e.name } });
      else {
        const c = parseCidr(e.cidr);
        const ip = c ? representativeIp(c, []) : null;
        if (ip) out.push({ label: e.name ?? e.cidr, endpoint: { kind: "ip", ip: formatIp(ip) } });
      }
    }
    return out;
  }

  private ipBlockLabel(id: number): string {
    for (const [key, v] of this.ipBlockIds) if (v === id) {
      const [cidr, except] = key.split("|");
      return except ? `${cidr} except ${except}` : cidr!;
    }
    return `ipBlock#${id}`;
  }

  cacheStats(): { hits: number; misses: number; entries: number; identities: number } {
    const entries = this.decisions.size;
    return { hits: this.hits, misses: this.misses, entries, identities: this.states.length };
  }

  clearCache(): void {
    this.decisions = new DecisionTable();
    this.hits = 0;
    this.misses = 0;
  }

  private ruleMatches(r: CRule, peer: Identity, port: number, protocol: Protocol, dst: Identity): boolean {
    if (r.ports !== null) {
      let ok = false;
      for (const f of r.ports) if (f(port, protocol, dst)) { ok = true; break; }
      if (!ok) return false;
    }
    if (r.peers !== null) {
      for (const f of r.peers) if (f(peer)) return true;
      return false;
    }
    return true;
  }

  private evaluate(src: Identity, dst: Identity, port: number, protocol: Protocol, epoch: number): Decision {
    const srcSt = this.states[src.id]!;
    const dstSt = this.states[dst.id]!;
    const egressApplies = src.kind === "pod" && !src.hostNetwork;
    const ingressApplies = dst.kind === "pod" && !dst.hostNetwork;

    // 1. Compliance constraints: any match denies the whole flow.
    const constraint = (egressApplies ? this.firstMatch(srcSt.egress.constraint, dst, port, protocol, dst) : undefined) ?? (ingressApplies ? this.firstMatch(dstSt.ingress.constraint, src, port, protocol, dst) : undefined);
    if (constraint) return flowDecision(constraint, egressApplies, ingressApplies);
    // 2. Active exceptions: a match allows the whole flow.
    const exception = (egressApplies ? this.firstActive(srcSt.egress.exception, epoch, dst, port, protocol, dst) : undefined) ?? (ingressApplies ? this.firstActive(dstSt.ingress.exception, epoch, src, port, protocol, dst) : undefined);
    if (exception) return flowDecision(exception, egressApplies, ingressApplies);
    const egress = egressApplies ? this.direction("egress", srcSt.egress, dst, port, protocol, dst) : NOT_APPLICABLE.egress;
    const ingress = ingressApplies ? this.direction("ingress", dstSt.ingress, src, port, protocol, dst) : NOT_APPLICABLE.ingress;
    if (egress.verdict === "allow" && ingress.verdict === "allow") return new LazyDecision("allow", egress, ingress, null, null);
    const near: NearestQuery = egress.verdict === "deny" ? { ev: this, idx: srcSt.egress, peer: dst, port, protocol, dst, decided: egress, epoch } : { ev: this, idx: dstSt.ingress, peer: src, port, protocol, dst, decided: ingress, epoch };
    return new LazyDecision("deny", egress, ingress, null, near);
  }

  private firstMatch(list: CRule[], peer: Identity, port: number, protocol: Protocol, dst: Identity): CRule | undefined {
    for (const r of list) if (this.ruleMatches(r, peer, port, protocol, dst)) return r;
    return undefined;
  }

  private firstActive(list: CRule[], epoch: number, peer: Identity, port: number, protocol: Protocol, dst: Identity): CRule | undefined {
    for (const r of list) if (activeAt(r, epoch) && this.ruleMatches(r, peer, port, protocol, dst)) return r;
    return undefined;
  }

  /** Decides one direction; the effects (the rationale) are built from `pass` and the deciding step when read. */
  private direction(dir: Direction, idx: SubjectIndex, peer: Identity, port: number, protocol: Protocol, dst: Identity): DirectionDecision {
    // 3. Admin tiers: first matching rule in (tier, priority, rule order) decides; Pass skips the remaining admin rules.
    let pass: CRule | null = null;
    for (const r of idx.admin) {
      if (!this.ruleMatches(r, peer, port, protocol, dst)) continue;
      const a = r.rule.action;
      if (a === "pass") {
        pass = r;
        break;
      }
      return new LazyDirection(dir, true, a, null, "rule", r);
    }
    // 4. Namespace policies (NetworkPolicy semantics; Cilium deny rules win within the layer,
    //    also from policies that do not isolate the pod).
    const deny = this.firstMatch(idx.npDeny, peer, port, protocol, dst);
    if (deny) return new LazyDirection(dir, true, "deny", pass, "rule", deny);
    if (idx.npPolicies.length > 0) {
      const allow = this.firstMatch(idx.npAllow, peer, port, protocol, dst);
      if (allow) return new LazyDirection(dir, true, "allow", pass, "rule", allow);
      return new LazyDirection(dir, true, "deny", pass, "isolated", idx.npPolicies);
    }
    // 5. Baseline: first matching rule decides.
    for (const r of idx.baseline) {
      if (!this.ruleMatches(r, peer, port, protocol, dst)) continue;
      const a = r.rule.action === "deny" ? "deny" : "allow";
      return new LazyDirection(dir, true, a, pass, "rule", r);
    }
    return new LazyDirection(dir, true, idx.defaultDeny ? "deny" : "allow", pass, "default", null);
  }

  /** @internal The closest allow rule of a denied flow (see NearestAllow); LazyDecision asks on first read. */
  nearestAllow({ idx, peer, port, protocol, dst, decided, epoch }: Omit<NearestQuery, "ev">): NearestAllow | undefined {
    // One pass over the allow rules that could apply; prefer a rule that matches but was
    // overridden, then one with the right peer (other port), then the right port (other peer).
    let overridden: { r: CRule; layer: Effect["layer"] } | undefined;
    let samePeer: { r: CRule; layer: Effect["layer"] } | undefined;
    let samePort: { r: CRule; layer: Effect["layer"] } | undefined;
    const scan = (list: CRule[], layer: Effect["layer"]) => {
      for (const r of list) {
        // An expired exception would allow nothing: never offer it as the nearest allow.
        if (r.rule.action !== "allow" || !activeAt(r, epoch)) continue;
        const po = r.ports === null || r.ports.some((f) => f(port, protocol, dst));
        const pe = r.peers === null || r.peers.some((f) => f(peer));
        if (po && pe) overridden ??= { r, layer };
        else if (pe) samePeer ??= { r, layer };
        else if (po) samePort ??= { r, layer };
      }
    };
    scan(idx.npAllow, "namespace");
    scan(idx.admin, "admin");
    scan(idx.baseline, "baseline");
    scan(idx.exception, "exception");
    if (overridden) {
      const ref = overridden.r.rule.ref;
      const by = decided.effects[decided.effects.length - 1];
      return { rule: ref, layer: overridden.layer, differs: "overridden", description: `${describeRule(ref)} would allow it, but ${by ? `${by.layer} (${by.reason})` : "an earlier layer"} decided first` };
    }
    if (samePeer) {
      const ref = samePeer.r.rule.ref;
      return { rule: ref, layer: samePeer.layer, differs: "port", description: `${describeRule(ref)} allows this peer on ${formatPorts(samePeer.r.rule.ports)}, not on ${formatPortProtocol(port, protocol)}` };
    }
    if (samePort) {
      const ref = samePort.r.rule.ref;
      return { rule: ref, layer: samePort.layer, differs: "peer", description: `${describeRule(ref)} allows ${formatPortProtocol(port, protocol)}, but only from/to other peers` };
    }
    return undefined;
  }
}

/** What a denied decision needs to find its nearest allow when someone asks. */
interface NearestQuery {
  ev: Evaluator;
  idx: SubjectIndex;
  peer: Identity;
  port: number;
  protocol: Protocol;
  dst: Identity;
  decided: DirectionDecision;
  epoch: number;
}

/**
 * What decided a direction: a rule (admin, namespace or baseline; `by` is the CRule), the
 * namespace isolation (`by` lists the isolating policies), the default, a flow-level rule
 * (constraint or exception; `by` is the CRule), or nothing because the direction does not apply.
 */
type DecidedBy = "rule" | "isolated" | "default" | "flow" | "not-applicable";

/**
 * One direction of a decision. The verdict is known when it is made; the effects (reasons, rule
 * references) are built on first read from what decided, since most decisions are counted, not
 * explained. No closure is allocated per decision.
 */
class LazyDirection implements DirectionDecision {
  private built: Effect[] | undefined;
  constructor(
    private readonly dir: Direction,
    readonly applicable: boolean,
    readonly verdict: Verdict,
    /** The admin rule that passed the decision on, when one did. */
    private readonly pass: CRule | null,
    private readonly how: DecidedBy,
    private readonly by: CRule | readonly Policy[] | null,
  ) {}

  get effects(): Effect[] {
    if (this.built === undefined) {
      const out: Effect[] = [];
      if (this.pass) out.push(ruleEffect(this.pass, "pass", `${describeRule(this.pass.rule.ref)} passes the decision to namespace policies`));
      const last = this.lastEffect();
      if (last) out.push(last);
      this.built = out;
    }
    return this.built;
  }

  private lastEffect(): Effect | null {
    const { dir, verdict, by } = this;
    switch (this.how) {
      case "rule": {
        const r = by as CRule;
        return ruleEffect(r, verdict, `${describeRule(r.rule.ref)} ${verdict === "allow" ? "allows" : "denies"} it`);
      }
      case "isolated":
        return isolationEffect(dir, by as readonly Policy[]);
      case "default":
        return {
          layer: "default",
          direction: dir,
          verdict,
          reason: verdict === "deny" ? `no policy decides ${dir}; the platform default (secure by default) denies` : `no policy selects ${dir === "egress" ? "the source" : "the destination"} for ${dir}; Kubernetes allows by default`,
        };
      case "flow":
        // A constraint lists its effect only in the directions that apply; an exception in both.
        return this.applicable || verdict === "allow" ? flowEffect(by as CRule) : null;
      case "not-applicable":
        return { layer: "default", direction: dir, verdict: "allow", reason: `the ${dir === "egress" ? "source" : "destination"} is not a pod on the pod network, so no ${dir} policy applies` };
    }
  }

  toJSON(): { applicable: boolean; verdict: Verdict; effects: Effect[] } {
    return { applicable: this.applicable, verdict: this.verdict, effects: this.effects };
  }
}

/** A decision whose flow-level effect and nearest allow are built on first read (see LazyDirection). */
class LazyDecision implements Decision {
  private flowBuilt: Effect | undefined;
  private nearestBuilt: NearestAllow | undefined | null = null;
  constructor(
    readonly verdict: Verdict,
    readonly egress: DirectionDecision,
    readonly ingress: DirectionDecision,
    /** The constraint or exception that decided the whole flow, if one did. */
    private readonly flowRule: CRule | null,
    private readonly near: NearestQuery | null,
  ) {}

  get flow(): Effect | undefined {
    if (this.flowBuilt === undefined && this.flowRule) this.flowBuilt = flowEffect(this.flowRule);
    return this.flowBuilt;
  }

  get nearestAllow(): NearestAllow | undefined {
    if (this.nearestBuilt === null) this.nearestBuilt = this.near ? this.near.ev.nearestAllow(this.near) : undefined;
    return this.nearestBuilt;
  }

  toJSON(): Decision {
    const flow = this.flow;
    const nearestAllow = this.nearestAllow;
    return { verdict: this.verdict, ...(flow ? { flow } : {}), egress: this.egress, ingress: this.ingress, ...(nearestAllow ? { nearestAllow } : {}) };
  }
}

/** A constraint (deny) or an active exception (allow) decided the whole flow. */
function flowDecision(r: CRule, egressApplies: boolean, ingressApplies: boolean): Decision {
  const verdict: Verdict = r.policy.layer === "constraint" ? "deny" : "allow";
  return new LazyDecision(verdict, new LazyDirection("egress", egressApplies, verdict, null, "flow", r), new LazyDirection("ingress", ingressApplies, verdict, null, "flow", r), r, null);
}

function flowEffect(r: CRule): Effect {
  const p = r.policy;
  if (p.layer === "constraint") return ruleEffect(r, "deny", `compliance constraint ${refLabel(p.ref)} forbids this flow`);
  return ruleEffect(r, "allow", `exception ${refLabel(p.ref)}${p.expiresAt ? ` (expires ${p.expiresAt})` : ""} allows this flow`);
}

/** The direction verdict of a flow whose source (egress) or destination (ingress) is not a pod on the pod network. */
const NOT_APPLICABLE: Record<Direction, DirectionDecision> = {
  egress: new LazyDirection("egress", false, "allow", null, "not-applicable", null),
  ingress: new LazyDirection("ingress", false, "allow", null, "not-applicable", null),
};

function isolationEffect(dir: Direction, npPolicies: readonly Policy[]): Effect {
  const names = npPolicies.map((p) => `${p.ref.kind} ${refLabel(p.ref)}`);
  return {
    layer: "namespace",
    direction: dir,
    verdict: "deny",
    policy: npPolicies[0]!.ref,
    reason: `${dir === "egress" ? "the source" : "the destination"} is isolated for ${dir} by ${names.join(", ")} and no ${dir} rule of ${names.length > 1 ? "them" : "it"} allows this peer and port`,
  };
}

function ruleEffect(r: CRule, verdict: Effect["verdict"], reason: string): Effect {
  const p = r.policy;
  return {
    layer: p.layer,
    ...(p.layer === "admin" ? { tier: tierOf(p) } : {}),
    direction: r.rule.direction,
    verdict,
    policy: p.ref,
    rule: r.rule.ref,
    ...(p.priority !== undefined ? { priority: p.priority } : {}),
    reason,
  };
}

function compilePort(p: PortMatch): PortFn {
  if (p.kind === "number") {
    const proto = p.protocol;
    if (p.port === undefined) return (_port, protocol) => protocol === proto;
    const lo = p.port;
    const hi = p.endPort ?? p.port;
    return (port, protocol) => protocol === proto && port >= lo && port <= hi;
  }
  // Named port: resolved on the destination pod; the container port's protocol must match the flow
  // (and the rule's protocol, when the format states one).
  const name = p.name;
  const want = p.protocol;
  return (port, protocol, dst) => {
    if (want !== undefined && want !== protocol) return false;
    for (const cp of dst.ports) if (cp.name === name && cp.port === port && cp.protocol === protocol) return true;
    return false;
  };
}

export function createEvaluator(cluster: ClusterModel, policies: PolicySet, options: EvaluatorOptions = {}): Evaluator {
  return new Evaluator(cluster, policies, options);
}

export { PROTOCOLS };
