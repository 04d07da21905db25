/**
 * Equivalence classes for the compile check (./verify.ts): endpoints and probe ports that every
 * rule of one evaluator treats alike, so the check decides one representative flow per class
 * instead of every pair.
 *
 * A decision from `src` to `dst` (../eval/decide.ts) reads only:
 * - of the source: whether egress applies (a pod on the pod network), the rules attached to its
 *   egress (each list in order, the isolating policies, the platform default) and, as a peer,
 *   which peers of ingress rules match it;
 * - of the destination: whether ingress applies, the rules attached to its ingress, which peers of
 *   egress rules match it, and its container ports that named-port clauses look up;
 * - of the port: its protocol, which numbered port ranges contain it, and which named ports of
 *   some destination it is.
 * Rules are compared by what decides with them (action, ports, the peers' classes, the exception
 * window) and by what the check reads from a rule to classify a disagreement (whether the compiler
 * called it inexact, whether it needs Cilium), not by which object holds them: many policies that
 * say the same thing to different pods (one per workload) put those pods in one class. Peers are
 * compared by the set of endpoints they match, computed with the engine's own matchers, so the
 * classes are exact by construction; pods in one class differ only in what no decision reads.
 */
import { attachedRules, type CompiledRule, type Evaluator, type Identity, type PeerMatcher, type SubjectIndex } from "../eval/evaluator";
import type { Policy, Protocol } from "../model";

/** What the check reads from a rule or an isolating policy besides its semantics: "" when nothing. */
export interface RuleTags {
  rule(r: CompiledRule): string;
  policy(p: Policy): string;
}

/** Source and destination class keys of one evaluator's identities. */
export class SideSignatures {
  private readonly index = new Map<number, number>();
  private readonly srcKeys: string[];
  private readonly dstKeys: string[];
  private readonly srcShapes: string[];
  private readonly dstShapes: string[];
  /** Per endpoint: the peer classes of the rules attached to its egress, and to its ingress. */
  private readonly egressPeers: number[][];
  private readonly ingressPeers: number[][];
  /** Per peer class: the endpoints (positions) it matches. */
  private readonly classMembers: Set<number>[] = [];
  /**
   * Peer classes that match a quarter of the endpoints or more (e.g. "every pod"). Shapes keep them;
   * a flow whose ends only meet through such classes shares its decision with every flow of the
   * same shapes that meets through the same ones.
   */
  private readonly broad: boolean[] = [];
  private readonly ruleIds = new Map<CompiledRule, number>();
  private readonly ruleIdByKey = new Map<string, number>();
  private readonly shapeIds = new Map<CompiledRule, number>();
  private readonly shapeIdByKey = new Map<string, number>();
  private readonly matcherClass = new Map<PeerMatcher, number>();

  /**
   * `identities`: every endpoint the check will decide flows for on this side (pods and externals);
   * `portNames`: the names that named-port clauses of either side look up.
   */
  constructor(
    private readonly ev: Evaluator,
    identities: readonly Identity[],
    portNames: ReadonlySet<string>,
    private readonly tags: RuleTags,
  ) {
    const unique: Identity[] = [];
    for (const id of identities)
      if (!this.index.has(id.id)) {
        this.index.set(id.id, unique.length);
        unique.push(id);
      }

    // The rules a decision between these endpoints can walk, by the direction their peers are matched in.
    const egressRules = new Set<CompiledRule>();
    const ingressRules = new Set<CompiledRule>();
    for (const id of unique) {
      if (id.kind !== "pod" || id.hostNetwork) continue;
      const idx = ev.subjectIndex(id.id);
      for (const r of attachedRules(idx.egress)) egressRules.add(r);
      for (const r of attachedRules(idx.ingress)) ingressRules.add(r);
    }

    // Peer classes: matchers that match the same endpoints are one class (the engine's matchers decide).
    const byNamespace = new Map<string, { nsLabels: Identity["labels"]; members: number[] }>();
    unique.forEach((id, i) => {
      if (id.kind !== "pod" || id.hostNetwork) return;
      const g = byNamespace.get(id.namespace);
      if (g) g.members.push(i);
      else byNamespace.set(id.namespace, { nsLabels: id.nsLabels, members: [i] });
    });
    const namespacesByKey = new Map<string, string[]>();
    const classBySet = new Map<string, number>();
    const classMembers: number[][] = [];
    const matchSet = (m: PeerMatcher): number[] => {
      const out: number[] = [];
      if (m.kind === "workloads") {
        // A workload selector only matches pods of the namespaces its namespace half picks.
        let namespaces = namespacesByKey.get(m.namespaceKey);
        if (!namespaces) {
          namespaces = [...byNamespace].filter(([ns, g]) => m.selectsNamespace(ns, g.nsLabels)).map(([ns]) => ns);
          namespacesByKey.set(m.namespaceKey, namespaces);
        }
        for (const ns of namespaces) for (const i of byNamespace.get(ns)!.members) if (m.matches(unique[i]!)) out.push(i);
        out.sort((a, b) => a - b);
      } else {
        unique.forEach((id, i) => {
          if (m.matches(id)) out.push(i);
        });
      }
      return out;
    };
    const used = { ingress: new Set<number>(), egress: new Set<number>() };
    for (const [rules, dir] of [
      [egressRules, "egress"],
      [ingressRules, "ingress"],
    ] as const)
      for (const r of rules)
        for (const m of r.peers ?? []) {
          let c = this.matcherClass.get(m);
          if (c === undefined) {
            const set = matchSet(m);
            const key = set.join(",");
            c = classBySet.get(key);
            if (c === undefined) {
              c = classMembers.length;
              classBySet.set(key, c);
              classMembers.push(set);
              this.classMembers.push(new Set(set));
              this.broad.push(set.length * 4 >= unique.length);
            }
            this.matcherClass.set(m, c);
          }
          used[dir].add(c);
        }

    // Which peer classes hold each endpoint: as a source for ingress rules, as a destination for egress rules.
    const asSource: number[][] = unique.map(() => []);
    const asDestination: number[][] = unique.map(() => []);
    classMembers.forEach((members, c) => {
      if (used.ingress.has(c)) for (const i of members) asSource[i]!.push(c);
      if (used.egress.has(c)) for (const i of members) asDestination[i]!.push(c);
    });

    const peersOf = (rules: readonly CompiledRule[]) => [
      ...new Set(rules.flatMap((r) => (r.peers ?? []).map((m) => this.matcherClass.get(m)!))),
    ];
    const subject = (id: Identity) => id.kind === "pod" && !id.hostNetwork;
    this.egressPeers = unique.map((id) => (subject(id) ? peersOf(attachedRules(ev.subjectIndex(id.id).egress)) : []));
    this.ingressPeers = unique.map((id) => (subject(id) ? peersOf(attachedRules(ev.subjectIndex(id.id).ingress)) : []));
    const named = (id: Identity) =>
      id.ports
        .filter((p) => p.name !== undefined && portNames.has(p.name))
        .map((p) => `${p.name}:${p.port}/${p.protocol}`)
        .sort()
        .join(",");
    const kind = (id: Identity) => `${id.kind}${id.hostNetwork ? "+host" : ""}`;
    this.srcShapes = unique.map((id) => `${kind(id)}|${subject(id) ? this.indexKey(ev.subjectIndex(id.id).egress, true) : ""}`);
    this.dstShapes = unique.map(
      (id) => `${kind(id)}|${subject(id) ? this.indexKey(ev.subjectIndex(id.id).ingress, true) : ""}|${named(id)}`,
    );

    this.srcKeys = unique.map(
      (id, i) => `${kind(id)}|${subject(id) ? this.indexKey(ev.subjectIndex(id.id).egress) : ""}|${asSource[i]!.join(",")}`,
    );
    this.dstKeys = unique.map(
      (id, i) =>
        `${kind(id)}|${subject(id) ? this.indexKey(ev.subjectIndex(id.id).ingress) : ""}|${asDestination[i]!.join(",")}|${named(id)}`,
    );
  }

  /** The class key of an endpoint as the source of a flow. */
  src(id: Identity): string {
    return this.srcKeys[this.position(id)]!;
  }

  /** The class key of an endpoint as the destination of a flow. */
  dst(id: Identity): string {
    return this.dstKeys[this.position(id)]!;
  }

  /**
   * For a flow from `src` to `dst`: undefined when a narrow peer class of a rule it walks (one of
   * `src`'s egress rules, one of `dst`'s ingress rules) matches the other end; otherwise which
   * broad classes of those rules match it. Flows with equal shapes and equal answers decide alike:
   * every narrow peer fails to match, and the broad ones match as the answer says.
   */
  meeting(src: Identity, dst: Identity): string | undefined {
    const s = this.position(src);
    const d = this.position(dst);
    let out = "";
    for (const c of this.egressPeers[s]!)
      if (this.classMembers[c]!.has(d)) {
        if (!this.broad[c]) return undefined;
        out += `e${c}.`;
      }
    for (const c of this.ingressPeers[d]!)
      if (this.classMembers[c]!.has(s)) {
        if (!this.broad[c]) return undefined;
        out += `i${c}.`;
      }
    return out;
  }

  /** The source's key with only the broad peer classes of its rules (see `meeting`). */
  srcShape(id: Identity): string {
    return this.srcShapes[this.position(id)]!;
  }

  /** The destination's key with only the broad peer classes of its rules (see `meeting`). */
  dstShape(id: Identity): string {
    return this.dstShapes[this.position(id)]!;
  }

  private position(id: Identity): number {
    const i = this.index.get(id.id);
    if (i === undefined) throw new Error(`verify: identity ${id.example} was not classified`);
    return i;
  }

  /** A rule by what decides with it: equal for rules of different policies that say the same. */
  private ruleId(r: CompiledRule): number {
    return this.numbered(r, this.ruleIds, this.ruleIdByKey, (m) => this.matcherClass.get(m)!);
  }

  /** A rule with only its broad peer classes; narrow ones are marked "n" (a rule without peers matches every peer). */
  private shapeId(r: CompiledRule): number {
    return this.numbered(r, this.shapeIds, this.shapeIdByKey, (m) => {
      const c = this.matcherClass.get(m)!;
      return this.broad[c] ? c : "n";
    });
  }

  /** Numbers a rule by its action, window, ports, peers (as `peer` spells each) and tags: equal keys, one number. */
  private numbered(
    r: CompiledRule,
    byRule: Map<CompiledRule, number>,
    byKey: Map<string, number>,
    peer: (m: PeerMatcher) => number | string,
  ): number {
    let id = byRule.get(r);
    if (id !== undefined) return id;
    const key = [
      r.rule.action,
      r.activeFrom,
      r.activeUntil,
      r.rule.ports ? JSON.stringify(r.rule.ports) : "*",
      r.peers ? r.peers.map(peer).join(".") : "*",
      this.tags.rule(r),
    ].join("\u0001");
    id = byKey.get(key);
    if (id === undefined) byKey.set(key, (id = byKey.size));
    byRule.set(r, id);
    return id;
  }

  /** One direction's attached rules, list by list in decision order (`shape`: with only their broad peers). */
  private indexKey(idx: SubjectIndex, shape = false): string {
    const lists = [idx.constraint, idx.exception, idx.admin, idx.npDeny, idx.npAllow, idx.baseline];
    const isolated = idx.npPolicies[0];
    const id = (r: CompiledRule) => (shape ? this.shapeId(r) : this.ruleId(r));
    return `${lists.map((l) => l.map(id).join(".")).join("/")}/${isolated ? `isolated${this.tags.policy(isolated)}` : ""}/${idx.defaultDeny ? "default-deny" : ""}`;
  }
}

export interface PortClass {
  protocol: Protocol;
  ports: number[];
}

/**
 * Probe ports grouped by protocol and by which numbered ranges of either side contain them. A port
 * that some endpoint names with a name a rule looks up is a class of its own (named clauses match
 * it on that endpoint only).
 */
export function portClasses(
  probes: readonly { port: number; protocol: Protocol }[],
  ranges: readonly { port: number; endPort: number; protocol: Protocol }[],
  namedAt: ReadonlySet<string>,
): PortClass[] {
  const byKey = new Map<string, PortClass>();
  for (const { port, protocol } of probes) {
    const inRanges = ranges.map((r) => (r.protocol === protocol && port >= r.port && port <= r.endPort ? "1" : "0")).join("");
    const key = `${protocol}|${inRanges}|${namedAt.has(`${port}/${protocol}`) ? port : ""}`;
    const c = byKey.get(key);
    if (c) c.ports.push(port);
    else byKey.set(key, { protocol, ports: [port] });
  }
  return [...byKey.values()];
}
