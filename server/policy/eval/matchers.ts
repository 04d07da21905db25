/**
 * Peer and port matchers: a rule's peers and ports compiled once into small typed values.
 *
 * A peer matcher says what it was built from (`kind`, the model's `peer`, the `policy` that holds
 * it) and whether an identity is one of its peers (`matches`, memoised per identity). Callers that
 * need more than yes/no (reachability narrows a workload selector's candidates to the namespaces
 * it can pick) switch on `kind` and read the typed fields; nothing is kept on the side.
 *
 * The PeerRegistry numbers the IP blocks, Services and DNS patterns that peers name: identities
 * record which of them contain their addresses (see ./identities.ts), so a decision compares
 * numbers instead of parsing addresses.
 */
import type { ClusterModel, Labels, Peer, Policy, PortMatch, Protocol } from "../model";
import { cidrContainsIp, parseCidr, parseIp, type ParsedCidr, type ParsedIp } from "../util/ip";
import { compileNamespaceMatch, compileSelector, dnsMatches, isKubeDns, type LabelPredicate } from "./selectors";
import type { Identity, PodIdentity } from "./identities";

type PeerOf<K extends Peer["kind"]> = Extract<Peer, { kind: K }>;

interface PeerMatcherOf<K extends Peer["kind"]> {
  readonly kind: K;
  /** The peer as the model states it. */
  readonly peer: PeerOf<K>;
  /** The policy that holds the peer (a workload selector without namespaces means this policy's namespace). */
  readonly policy: Policy;
  /** Whether the identity is one of this peer's endpoints (memoised per identity). */
  matches(id: Identity): boolean;
}

/** Pods picked by namespace × pod selector; host-network pods are not among them (they look like their node). */
export interface WorkloadsMatcher extends PeerMatcherOf<"workloads"> {
  /** Whether the selector can pick pods of this namespace (the namespace half of `matches`). */
  selectsNamespace(namespace: string, nsLabels: Labels): boolean;
  /** Equal for matchers whose namespace half is the same (reachability shares candidate lists by it). */
  readonly namespaceKey: string;
}
/** Endpoints with an address inside the block (see Identity.ipBlocks). */
export interface IpBlockMatcher extends PeerMatcherOf<"ipBlock"> {
  readonly blockId: number;
}
/** External endpoints known by a name the pattern matches. */
export type DnsMatcher = PeerMatcherOf<"dns">;
/** The pods a Service selects and its cluster IPs (see Identity.services). */
export interface ServiceMatcher extends PeerMatcherOf<"service"> {
  readonly serviceId: number;
}
/** Nodes (and host-network pods) by node label. */
export type NodesMatcher = PeerMatcherOf<"nodes">;
/** A built-in entity (world, cluster, kube-dns, host, kube-apiserver, all). */
export type EntityMatcher = PeerMatcherOf<"entity">;

/** A compiled peer, discriminated by `kind` like the model's Peer. */
export type PeerMatcher = WorkloadsMatcher | IpBlockMatcher | DnsMatcher | ServiceMatcher | NodesMatcher | EntityMatcher;

interface PortMatcherOf<K extends PortMatch["kind"]> {
  readonly kind: K;
  /** The port clause as the model states it. */
  readonly port: Extract<PortMatch, { kind: K }>;
  /** Whether the clause matches the flow's port and protocol (named ports are looked up on `dst`). */
  matches(port: number, protocol: Protocol, dst: Identity): boolean;
}
/** The flow's protocol equals `protocol` and its port lies in [from, to] (±Infinity when the clause names no port). */
export interface NumberPortMatcher extends PortMatcherOf<"number"> {
  readonly protocol: Protocol;
  readonly from: number;
  readonly to: number;
}
/** Resolved on the destination identity's container ports, whose protocol must be the flow's (and `protocol`'s, when stated). */
export interface NamedPortMatcher extends PortMatcherOf<"named"> {
  readonly name: string;
  readonly protocol: Protocol | undefined;
}
/** A compiled port clause, discriminated by `kind` like the model's PortMatch. */
export type PortMatcher = NumberPortMatcher | NamedPortMatcher;

class NumberPort implements NumberPortMatcher {
  readonly kind = "number";
  constructor(
    readonly port: Extract<PortMatch, { kind: "number" }>,
    readonly protocol: Protocol,
    readonly from: number,
    readonly to: number,
  ) {}
  matches(port: number, protocol: Protocol): boolean {
    return protocol === this.protocol && port >= this.from && port <= this.to;
  }
}

class NamedPort implements NamedPortMatcher {
  readonly kind = "named";
  readonly name: string;
  readonly protocol: Protocol | undefined;
  constructor(readonly port: Extract<PortMatch, { kind: "named" }>) {
    this.name = port.name;
    this.protocol = port.protocol;
  }
  matches(port: number, protocol: Protocol, dst: Identity): boolean {
    if (this.protocol !== undefined && this.protocol !== protocol) return false;
    for (const cp of dst.ports) if (cp.name === this.name && cp.port === port && cp.protocol === protocol) return true;
    return false;
  }
}

export function compilePort(p: PortMatch): PortMatcher {
  if (p.kind === "number")
    return p.port === undefined
      ? new NumberPort(p, p.protocol, -Infinity, Infinity)
      : new NumberPort(p, p.protocol, p.port, p.endPort ?? p.port);
  return new NamedPort(p);
}

/** Whether any of the clauses matches (null = every port). */
export function anyPortMatches(list: readonly PortMatcher[] | null, port: number, protocol: Protocol, dst: Identity): boolean {
  if (list === null) return true;
  for (const m of list) if (m.matches(port, protocol, dst)) return true;
  return false;
}

/** Whether any of the peers matches (null = every peer). */
export function anyPeerMatches(list: readonly PeerMatcher[] | null, id: Identity): boolean {
  if (list === null) return true;
  for (const m of list) if (m.matches(id)) return true;
  return false;
}

// ---------------------------------------------------------------------------
// Peer matchers

/**
 * Yes/no answers per small integer (an identity id, a namespace number): one byte each (0 not asked
 * yet, 1 no, 2 yes) in a typed array grown to the highest number asked, as a sparse JS array
 * indexed by id falls back to a dictionary and made every lookup of a decision a hash probe.
 */
class ByteMemo {
  private bytes = new Uint8Array(16);
  /** 0 not asked yet, 1 no, 2 yes. */
  get(i: number): number {
    return i < this.bytes.length ? this.bytes[i]! : 0;
  }
  set(i: number, v: boolean): void {
    if (i >= this.bytes.length) {
      const grown = new Uint8Array(Math.max(i + 1, this.bytes.length * 2));
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes[i] = v ? 2 : 1;
  }
}

/**
 * Memos by what they answer (a key that says which endpoints a peer selects): matchers with equal
 * keys share one. The keys are per registry, so per evaluator and its identity numbers.
 */
class MemoShelf {
  private readonly byKey = new Map<string, ByteMemo>();
  get(key: string): ByteMemo {
    let m = this.byKey.get(key);
    if (m === undefined) this.byKey.set(key, (m = new ByteMemo()));
    return m;
  }
}

/** Equal for workload peers whose namespace half is the same. */
function namespaceKeyOf(peer: PeerOf<"workloads">, policy: Policy): string {
  const m = peer.selector.namespaces;
  return m.kind === "policy" ? `policy:${policy.namespace ?? ""}` : JSON.stringify(m);
}

/**
 * Peer matchers depend only on the identity, so each answer is memoised per identity id. Matchers
 * that select the same endpoints (the same tenant selector in 500 namespaces' policies) share one
 * memo through the registry's MemoShelf, so each identity is tested once per distinct peer.
 */
abstract class Memoised<K extends Peer["kind"]> {
  constructor(
    readonly kind: K,
    readonly peer: PeerOf<K>,
    readonly policy: Policy,
    private readonly memo: ByteMemo,
  ) {}
  matches(id: Identity): boolean {
    const m = this.memo.get(id.id);
    if (m !== 0) return m === 2;
    const v = this.test(id);
    this.memo.set(id.id, v);
    return v;
  }
  protected abstract test(id: Identity): boolean;
}

class Workloads extends Memoised<"workloads"> implements WorkloadsMatcher {
  private readonly inNamespace: (namespace: string, nsLabels: Labels) => boolean;
  private readonly pods: LabelPredicate;
  /** The namespace half of `matches`, per namespace (PodIdentity.nsIndex). */
  private readonly byNamespace: ByteMemo;
  constructor(peer: PeerOf<"workloads">, policy: Policy, memos: MemoShelf) {
    const ns = namespaceKeyOf(peer, policy);
    super("workloads", peer, policy, memos.get(`w\0${ns}\0${JSON.stringify(peer.selector.pods)}`));
    this.byNamespace = memos.get(`ns\0${ns}`);
    this.inNamespace = compileNamespaceMatch(peer.selector.namespaces, policy.namespace);
    this.pods = compileSelector(peer.selector.pods);
  }
  selectsNamespace(namespace: string, nsLabels: Labels): boolean {
    return this.inNamespace(namespace, nsLabels);
  }
  get namespaceKey(): string {
    return namespaceKeyOf(this.peer, this.policy);
  }
  protected test(id: Identity): boolean {
    return id.kind === "pod" && !id.hostNetwork && this.namespaceOf(id) && this.pods(id.labels);
  }
  private namespaceOf(id: PodIdentity): boolean {
    const m = this.byNamespace.get(id.nsIndex);
    if (m !== 0) return m === 2;
    const v = this.inNamespace(id.namespace, id.nsLabels);
    this.byNamespace.set(id.nsIndex, v);
    return v;
  }
}

class IpBlock extends Memoised<"ipBlock"> implements IpBlockMatcher {
  constructor(
    peer: PeerOf<"ipBlock">,
    policy: Policy,
    readonly blockId: number,
    memos: MemoShelf,
  ) {
    super("ipBlock", peer, policy, memos.get(`b\0${blockId}`));
  }
  protected test(id: Identity): boolean {
    return id.ipBlocks.has(this.blockId);
  }
}

class Dns extends Memoised<"dns"> implements DnsMatcher {
  protected test(id: Identity): boolean {
    const pattern = this.peer.pattern;
    return id.kind === "external" && id.dnsNames.some((n) => dnsMatches(pattern, n));
  }
}

class Service extends Memoised<"service"> implements ServiceMatcher {
  constructor(
    peer: PeerOf<"service">,
    policy: Policy,
    readonly serviceId: number,
    memos: MemoShelf,
  ) {
    super("service", peer, policy, memos.get(`s\0${serviceId}`));
  }
  protected test(id: Identity): boolean {
    return id.services.has(this.serviceId);
  }
}

class Nodes extends Memoised<"nodes"> implements NodesMatcher {
  private readonly pred: LabelPredicate;
  constructor(peer: PeerOf<"nodes">, policy: Policy, memos: MemoShelf) {
    super("nodes", peer, policy, memos.get(`n\0${JSON.stringify(peer.selector)}`));
    this.pred = compileSelector(peer.selector);
  }
  protected test(id: Identity): boolean {
    if (id.kind === "node") return this.pred(id.nodeLabels);
    return id.kind === "pod" && id.hostNetwork && this.pred(id.nodeLabels ?? {});
  }
}

class EntityPeer extends Memoised<"entity"> implements EntityMatcher {
  protected test(id: Identity): boolean {
    switch (this.peer.entity) {
      case "world":
        return id.kind === "external" && id.labels["policyplane.io/kube-apiserver"] === undefined;
      case "cluster":
        return id.kind !== "external";
      case "kube-dns":
        return id.kind === "pod" && !id.hostNetwork && isKubeDns(id.namespace, id.labels);
      case "host":
      case "remote-node":
        return id.kind === "node" || (id.kind === "pod" && id.hostNetwork);
      case "kube-apiserver":
        return (
          (id.kind === "pod" && id.namespace === "kube-system" && id.labels.component === "kube-apiserver") ||
          id.labels["policyplane.io/kube-apiserver"] === "true"
        );
      case "all":
        return true;
    }
  }
}

// ---------------------------------------------------------------------------
// The registry of what peers name

export interface IpBlockEntry {
  id: number;
  cidr: ParsedCidr;
  except: ParsedCidr[];
  /** 0.0.0.0/0 or ::/0 without except: contains even an unknown address. */
  wholeRange: boolean;
  /** "cidr" or "cidr except a,b" as the rules wrote it. */
  label: string;
}

export interface ServiceEntry {
  id: number;
  namespace: string;
  name: string;
  selector?: LabelPredicate;
  ips: Set<string>;
}

/** The IP blocks, Services and DNS patterns named by peers (and the cluster's Services), each numbered once. */
export class PeerRegistry {
  readonly ipBlocks: IpBlockEntry[] = [];
  private readonly ipBlockIds = new Map<string, number>();
  readonly services: ServiceEntry[] = [];
  private readonly serviceIds = new Map<string, number>();
  /** Cluster IPs of default/kubernetes (the kube-apiserver entity). */
  readonly apiserverIps = new Set<string>();
  readonly dnsPatterns = new Set<string>();
  /** Memos of this evaluator's identities, shared by matchers that select the same endpoints. */
  private readonly memos = new MemoShelf();

  constructor(private readonly cluster: ClusterModel) {}

  /** Compile one peer of `policy`, registering what it names. */
  compilePeer(peer: Peer, policy: Policy): PeerMatcher {
    switch (peer.kind) {
      case "workloads":
        return new Workloads(peer, policy, this.memos);
      case "ipBlock":
        return new IpBlock(peer, policy, this.ipBlockId(peer.cidr, peer.except), this.memos);
      case "dns":
        this.dnsPatterns.add(peer.pattern);
        return new Dns("dns", peer, policy, this.memos.get(`d\0${peer.pattern}`));
      case "service":
        return new Service(peer, policy, this.serviceId(peer.namespace, peer.name), this.memos);
      case "nodes":
        return new Nodes(peer, policy, this.memos);
      case "entity":
        return new EntityPeer("entity", peer, policy, this.memos.get(`e\0${peer.entity}`));
    }
  }

  /** Number every Service of the cluster and record its cluster IPs (after the peers are compiled). */
  addClusterServices(): void {
    for (const s of this.cluster.services) {
      const sid = this.serviceId(s.namespace, s.name);
      for (const ip of s.clusterIPs) this.services[sid]!.ips.add(ip);
      if (s.namespace === "default" && s.name === "kubernetes") for (const ip of s.clusterIPs) this.apiserverIps.add(ip);
    }
  }

  private ipBlockId(cidr: string, except: readonly string[]): number {
    const sorted = [...except].sort().join(",");
    const key = `${cidr}|${sorted}`;
    let id = this.ipBlockIds.get(key);
    if (id === undefined) {
      id = this.ipBlocks.length;
      const c = parseCidr(cidr);
      // Readers validate CIDRs; an invalid one here (hand-built model) matches nothing.
      const parsed = c ?? { family: 4 as const, base: 1n, prefix: 32, last: 0n };
      this.ipBlocks.push({
        id,
        cidr: parsed,
        except: except.map((e) => parseCidr(e)).filter((e): e is ParsedCidr => !!e),
        wholeRange: !!c && c.prefix === 0 && except.length === 0,
        label: sorted ? `${cidr} except ${sorted}` : cidr,
      });
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
      this.services.push({
        id,
        namespace,
        name,
        ...(sel ? { selector: compileSelector({ matchLabels: sel, matchExpressions: [] }) } : {}),
        ips: new Set(),
      });
      this.serviceIds.set(key, id);
    }
    return id;
  }

  /** The blocks containing one of the addresses; with no known address, only whole-range blocks. */
  ipBlocksFor(ips: readonly string[]): { set: Set<number>; unknown: boolean } {
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
}
