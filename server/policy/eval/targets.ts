/**
 * Targets: every policy compiled into rules with peer and port matchers, and each rule attached to
 * the identities its policy's subject selects, per direction and layer, in decision order. A
 * decision then walks only the rules attached to the source (egress) and destination (ingress).
 */
import {
  ADMIN_TIER_ORDER,
  NS_NAME_LABEL,
  type AdminTier,
  type Direction,
  type Labels,
  type Policy,
  type PolicyRule,
  type Protocol,
} from "../model";
import { compileNamespaceMatch, compileSelector } from "./selectors";
import { compilePort, type PeerMatcher, type PeerRegistry, type PortMatcher } from "./matchers";
import type { Identity, IdentityState } from "./identities";

/** A rule compiled once: its peers and ports as matchers, and when it counts. */
export interface CompiledRule {
  rule: PolicyRule;
  policy: Policy;
  /** null = every peer; otherwise the rule matches when any peer matcher does. */
  peers: PeerMatcher[] | null;
  /** null = every port; otherwise any clause must match. */
  ports: PortMatcher[] | null;
  /**
   * `ports` flattened for the hot path of decisions: when the rule has exactly one numeric clause,
   * its protocol and range (a decision compares three fields instead of walking a list of matchers);
   * null otherwise (every port, or clauses that `ports` answers).
   */
  onePort: { protocol: Protocol; from: number; to: number } | null;
  /**
   * The exception epochs (see Evaluator.epochAt) in which the rule counts: from one past its start's
   * index among the sorted boundaries (0 without start) to its expiry's index (Infinity without expiry).
   * An unreadable instant makes an empty window (never counts).
   */
  activeFrom: number;
  activeUntil: number;
}

/** Whether a compiled rule counts at an exception epoch (only exceptions start and expire). */
export function activeAt(r: CompiledRule, epoch: number): boolean {
  return r.activeFrom <= epoch && epoch <= r.activeUntil;
}

/** Whether a single numeric port clause (CompiledRule.onePort) matches the flow's port and protocol. */
export const portInRange = (one: NonNullable<CompiledRule["onePort"]>, port: number, protocol: Protocol) =>
  protocol === one.protocol && port >= one.from && port <= one.to;

/** The hot path of every decision: the loops are written out so each clause is one method call. */
export function ruleMatches(r: CompiledRule, peer: Identity, port: number, protocol: Protocol, dst: Identity): boolean {
  const one = r.onePort;
  const ports = r.ports;
  if (one !== null) {
    if (!portInRange(one, port, protocol)) return false;
  } else if (ports !== null) {
    let ok = false;
    for (const m of ports)
      if (m.matches(port, protocol, dst)) {
        ok = true;
        break;
      }
    if (!ok) return false;
  }
  const peers = r.peers;
  if (peers === null) return true;
  for (const m of peers) if (m.matches(peer)) return true;
  return false;
}

export function firstMatch(
  list: readonly CompiledRule[],
  peer: Identity,
  port: number,
  protocol: Protocol,
  dst: Identity,
): CompiledRule | undefined {
  for (const r of list) if (ruleMatches(r, peer, port, protocol, dst)) return r;
  return undefined;
}

/** The rules attached to one identity for one direction, by layer, each list in decision order. */
export interface SubjectIndex {
  constraint: CompiledRule[];
  exception: CompiledRule[];
  admin: CompiledRule[];
  /** Namespace-layer policies that isolate the subject in this direction. */
  npPolicies: Policy[];
  npDeny: CompiledRule[];
  npAllow: CompiledRule[];
  baseline: CompiledRule[];
  /** Whether the platform default denies in this direction for this identity (see PlatformDefault). */
  defaultDeny: boolean;
}

export function emptySubjectIndex(defaultDeny: boolean): SubjectIndex {
  return { constraint: [], exception: [], admin: [], npPolicies: [], npDeny: [], npAllow: [], baseline: [], defaultDeny };
}

/** Every rule attached to the subject in one direction, layer by layer (constraint, exception, admin, namespace allow, namespace deny, baseline). */
export function attachedRules(idx: SubjectIndex): CompiledRule[] {
  return [...idx.constraint, ...idx.exception, ...idx.admin, ...idx.npAllow, ...idx.npDeny, ...idx.baseline];
}

export function tierOf(p: Pick<Policy, "tier">): AdminTier {
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

export interface CompiledPolicy {
  policy: Policy;
  rules: CompiledRule[];
}

/** A rule's single numeric port clause as a range (see CompiledRule.onePort). */
function onePortOf(ports: readonly PortMatcher[] | null): CompiledRule["onePort"] {
  const m = ports?.length === 1 ? ports[0]! : undefined;
  return m?.kind === "number" ? { protocol: m.protocol, from: m.from, to: m.to } : null;
}

/**
 * Compile a policy's rules. `boundaries` are the sorted distinct exception start and expiry
 * instants: start and expiry are parsed once, here, so a decision compares epoch numbers.
 */
export function compilePolicy(policy: Policy, peers: PeerRegistry, boundaries: readonly number[]): CompiledPolicy {
  const from = policy.startsAt === undefined ? -1 : boundaries.indexOf(Date.parse(policy.startsAt));
  const until = policy.expiresAt === undefined ? Infinity : boundaries.indexOf(Date.parse(policy.expiresAt));
  const unreadable = (policy.startsAt !== undefined && from < 0) || until < 0;
  const activeFrom = unreadable ? Infinity : from + 1;
  const activeUntil = unreadable ? -1 : until;
  return {
    policy,
    rules: policy.rules.map((rule) => {
      const ports = rule.ports ? rule.ports.map((p) => compilePort(p)) : null;
      return {
        rule,
        policy,
        peers: rule.peers ? rule.peers.map((p) => peers.compilePeer(p, policy)) : null,
        ports,
        onePort: onePortOf(ports),
        activeFrom,
        activeUntil,
      };
    }),
  };
}

/**
 * Attach every compiled policy's rules to the pod identities its subject selects. Admin and baseline
 * rules go into their lists in decision order: every such rule of every policy is sorted once
 * (stably, by compareDecisionOrder then rule index), and an identity's list is the subsequence of
 * the rules whose policies select it, so this is the order a stable sort of its own list would
 * give. Identities that the same admin and baseline policies select have equal lists: each distinct
 * list is built once and shared (on a large cluster a few lists of a few hundred rules, where
 * thousands of identities each filled their own).
 */
export function attachPolicies(
  states: readonly IdentityState[],
  compiled: readonly CompiledPolicy[],
  nsLabels: ReadonlyMap<string, Labels>,
): void {
  // Host-network pods, nodes and externals are not policy subjects.
  const byNamespace = new Map<string, IdentityState[]>();
  for (const st of states) {
    const id = st.identity;
    if (id.kind !== "pod" || id.hostNetwork) continue;
    const list = byNamespace.get(id.namespace);
    if (list) list.push(st);
    else byNamespace.set(id.namespace, [st]);
  }
  const tiered = new TieredMembership(states.length);
  for (const c of compiled) {
    const { policy } = c;
    const m = policy.subject.namespaces;
    const inNamespace = compileNamespaceMatch(m, policy.namespace);
    // Named namespaces (or the policy's own) narrow the candidates; the shared predicate decides.
    const candidates = m.kind === "names" ? new Set(m.names) : m.kind === "policy" ? [policy.namespace ?? ""] : byNamespace.keys();
    const namespaces = [...candidates].filter((n) => byNamespace.has(n) && inNamespace(n, nsLabels.get(n) ?? { [NS_NAME_LABEL]: n }));
    const podPred = compileSelector(policy.subject.pods);
    const subjects: IdentityState[] = [];
    for (const ns of namespaces) for (const st of byNamespace.get(ns) ?? []) if (podPred(st.identity.labels)) subjects.push(st);
    if (policy.layer === "admin" || policy.layer === "baseline") tiered.add(c, subjects);
    else for (const st of subjects) attach(st, c);
  }
  tiered.attach(states);
}

/** The admin and baseline lists of identities, grouped by which of those policies select them. */
class TieredMembership {
  private readonly policies: CompiledPolicy[] = [];
  /** Per identity id, its group: identities of one group are selected by the same policies. */
  private readonly groupOf: Int32Array;
  /** Per group, the indexes (into `policies`) of the policies that select its identities. */
  private readonly groups: number[][] = [[]];

  constructor(identities: number) {
    this.groupOf = new Int32Array(identities);
  }

  /** A policy and the identities it selects: each group it touches splits into its members and the rest. */
  add(c: CompiledPolicy, subjects: readonly IdentityState[]): void {
    const k = this.policies.push(c) - 1;
    const split = new Map<number, number>();
    for (const st of subjects) {
      const from = this.groupOf[st.identity.id]!;
      let to = split.get(from);
      if (to === undefined) split.set(from, (to = this.groups.push([...this.groups[from]!, k]) - 1));
      this.groupOf[st.identity.id] = to;
    }
  }

  attach(states: readonly IdentityState[]): void {
    const ordered = this.policies.flatMap((c, k) => c.rules.map((r) => ({ r, k })));
    ordered.sort((a, b) => compareDecisionOrder(a.r.policy, b.r.policy) || a.r.rule.ref.ruleIndex - b.r.rule.ref.ruleIndex);
    // Equal lists (groups whose extra policies add no rule in that direction) are one array.
    const shared = new Map<string, CompiledRule[]>();
    const listOf = (selected: ReadonlySet<number>, dir: Direction, layer: "admin" | "baseline") => {
      const rules: CompiledRule[] = [];
      let key = "";
      ordered.forEach(({ r, k }, i) => {
        if (!selected.has(k) || r.policy.layer !== layer || r.rule.direction !== dir) return;
        if (layer === "baseline" && r.rule.action === "pass") return;
        rules.push(r);
        key += `${i},`;
      });
      let list = shared.get(key);
      if (list === undefined) shared.set(key, (list = rules));
      return list;
    };
    type Lists = Record<Direction, { admin: CompiledRule[]; baseline: CompiledRule[] }>;
    // Built for the groups identities ended in (a group that split entirely has none).
    const lists = new Map<number, Lists>();
    const listsOf = (group: number): Lists => {
      let l = lists.get(group);
      if (l === undefined) {
        const selected = new Set(this.groups[group]);
        const both = (dir: Direction) => ({ admin: listOf(selected, dir, "admin"), baseline: listOf(selected, dir, "baseline") });
        lists.set(group, (l = { ingress: both("ingress"), egress: both("egress") }));
      }
      return l;
    };
    for (const st of states) {
      const id = st.identity;
      if (id.kind !== "pod" || id.hostNetwork) continue;
      const l = listsOf(this.groupOf[id.id]!);
      for (const dir of ["ingress", "egress"] as const) {
        st[dir].admin = l[dir].admin;
        st[dir].baseline = l[dir].baseline;
      }
    }
  }
}

/** Attach a policy of the other layers (constraint, exception, namespace) in the order given. */
function attach(st: IdentityState, c: CompiledPolicy): void {
  const { policy } = c;
  if (policy.layer === "namespace") {
    for (const dir of ["ingress", "egress"] as const)
      if (policy.policyTypes[dir] && !policy.nonIsolating?.[dir]) st[dir].npPolicies.push(policy);
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
      case "namespace":
        if (!policy.policyTypes[r.rule.direction]) break;
        if (r.rule.action === "deny") idx.npDeny.push(r);
        else if (r.rule.action === "allow") idx.npAllow.push(r);
        break;
    }
  }
}
