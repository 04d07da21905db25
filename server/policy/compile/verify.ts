/**
 * Console = cluster (DESIGN.md): the compiled objects of one cluster, read back
 * and evaluated with plain Kubernetes semantics, must decide every flow as the
 * platform's decision order over the documents does.
 *
 * The check covers every pair of engine identities (a representative pod per
 * identity of either side), every port and protocol the rules mention plus one
 * port no rule mentions, from every pod to the external addresses the rules
 * mention, and from those addresses to every pod. A difference is a
 * disagreement (an error of the compile) unless the target cannot express what
 * decided it; then it is reported as "not expressible" with the reason, as are
 * flows whose rule routes through an egress gateway (`via`: Istio routing, not
 * Kubernetes semantics).
 *
 * It decides one flow per (source class, destination class, port class) on
 * each side (./verify-classes.ts: endpoints and ports every rule treats alike),
 * which covers every flow of those classes: the figures count every flow, and
 * the findings listed (the first `maxFindings` of each kind) are decided flow by
 * flow. `verifyCompiledPairByPair` decides every pair; the tests hold the two equal.
 */
import {
  PLATFORM_DEFAULT_OFF,
  type FlowEndpoint,
  type PlatformDefault,
  type Protocol,
  type RuleRef,
  type SourceRef,
  type Verdict,
} from "../model";
import { createEvaluator, type Decision, type Evaluator, type Identity } from "../eval/evaluator";
import { readManifestSources } from "../read/manifests";
import { formatEndpoint } from "../flows";
import { formatPortProtocol } from "../util/text";
import type { CompileResult, CompileTarget } from "./compile";
import { toYaml } from "./compile";
import { API_VERSION } from "../documents/schema";
import { portClasses, SideSignatures, type RuleTags } from "./verify-classes";

export interface VerifyFinding {
  src: string;
  dst: string;
  port: number;
  protocol: Protocol;
  platform: Verdict;
  cluster: Verdict;
  /** "<cluster>/<target>" */
  where: string;
  kind: "disagreement" | "not-expressible";
  /** Why the target cannot express it (not-expressible only). */
  reason?: string;
  /** "Kind/name" of the documents whose rules decided the flow on the platform's side (empty: the platform default or Kubernetes' allow). */
  decidedBy: string[];
}

export interface VerifyResult {
  /** The first `maxFindings` disagreements. */
  disagreements: VerifyFinding[];
  /** The first `maxFindings` flows the target cannot express. */
  notExpressible: VerifyFinding[];
  /** Every disagreement, listed or not. */
  disagreementCount: number;
  /** Every flow the target cannot express, listed or not. */
  notExpressibleCount: number;
  /** Flows compared (every flow the classes cover). */
  flows: number;
  /** Flows decided on each side to cover them (at most one per class triple, plus the listed findings). */
  decided: number;
  /** Classes of endpoints as sources and as destinations, and of probe ports. */
  classes: { sources: number; destinations: number; ports: number };
}

export interface VerifyOptions {
  target: CompileTarget;
  platformDefault?: PlatformDefault;
  /** The instant both sides are decided at (the compile's `now`). */
  time: Date | string;
  /**
   * Also list what the target cannot express from outside the pod network and through egress
   * gateways (default true; lint and the editor only need the disagreements, which those flows never are).
   */
  listNotExpressible?: boolean;
  /**
   * How many findings of each kind to list (default: all). The counts cover every flow either way;
   * a caller that only shows a few keeps memory bounded on large clusters with this.
   */
  maxFindings?: number;
}

const PROTOCOL_ORDER: readonly Protocol[] = ["TCP", "UDP", "SCTP"];

/** One line of `compile --verify`: src, dst, port/proto, platform verdict, cluster verdict, cluster/target. */
export function formatVerifyFinding(f: VerifyFinding): string {
  const base = `${f.src} ${f.dst} ${formatPortProtocol(f.port, f.protocol)} platform=${f.platform} cluster=${f.cluster} ${f.where}`;
  return f.kind === "disagreement" ? base : `${base} not expressible: ${f.reason}`;
}

function ruleKey(kind: string, name: string, direction?: string, ruleIndex?: number): string {
  return direction === undefined ? `${kind}/${name}` : `${kind}/${name}#${direction}:${ruleIndex}`;
}

/** The probe ports: every port and range end the rules of either side name, and one port none names, per protocol used. */
function probePorts(sides: readonly Evaluator[], pods: readonly Identity[]): { port: number; protocol: Protocol }[] {
  const ranges = sides.flatMap((ev) => ev.rulePorts());
  const protocols = new Set<Protocol>(["TCP", ...ranges.map((r) => r.protocol)]);
  const named = new Set<string>();
  for (const ev of sides)
    for (const p of ev.policySet.policies)
      for (const r of p.rules) for (const m of r.ports ?? []) if (m.kind === "named") named.add(m.name);
  const out = new Map<string, { port: number; protocol: Protocol }>();
  const add = (port: number, protocol: Protocol) => out.set(`${port}/${protocol}`, { port, protocol });
  for (const r of ranges) {
    add(r.port, r.protocol);
    add(r.endPort, r.protocol);
  }
  for (const id of pods) for (const cp of id.ports) if (cp.name && named.has(cp.name)) add(cp.port, cp.protocol);
  for (const protocol of PROTOCOL_ORDER) {
    if (!protocols.has(protocol)) continue;
    let other = 65001;
    while (other > 1 && ranges.some((r) => r.protocol === protocol && other >= r.port && other <= r.endPort)) other--;
    add(other, protocol);
  }
  return [...out.values()];
}

/** The rules (by key) whose decisions the compiler reported as inexact, with its reason. */
export function inexactRules(compiled: CompileResult): Map<string, string> {
  const out = new Map<string, string>();
  for (const w of compiled.inexact) {
    const k = ruleKey(
      w.ref.kind,
      w.ref.name,
      "ruleIndex" in w.ref ? w.ref.direction : undefined,
      "ruleIndex" in w.ref ? w.ref.ruleIndex : undefined,
    );
    if (!out.has(k)) out.set(k, w.message);
  }
  return out;
}

function documentsDeciding(d: Decision): string[] {
  const out = new Set<string>();
  for (const e of [...(d.flow ? [d.flow] : []), ...d.egress.effects, ...d.ingress.effects])
    if (e.policy?.apiVersion === API_VERSION) out.add(`${e.policy.kind}/${e.policy.name}`);
  return [...out];
}

/** The compiler's reason why a rule (or, without one, a policy) is inexact; undefined when it is exact. */
function inexactReason(inexact: Map<string, string>, rule: RuleRef | undefined, policy: SourceRef | undefined): string | undefined {
  if (rule) return inexact.get(ruleKey(rule.kind, rule.name, rule.direction, rule.ruleIndex)) ?? inexact.get(ruleKey(rule.kind, rule.name));
  return policy ? inexact.get(ruleKey(policy.kind, policy.name)) : undefined;
}

function whyInexact(d: Decision, inexact: Map<string, string>): string | undefined {
  const effects = [...(d.flow ? [d.flow] : []), ...d.egress.effects, ...d.ingress.effects];
  for (const e of effects) {
    const r = inexactReason(inexact, e.rule, e.policy);
    if (r) return r;
  }
  return undefined;
}

const needsCilium = (policy: SourceRef | undefined) => policy?.kind.startsWith("Cilium") ?? false;

/**
 * What the classification of a disagreement reads from a rule or an isolating policy (see
 * notExpressibleBecause): endpoints only share a class when the rules that decide for them agree on it.
 */
function ruleTags(inexact: Map<string, string>): RuleTags {
  const tag = (rule: RuleRef | undefined, policy: SourceRef) =>
    `${inexactReason(inexact, rule, policy) !== undefined ? "+inexact" : ""}${needsCilium(policy) ? "+cilium" : ""}`;
  return { rule: (r) => tag(r.rule.ref, r.policy.ref), policy: (p) => tag(undefined, p.ref) };
}

/** Cilium objects exist only where ANP/CNP cannot express a rule: a decision they make needs Cilium. */
function decidedByCilium(d: Decision): string | undefined {
  for (const e of [...d.egress.effects, ...d.ingress.effects])
    if (e.policy && needsCilium(e.policy))
      return `decided by ${e.policy.kind} ${e.policy.namespace ? `${e.policy.namespace}/` : ""}${e.policy.name}, which needs Cilium`;
  return undefined;
}

/** Why a flow decided differently on the two sides is the target's limit, not a compile error; undefined when it is an error. */
export function notExpressibleBecause(
  platformDecision: Decision,
  clusterDecision: Decision,
  fromOutside: boolean,
  inexact: Map<string, string>,
): string | undefined {
  if (fromOutside)
    return "AdminNetworkPolicy and ClusterNetworkPolicy ingress peers are pods: traffic from outside the pod network cannot be matched";
  return (
    whyInexact(platformDecision, inexact) ??
    whyInexact(clusterDecision, inexact) ??
    decidedByCilium(clusterDecision) ??
    decidedByCilium(platformDecision)
  );
}

/** An endpoint of the check: a representative pod (or external address) and its identity on each side. */
interface Endpoint {
  endpoint: FlowEndpoint;
  p: Identity;
  c: Identity;
}

/** What both ways of checking share: the two evaluators, the endpoints and the probe ports. */
interface Plan {
  platform: Evaluator;
  cluster: Evaluator;
  where: string;
  /** The instant both sides decide at. */
  at: Date | string;
  pods: Endpoint[];
  externals: Endpoint[];
  ports: { port: number; protocol: Protocol }[];
  inexact: Map<string, string>;
  listAll: boolean;
}

function plan(compiled: CompileResult, options: VerifyOptions): Plan {
  const { model } = compiled.target;
  const platform = createEvaluator(model, compiled.lowered.policies, { secureByDefault: options.platformDefault ?? PLATFORM_DEFAULT_OFF });
  const back = readManifestSources([{ file: `${compiled.cluster}.yaml`, text: toYaml(compiled.objects) }]);
  const cluster = createEvaluator(model, back.policies);

  // A representative pod for every pair of (platform identity, cluster identity).
  const byName = new Map(cluster.podEntries.map((e) => [`${e.pod.namespace}/${e.pod.name}`, e.identity]));
  const reps = new Map<string, Endpoint>();
  for (const e of platform.podEntries) {
    const c = byName.get(`${e.pod.namespace}/${e.pod.name}`);
    if (!c) continue;
    const k = `${e.identity.id}|${c.id}`;
    if (!reps.has(k)) reps.set(k, { endpoint: { kind: "pod", namespace: e.pod.namespace, name: e.pod.name }, p: e.identity, c });
  }
  const pods = [...reps.values()];
  const externals: Endpoint[] = [];
  const seenExt = new Set<string>();
  for (const cand of [...platform.externalCandidates(), ...cluster.externalCandidates()]) {
    const p = platform.resolve(cand.endpoint);
    const c = cluster.resolve(cand.endpoint);
    if (!p.ok || !c.ok || p.value.kind !== "external") continue;
    const k = `${p.value.id}|${c.value.id}`;
    if (seenExt.has(k)) continue;
    seenExt.add(k);
    externals.push({ endpoint: cand.endpoint, p: p.value, c: c.value });
  }
  const ports = probePorts(
    [platform, cluster],
    pods.map((x) => x.p),
  );
  // A Date is read without parsing on every decision (a string would be parsed each time).
  const time = options.time;
  const at = typeof time === "string" && !Number.isNaN(Date.parse(time)) ? new Date(time) : time;
  return {
    platform,
    cluster,
    where: `${compiled.cluster}/${options.target}`,
    at,
    pods,
    externals,
    ports,
    inexact: inexactRules(compiled),
    listAll: options.listNotExpressible ?? true,
  };
}

/** The findings listed (the first `cap` of each kind) and the count of all. */
class Findings {
  readonly disagreements: VerifyFinding[] = [];
  readonly notExpressible: VerifyFinding[] = [];
  disagreementCount = 0;
  notExpressibleCount = 0;
  constructor(private readonly cap: number) {}

  private list(kind: VerifyFinding["kind"]): VerifyFinding[] {
    return kind === "disagreement" ? this.disagreements : this.notExpressible;
  }
  /** Whether another finding of this kind would be listed. */
  room(kind: VerifyFinding["kind"]): boolean {
    return this.list(kind).length < this.cap;
  }
  count(kind: VerifyFinding["kind"], n: number): void {
    if (kind === "disagreement") this.disagreementCount += n;
    else this.notExpressibleCount += n;
  }
  /** Count a finding and list it when there is room. */
  add(f: VerifyFinding): void {
    this.count(f.kind, 1);
    if (this.room(f.kind)) this.list(f.kind).push(f);
  }
}

interface Compared {
  a: Decision;
  b: Decision;
  /** Why the target cannot express it (undefined: a disagreement); only read when the verdicts differ. */
  reason: string | undefined;
}

function decideBoth(pl: Plan, src: Endpoint, dst: Endpoint, port: number, protocol: Protocol, fromOutside: boolean): Compared {
  // Uncached: the check decides each flow once, and a cache of every pair is what exhausted the heap.
  const a = pl.platform.decideUncached(src.p, dst.p, port, protocol, pl.at);
  const b = pl.cluster.decideUncached(src.c, dst.c, port, protocol, pl.at);
  return { a, b, reason: a.verdict === b.verdict ? undefined : notExpressibleBecause(a, b, fromOutside, pl.inexact) };
}

function finding(pl: Plan, src: Endpoint, dst: Endpoint, port: number, protocol: Protocol, { a, b, reason }: Compared): VerifyFinding {
  return {
    src: formatEndpoint(src.endpoint),
    dst: formatEndpoint(dst.endpoint),
    port,
    protocol,
    platform: a.verdict,
    cluster: b.verdict,
    where: pl.where,
    kind: reason ? "not-expressible" : "disagreement",
    ...(reason ? { reason } : {}),
    decidedBy: documentsDeciding(a),
  };
}

/**
 * `via`: the hop to the gateway is Kubernetes policy (compared with the rest); the gateway's leg
 * outside is Istio routing, which plain Kubernetes semantics do not see. Each such flow is listed
 * with the verdicts of its hop to the gateway.
 */
function viaRoutes(pl: Plan, compiled: CompileResult, out: Findings): void {
  for (const route of pl.listAll ? compiled.lowered.egressRoutes : []) {
    const gw = pl.pods.find(
      (x) =>
        x.p.kind === "pod" &&
        x.p.namespace === route.gatewayRef.namespace &&
        Object.entries(route.gatewayRef.selector).every(([k, v]) => x.p.labels[k] === v),
    );
    if (!gw) continue;
    for (const src of pl.pods) {
      const idx = pl.platform.subjectIndex(src.p.id).egress;
      const uses = [...idx.admin, ...idx.npAllow, ...idx.baseline, ...idx.exception].some(
        (r) => r.rule.via === route.gateway && r.rule.ref.name === route.ref.name && r.rule.ref.ruleIndex === route.ref.ruleIndex,
      );
      if (!uses) continue;
      for (const peer of route.peers) {
        const dst =
          peer.kind === "dns" ? peer.pattern : peer.kind === "ipBlock" ? peer.cidr : peer.kind === "entity" ? peer.entity : peer.kind;
        for (const p of route.ports ?? [null]) {
          const port = p?.kind === "number" && p.port !== undefined ? p.port : 443;
          const protocol = p?.protocol ?? "TCP";
          if (!out.room("not-expressible")) {
            out.count("not-expressible", 1);
            continue;
          }
          out.add({
            src: formatEndpoint(src.endpoint),
            dst,
            port,
            protocol,
            platform: pl.platform.decideUncached(src.p, gw.p, port, protocol, pl.at).verdict,
            cluster: pl.cluster.decideUncached(src.c, gw.c, port, protocol, pl.at).verdict,
            where: pl.where,
            kind: "not-expressible",
            reason: `routed through egress gateway ${route.gateway} (Istio routing); the verdicts are those of the hop to the gateway`,
            decidedBy: [`${route.ref.kind}/${route.ref.name}`],
          });
        }
      }
    }
  }
}

function result(out: Findings, flows: number, decided: number, classes: VerifyResult["classes"]): VerifyResult {
  return {
    disagreements: out.disagreements,
    notExpressible: out.notExpressible,
    disagreementCount: out.disagreementCount,
    notExpressibleCount: out.notExpressibleCount,
    flows,
    decided,
    classes,
  };
}

/** What a class triple decides: both verdicts, and whether a difference is the target's limit. */
interface Outcome {
  platform: Verdict;
  cluster: Verdict;
  inexact: boolean;
}

interface EndpointClass {
  members: Endpoint[];
}

function classify(list: readonly Endpoint[], key: (e: Endpoint) => string): EndpointClass[] {
  const byKey = new Map<string, EndpointClass>();
  for (const e of list) {
    const k = key(e);
    const c = byKey.get(k);
    if (c) c.members.push(e);
    else byKey.set(k, { members: [e] });
  }
  return [...byKey.values()];
}

/** Names that named-port clauses of either side look up. */
function namedPortNames(sides: readonly Evaluator[]): Set<string> {
  const out = new Set<string>();
  for (const ev of sides)
    for (const p of ev.policySet.policies) for (const r of p.rules) for (const m of r.ports ?? []) if (m.kind === "named") out.add(m.name);
  return out;
}

/**
 * Compare the platform's decision order over the lowered documents with the compiled objects
 * evaluated with plain Kubernetes semantics, for one cluster: one decision per class triple on
 * each side, every flow of the class counted, the listed findings decided flow by flow.
 */
export function verifyCompiled(compiled: CompileResult, options: VerifyOptions): VerifyResult {
  const pl = plan(compiled, options);
  const out = new Findings(options.maxFindings ?? Number.POSITIVE_INFINITY);
  const names = namedPortNames([pl.platform, pl.cluster]);
  const all = [...pl.pods, ...pl.externals];
  const sigP = new SideSignatures(
    pl.platform,
    all.map((e) => e.p),
    names,
    ruleTags(pl.inexact),
  );
  const sigC = new SideSignatures(
    pl.cluster,
    all.map((e) => e.c),
    names,
    ruleTags(pl.inexact),
  );
  const srcKey = (e: Endpoint) => `${sigP.src(e.p)}\u0003${sigC.src(e.c)}`;
  const dstKey = (e: Endpoint) => `${sigP.dst(e.p)}\u0003${sigC.dst(e.c)}`;
  const srcPods = classify(pl.pods, srcKey);
  const dstPods = classify(pl.pods, dstKey);
  const srcExternals = classify(pl.externals, srcKey);
  const dstExternals = classify(pl.externals, dstKey);
  const namedAt = new Set<string>();
  for (const e of pl.pods)
    for (const id of [e.p, e.c]) for (const cp of id.ports) if (cp.name && names.has(cp.name)) namedAt.add(`${cp.port}/${cp.protocol}`);
  const ports = portClasses(pl.ports, [...pl.platform.rulePorts(), ...pl.cluster.rulePorts()], namedAt);

  let flows = 0;
  let decided = 0;
  /**
   * Outcomes per port class of flows whose ends meet only through broad peer classes (or not at
   * all), by the rules' shapes and those classes: such flows decide alike whatever the classes.
   */
  const apart = new Map<string, Outcome[]>();
  const compare = (src: EndpointClass, dst: EndpointClass, fromOutside: boolean) => {
    const s = src.members[0]!;
    const d = dst.members[0]!;
    let outcomes: Outcome[] | undefined;
    let shapeKey: string | undefined;
    const meetP = sigP.meeting(s.p, d.p);
    const meetC = meetP === undefined ? undefined : sigC.meeting(s.c, d.c);
    if (meetP !== undefined && meetC !== undefined) {
      shapeKey = `${sigP.srcShape(s.p)}\u0003${sigC.srcShape(s.c)}\u0004${sigP.dstShape(d.p)}\u0003${sigC.dstShape(d.c)}\u0004${meetP}\u0003${meetC}`;
      outcomes = apart.get(shapeKey);
    }
    if (!outcomes) {
      outcomes = ports.map((pc) => {
        decided++;
        const rep = decideBoth(pl, s, d, pc.ports[0]!, pc.protocol, fromOutside);
        return { platform: rep.a.verdict, cluster: rep.b.verdict, inexact: rep.reason !== undefined };
      });
      if (shapeKey !== undefined) apart.set(shapeKey, outcomes);
    }
    for (const [i, pc] of ports.entries()) {
      const n = src.members.length * dst.members.length * pc.ports.length;
      flows += n;
      const rep = outcomes[i]!;
      if (rep.platform === rep.cluster) continue;
      const kind = rep.inexact ? "not-expressible" : "disagreement";
      if (!out.room(kind)) {
        out.count(kind, n);
        continue;
      }
      // List the class's flows one by one (each decided on its own) while there is room; count the rest.
      let left = n;
      fill: for (const x of src.members)
        for (const y of dst.members)
          for (const port of pc.ports) {
            if (!out.room(kind)) break fill;
            const one = decideBoth(pl, x, y, port, pc.protocol, fromOutside);
            decided++;
            if (one.a.verdict !== rep.platform || one.b.verdict !== rep.cluster || (one.reason !== undefined) !== rep.inexact)
              throw new Error(
                `verify: ${formatEndpoint(x.endpoint)} → ${formatEndpoint(y.endpoint)} ${formatPortProtocol(port, pc.protocol)} decides unlike its class in ${pl.where}`,
              );
            out.add(finding(pl, x, y, port, pc.protocol, one));
            left--;
          }
      out.count(kind, left);
    }
  };
  for (const src of srcPods) {
    const fromOutside = src.members[0]!.p.hostNetwork;
    for (const dst of dstPods) compare(src, dst, fromOutside);
    for (const dst of dstExternals) compare(src, dst, fromOutside);
  }
  if (pl.listAll) for (const src of srcExternals) for (const dst of dstPods) compare(src, dst, true);
  viaRoutes(pl, compiled, out);
  return result(out, flows, decided, {
    sources: srcPods.length + (pl.listAll ? srcExternals.length : 0),
    destinations: dstPods.length + dstExternals.length,
    ports: ports.length,
  });
}

/**
 * The reference the class-based check must equal: every pair of endpoints on every probe port,
 * decided one by one. Quadratic in identities: for tests and small clusters only.
 */
export function verifyCompiledPairByPair(compiled: CompileResult, options: VerifyOptions): VerifyResult {
  const pl = plan(compiled, options);
  const out = new Findings(options.maxFindings ?? Number.POSITIVE_INFINITY);
  let flows = 0;
  const compare = (src: Endpoint, dst: Endpoint, fromOutside: boolean) => {
    for (const { port, protocol } of pl.ports) {
      flows++;
      const c = decideBoth(pl, src, dst, port, protocol, fromOutside);
      if (c.a.verdict !== c.b.verdict) out.add(finding(pl, src, dst, port, protocol, c));
    }
  };
  for (const src of pl.pods) {
    const fromOutside = src.p.hostNetwork;
    for (const dst of pl.pods) compare(src, dst, fromOutside);
    for (const dst of pl.externals) compare(src, dst, fromOutside);
  }
  if (pl.listAll) for (const src of pl.externals) for (const dst of pl.pods) compare(src, dst, true);
  viaRoutes(pl, compiled, out);
  const sources = pl.pods.length + (pl.listAll ? pl.externals.length : 0);
  return result(out, flows, flows, { sources, destinations: pl.pods.length + pl.externals.length, ports: pl.ports.length });
}
