/**
 * The evaluator: normalise once, decide many times.
 *
 * Build: every policy is compiled into rules with peer and port matchers (./targets.ts,
 * ./matchers.ts); pods (concrete and materialised from workload templates) are grouped into
 * identities (./identities.ts); each rule is attached to the identities its subject selects, per
 * layer and direction, in evaluation order. A decision (./decide.ts) then only walks the rules
 * attached to the source (egress) and destination (ingress) identities, is cached per (src
 * identity, dst identity, port, protocol, exception epoch) (./decision-table.ts), and builds its
 * rationale only when read (./rationale.ts).
 */
import {
  PLATFORM_DEFAULT_ALL,
  PLATFORM_DEFAULT_OFF,
  PROTOCOLS,
  type ClusterModel,
  type Flow,
  type FlowEndpoint,
  type PlatformDefault,
  type Protocol,
  type PolicySet,
} from "../model";
import { FlowError, type Result } from "../errors";
import { formatIp, parseCidr, representativeIp } from "../util/ip";
import { DecisionTable } from "./decision-table";
import { evaluate } from "./decide";
import { DirectionMemo } from "./direction-memo";
import { Identities, type Identity, type PodEntry } from "./identities";
import { PeerRegistry } from "./matchers";
import type { Decision } from "./rationale";
import { attachPolicies, compilePolicy, type SubjectIndex } from "./targets";

export type { ExternalIdentity, Identity, IdentityKind, NodeIdentity, PodEntry, PodIdentity } from "./identities";
export type { Decision, DirectionDecision, NearestAllow } from "./rationale";
export { activeAt, attachedRules, compareDecisionOrder, type CompiledRule, type DecisionOrderKey, type SubjectIndex } from "./targets";
export type {
  DnsMatcher,
  EntityMatcher,
  IpBlockMatcher,
  NodesMatcher,
  PeerMatcher,
  PortMatcher,
  ServiceMatcher,
  WorkloadsMatcher,
} from "./matchers";

export interface EvaluatorOptions {
  /**
   * The platform default when no layer decides: true = deny for every namespace, or the setting
   * with its scope. Off (the default) for plain Kubernetes semantics.
   */
  secureByDefault?: boolean | PlatformDefault;
  /**
   * Decisions (and memoised directions) kept: once they reach it, the cache starts over at the next
   * new decision. A long-running decision point or flow ingestion meets ever new tuples (a port scan
   * alone is pods × 65,535), so an unbounded cache would grow until the process dies. Default
   * MAX_CACHED_DECISIONS.
   */
  maxCachedDecisions?: number;
}

/** ~100 MB of cached decisions at most (a decision and its key take ~200 bytes). */
export const MAX_CACHED_DECISIONS = 1 << 19;

type CachedDecision = { ok: true; value: Decision };

/** A protocol's slot in the cache key; -1 for anything else (flows from untyped callers). */
function protoIndex(p: string): number {
  return p === "TCP" ? 0 : p === "UDP" ? 1 : p === "SCTP" ? 2 : -1;
}

export class Evaluator {
  readonly cluster: ClusterModel;
  readonly policySet: PolicySet;
  readonly options: { readonly platformDefault: PlatformDefault };
  /** Every pod (concrete or materialised from a workload) with its identity. */
  readonly podEntries: PodEntry[];

  private readonly peers: PeerRegistry;
  private readonly ids: Identities;
  // The maps of the hit path of resolution, held here so a cached decision stays in this class.
  private readonly podByName: Identities["podByName"];
  private readonly podsByIp: Identities["podsByIp"];
  private readonly externalByIp: Identities["externalByIp"];
  /** Sorted distinct exception start and expiry instants (ms); a flow's epoch is how many have passed. */
  private readonly boundaries: number[];
  private readonly epochs: number;
  private hits = 0;
  private misses = 0;
  private decisions = new DecisionTable<CachedDecision>();
  /** Egress directions and admin walks shared by identities with the same rules (built with the first decision). */
  private memo: DirectionMemo | undefined;
  private readonly maxCached: number;

  constructor(cluster: ClusterModel, policySet: PolicySet, options: EvaluatorOptions = {}) {
    this.cluster = cluster;
    this.policySet = policySet;
    const sbd = options.secureByDefault ?? false;
    this.options = { platformDefault: sbd === true ? PLATFORM_DEFAULT_ALL : sbd === false ? PLATFORM_DEFAULT_OFF : sbd };
    this.maxCached = options.maxCachedDecisions ?? MAX_CACHED_DECISIONS;
    const instants = policySet.policies
      .filter((p) => p.layer === "exception")
      .flatMap((p) => [p.startsAt, p.expiresAt].filter((t): t is string => t !== undefined).map((t) => Date.parse(t)));
    this.boundaries = [...new Set(instants)].filter((t) => !Number.isNaN(t)).sort((a, b) => a - b);
    this.epochs = this.boundaries.length + 1;

    // Compile every peer first: identities record which ipBlocks / services / dns patterns match them.
    this.peers = new PeerRegistry(cluster);
    const compiled = policySet.policies.map((p) => compilePolicy(p, this.peers, this.boundaries));
    this.peers.addClusterServices();
    this.ids = new Identities(cluster, policySet.policies, this.peers, this.options.platformDefault);
    this.podEntries = this.ids.podEntries;
    this.podByName = this.ids.podByName;
    this.podsByIp = this.ids.podsByIp;
    this.externalByIp = this.ids.externalByIp;
    attachPolicies(this.ids.states, compiled, this.ids.nsLabels);
  }

  // -------------------------------------------------------------------------
  // Identities and endpoints

  /** The identity cache: every identity interned so far (pods at build time, externals on demand). */
  get identities(): readonly Identity[] {
    return this.ids.states.map((s) => s.identity);
  }

  identity(id: number): Identity | undefined {
    return this.ids.states[id]?.identity;
  }

  /**
   * The rules attached to an identity, per direction and layer, in decision order: what a
   * decision for it walks. Reachability, the graph's details and the verifier read them; each
   * rule's peers and ports are typed matchers (see ./matchers.ts).
   */
  subjectIndex(id: number): { egress: SubjectIndex; ingress: SubjectIndex } {
    const st = this.ids.states[id]!;
    return { egress: st.egress, ingress: st.ingress };
  }

  /** Find a pod by namespace/name; falls back to a workload's materialised pod (Deployment name, StatefulSet ordinal, or a generated pod name with the workload's prefix). */
  findPod(namespace: string, name: string): PodEntry | undefined {
    return this.ids.findPod(namespace, name);
  }

  resolve(ep: FlowEndpoint, field = "endpoint"): Result<Identity, FlowError> {
    const known = this.known(ep);
    return known ? { ok: true, value: known } : this.ids.resolveSlow(ep, field);
  }

  /** The hit path of resolution: a pod by its exact name or an address seen before; undefined otherwise. */
  private known(ep: FlowEndpoint): Identity | undefined {
    if (ep.kind === "pod") return this.podByName.get(ep.namespace)?.get(ep.name)?.identity;
    if (ep.kind === "ip") return (this.podsByIp.get(ep.ip) ?? this.externalByIp.get(ep.ip))?.identity;
    return undefined;
  }

  // -------------------------------------------------------------------------
  // Decisions

  /** How many exception starts and expiries have passed at an instant (ms; default now). */
  private epochOf(time: string | Date | number | undefined): number {
    if (this.boundaries.length === 0) return 0;
    const t =
      time === undefined ? Date.now() : typeof time === "number" ? time : typeof time === "string" ? Date.parse(time) : time.getTime();
    // NaN passes no expiry, so it would count every exception as active (decide() reports it as a FlowError first).
    if (Number.isNaN(t)) throw new RangeError(`not a time: ${JSON.stringify(String(time))}`);
    let n = 0;
    while (n < this.boundaries.length && this.boundaries[n]! <= t) n++;
    return n;
  }

  /** Decide one flow. Errors (unknown pod, bad address) are returned, not thrown. */
  decide(flow: Flow): Result<Decision, FlowError> {
    const { port, protocol, time } = flow;
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      return { ok: false, error: new FlowError("port", `expected a port number between 1 and 65535, got ${String(port)}`) };
    const proto = protoIndex(protocol);
    if (proto < 0)
      return { ok: false, error: new FlowError("protocol", `expected one of TCP, UDP, SCTP, got ${JSON.stringify(protocol)}`) };
    let at: number | undefined;
    if (time !== undefined) {
      at = typeof time === "string" ? Date.parse(time) : time.getTime();
      // An unparseable time would otherwise count every exception as active.
      if (Number.isNaN(at))
        return { ok: false, error: new FlowError("time", `expected an ISO-8601 instant, got ${JSON.stringify(String(time))}`) };
    }
    let src = this.known(flow.src);
    if (src === undefined) {
      const r = this.ids.resolveSlow(flow.src, "src");
      if (!r.ok) return r;
      src = r.value;
    }
    let dst = this.known(flow.dst);
    if (dst === undefined) {
      const r = this.ids.resolveSlow(flow.dst, "dst");
      if (!r.ok) return r;
      dst = r.value;
    }
    return this.cached(src, dst, port, protocol, proto, this.epochs === 1 ? 0 : this.epochOf(at));
  }

  /** Cached decision between two identities (time: an instant, or epoch ms; default now). */
  decideIdentities(src: Identity, dst: Identity, port: number, protocol: Protocol, time?: string | Date | number): Decision {
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
    if (this.decisions.size + (this.memo?.size ?? 0) >= this.maxCached) this.startOver();
    this.memo ??= new DirectionMemo(this.ids.states);
    const d: CachedDecision = { ok: true, value: evaluate(this.ids.states, src, dst, port, protocol, epoch, this.memo) };
    this.decisions.set(src.id, dst.id, pp, epoch, d);
    return d;
  }

  /** Drop what the cache and the memo hold (keeping the counters): both are only ever a shortcut to the same answers. */
  private startOver(): void {
    this.decisions = new DecisionTable<CachedDecision>();
    this.memo = undefined;
  }

  /**
   * The decision between two identities at an exception epoch (see epochAt), made afresh and not
   * kept: for a caller that keeps what it derives from each tuple's decision itself (simulate's byte
   * path keeps each tuple's answer), where the cache would hold 40,000 decisions nobody asks again.
   * Shares the directions memoised for cached decisions, so it answers exactly as decideIdentities.
   */
  decideAtEpoch(src: Identity, dst: Identity, port: number, protocol: Protocol, epoch: number): Decision {
    if (this.memo !== undefined && this.memo.size >= this.maxCached) this.memo = undefined;
    this.memo ??= new DirectionMemo(this.ids.states);
    return evaluate(this.ids.states, src, dst, port, protocol, epoch, this.memo);
  }

  /** Same as decideIdentities without touching the cache (for benchmarks and tests). */
  decideUncached(src: Identity, dst: Identity, port: number, protocol: Protocol, time?: string | Date): Decision {
    return evaluate(this.ids.states, src, dst, port, protocol, this.epochOf(time));
  }

  /** `entries`: decisions cached; `memo`: directions memoised; `remembered`: addresses and names resolved on demand. */
  cacheStats(): { hits: number; misses: number; entries: number; memo: number; identities: number; remembered: number } {
    return {
      hits: this.hits,
      misses: this.misses,
      entries: this.decisions.size,
      memo: this.memo?.size ?? 0,
      identities: this.ids.states.length,
      remembered: this.ids.rememberedEndpoints,
    };
  }

  clearCache(): void {
    this.startOver();
    this.hits = 0;
    this.misses = 0;
  }

  // -------------------------------------------------------------------------
  // Time

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

  // -------------------------------------------------------------------------
  // Probes for reachability

  /** Numeric ports named in rules (port, endPort), used to probe "other" ports in reachability. */
  rulePorts(): { port: number; endPort: number; protocol: Protocol }[] {
    const out: { port: number; endPort: number; protocol: Protocol }[] = [];
    for (const p of this.policySet.policies)
      for (const r of p.rules)
        for (const m of r.ports ?? [])
          if (m.kind === "number" && m.port !== undefined) out.push({ port: m.port, endPort: m.endPort ?? m.port, protocol: m.protocol });
    return out;
  }

  /** Representative external destinations mentioned by rules (ipBlocks, DNS names) and the cluster's known externals. */
  externalCandidates(): { label: string; endpoint: FlowEndpoint }[] {
    const out: { label: string; endpoint: FlowEndpoint }[] = [];
    for (const b of this.peers.ipBlocks) {
      const ip = representativeIp(b.cidr, b.except);
      if (ip) {
        const s = formatIp(ip);
        if (!this.podsByIp.has(s) && !this.ids.nodesByIp.has(s)) out.push({ label: b.label, endpoint: { kind: "ip", ip: s } });
      }
    }
    for (const p of this.peers.dnsPatterns)
      out.push({ label: p, endpoint: { kind: "dns", name: p === "*" ? "example.com" : p.replace(/\*/g, "x") } });
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
}

export function createEvaluator(cluster: ClusterModel, policies: PolicySet, options: EvaluatorOptions = {}): Evaluator {
  return new Evaluator(cluster, policies, options);
}

export { PROTOCOLS };
