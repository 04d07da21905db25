/**
 * Console = cluster (DESIGN.md): the compiled objects of one cluster, read back
 * and evaluated with plain Kubernetes semantics, must decide every flow as the
 * platform's decision order over the documents does.
 *
 * The check probes every pair of engine identities (a representative pod per
 * identity of either side), every port and protocol the rules mention plus one
 * port no rule mentions, from every pod to the external addresses the rules
 * mention, and from those addresses to every pod. A difference is a
 * disagreement (an error of the compile) unless the target cannot express what
 * decided it; then it is reported as "not expressible" with the reason, as are
 * flows whose rule routes through an egress gateway (`via`: Istio routing, not
 * Kubernetes semantics).
 */
import { PLATFORM_DEFAULT_OFF, type FlowEndpoint, type PlatformDefault, type Protocol, type Verdict } from "../model";
import { createEvaluator, type Decision, type Evaluator, type Identity } from "../eval/evaluator";
import { readManifestSources } from "../read/manifests";
import { formatEndpoint } from "../flows";
import { formatPortProtocol } from "../util/text";
import type { CompileResult, CompileTarget } from "./compile";
import { toYaml } from "./compile";
import { API_VERSION } from "../documents/schema";

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
  disagreements: VerifyFinding[];
  notExpressible: VerifyFinding[];
  /** Flows compared. */
  flows: number;
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

function whyInexact(d: Decision, inexact: Map<string, string>): string | undefined {
  const effects = [...(d.flow ? [d.flow] : []), ...d.egress.effects, ...d.ingress.effects];
  for (const e of effects) {
    const r = e.rule
      ? (inexact.get(ruleKey(e.rule.kind, e.rule.name, e.rule.direction, e.rule.ruleIndex)) ??
        inexact.get(ruleKey(e.rule.kind, e.rule.name)))
      : e.policy
        ? inexact.get(ruleKey(e.policy.kind, e.policy.name))
        : undefined;
    if (r) return r;
  }
  return undefined;
}

/** Cilium objects exist only where ANP/CNP cannot express a rule: a decision they make needs Cilium. */
function decidedByCilium(d: Decision): string | undefined {
  for (const e of [...d.egress.effects, ...d.ingress.effects])
    if (e.policy?.kind.startsWith("Cilium"))
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

/**
 * Compare the platform's decision order over the lowered documents with the compiled objects
 * evaluated with plain Kubernetes semantics, for one cluster.
 */
export function verifyCompiled(compiled: CompileResult, options: VerifyOptions): VerifyResult {
  const { model } = compiled.target;
  const where = `${compiled.cluster}/${options.target}`;
  const platform = createEvaluator(model, compiled.lowered.policies, { secureByDefault: options.platformDefault ?? PLATFORM_DEFAULT_OFF });
  const back = readManifestSources([{ file: `${compiled.cluster}.yaml`, text: toYaml(compiled.objects) }]);
  const cluster = createEvaluator(model, back.policies);
  const time = options.time;

  // A representative pod for every pair of (platform identity, cluster identity).
  const byName = new Map(cluster.podEntries.map((e) => [`${e.pod.namespace}/${e.pod.name}`, e.identity]));
  const reps = new Map<string, { endpoint: FlowEndpoint; p: Identity; c: Identity }>();
  for (const e of platform.podEntries) {
    const c = byName.get(`${e.pod.namespace}/${e.pod.name}`);
    if (!c) continue;
    const k = `${e.identity.id}|${c.id}`;
    if (!reps.has(k)) reps.set(k, { endpoint: { kind: "pod", namespace: e.pod.namespace, name: e.pod.name }, p: e.identity, c });
  }
  const pods = [...reps.values()];
  const externals: { endpoint: FlowEndpoint; p: Identity; c: Identity }[] = [];
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
  const inexact = inexactRules(compiled);
  const result: VerifyResult = { disagreements: [], notExpressible: [], flows: 0 };

  const compare = (src: (typeof pods)[number], dst: (typeof pods)[number], fromOutside: boolean) => {
    for (const { port, protocol } of ports) {
      result.flows++;
      const a = platform.decideIdentities(src.p, dst.p, port, protocol, time);
      const b = cluster.decideIdentities(src.c, dst.c, port, protocol, time);
      if (a.verdict === b.verdict) continue;
      const reason = notExpressibleBecause(a, b, fromOutside, inexact);
      const finding: VerifyFinding = {
        src: formatEndpoint(src.endpoint),
        dst: formatEndpoint(dst.endpoint),
        port,
        protocol,
        platform: a.verdict,
        cluster: b.verdict,
        where,
        kind: reason ? "not-expressible" : "disagreement",
        ...(reason ? { reason } : {}),
        decidedBy: documentsDeciding(a),
      };
      (reason ? result.notExpressible : result.disagreements).push(finding);
    }
  };
  for (const src of pods) {
    const fromOutside = src.p.hostNetwork;
    for (const dst of pods) compare(src, dst, fromOutside);
    for (const dst of externals) compare(src, dst, fromOutside);
  }
  const listAll = options.listNotExpressible ?? true;
  if (listAll) for (const src of externals) for (const dst of pods) compare(src, dst, true);

  // `via`: the hop to the gateway is Kubernetes policy (compared above); the gateway's leg outside is
  // Istio routing, which plain Kubernetes semantics do not see. Each such flow is listed with the
  // verdicts of its hop to the gateway.
  for (const route of listAll ? compiled.lowered.egressRoutes : []) {
    const gw = pods.find(
      (x) =>
        x.p.kind === "pod" &&
        x.p.namespace === route.gatewayRef.namespace &&
        Object.entries(route.gatewayRef.selector).every(([k, v]) => x.p.labels[k] === v),
    );
    if (!gw) continue;
    for (const src of pods) {
      const idx = platform.subjectIndex(src.p.id).egress;
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
          const a = platform.decideIdentities(src.p, gw.p, port, protocol, time).verdict;
          const b = cluster.decideIdentities(src.c, gw.c, port, protocol, time).verdict;
          result.notExpressible.push({
            src: formatEndpoint(src.endpoint),
            dst,
            port,
            protocol,
            platform: a,
            cluster: b,
            where,
            kind: "not-expressible",
            reason: `routed through egress gateway ${route.gateway} (Istio routing); the verdicts are those of the hop to the gateway`,
            decidedBy: [`${route.ref.kind}/${route.ref.name}`],
          });
        }
      }
    }
  }
  return result;
}
