/**
 * Compiler: Policyplane documents (lowered to the IR for one cluster) →
 * Kubernetes objects that cluster enforces.
 *
 * | IR layer            | rendered as                                                        |
 * |---------------------|--------------------------------------------------------------------|
 * | constraint          | AdminNetworkPolicy, priority 0, Deny rules                          |
 * | exception (active)  | AdminNetworkPolicy, priority 1, Allow rules (+ a mirrored Allow at  |
 * |                     | workload peers, so the flow is allowed in both directions as the    |
 * |                     | engine's exception layer does), expiry in an annotation            |
 * | admin (tiers)       | AdminNetworkPolicy, priority = tier band + rank within the tier     |
 * | namespace           | NetworkPolicy per (policy, namespace) + CiliumNetworkPolicy for     |
 * |                     | DNS names and the world/cluster entities                           |
 * | baseline            | BaselineAdminNetworkPolicy "default" (one per cluster)             |
 * | platform default    | deny-all rules at the end of the BaselineAdminNetworkPolicy, or a  |
 * | (secure by default) | ClusterNetworkPolicy in tier Baseline at priority 1000 (the last)  |
 * | via egress routes   | Istio ServiceEntry, Gateway, DestinationRule, VirtualService       |
 * With target "cnp-v1alpha2", the admin and baseline objects are ClusterNetworkPolicy
 * (tier Admin|Baseline) instead.
 *
 * What the targets cannot say exactly is reported as a warning, located at the
 * source rule, never dropped silently:
 * - DNS names, `world`, and ingress CIDRs in the admin layers (ANP v1alpha1 has no
 *   such peers): rendered as a CiliumClusterwideNetworkPolicy, which Cilium applies
 *   outside the admin priority order (its denies win over every allow).
 * - `cluster` as an ingress peer of an admin rule: ANP ingress peers are pods only, nodes are lost.
 * - A named port with a protocol in an admin rule: ANP namedPort has no protocol.
 * - Exceptions: Kubernetes does not expire objects; the Allow stays until a later
 *   release leaves it out. Exceptions with CIDR peers are only mirrored for pods by selector.
 * - toFQDNs needs Cilium's DNS proxy: the CiliumNetworkPolicy also allows DNS to kube-dns.
 * - BaselineAdminNetworkPolicy v1alpha1 is a singleton with one subject: baseline
 *   policies with another subject cannot be rendered (use cnp-v1alpha2).
 * - More than 300 policies in one admin tier do not fit its priority band.
 */
import { stringify } from "yaml";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { PolicyInputError } from "../errors";
import {
  ADMIN_TIER_ORDER,
  MATCH_ALL,
  NS_NAME_LABEL,
  PLATFORM_DEFAULT_OFF,
  type AdminTier,
  type LabelSelector,
  type NamespaceMatch,
  type Peer,
  type PlatformDefault,
  type Policy,
  type PolicyRule,
  type PortMatch,
  type RuleRef,
  type SourceRef,
} from "../model";
import { compareDecisionOrder } from "../eval/evaluator";
import { compileNamespaceMatch, isEmptySelector } from "../eval/selectors";
import { readManifestSources } from "../read/manifests";
import { lowerDocuments, type LowerResult, type TargetCluster } from "../documents/lower";
import type { LocatedDocument } from "../documents/read";
import { formatPeer } from "../util/text";
import { subtractCidrs } from "./cidr";
import { MANAGED_BY } from "./managed-by";
import { renderEgressRoute, validateIstio, type IstioObject } from "./istio";

export type CompileTarget = "anp" | "cnp-v1alpha2";
export const COMPILE_TARGETS: readonly CompileTarget[] = ["anp", "cnp-v1alpha2"];

export interface CompileOptions {
  target?: CompileTarget;
  /** Release identifier written to every object (annotation policyplane.io/release). */
  release?: string;
  /** Exceptions that have not started or have expired at this instant are left out (default: now). */
  now?: Date | string;
  /** The platform default (secure by default) to render as the last baseline rule; default off. */
  platformDefault?: PlatformDefault;
  /** Its version, written to the rendered object's annotations. */
  platformDefaultVersion?: string;
}

export { MANAGED_BY };
export const ANNOTATION = {
  source: "policyplane.io/source",
  version: "policyplane.io/source-version",
  release: "policyplane.io/release",
  cluster: "policyplane.io/cluster",
  tier: "policyplane.io/tier",
  priority: "policyplane.io/priority",
  expiresAt: "policyplane.io/expires-at",
  startsAt: "policyplane.io/starts-at",
} as const;

/** Admin-layer priority bands (lower is evaluated first). */
export const PRIORITY_BAND = { constraint: 0, exception: 1, global: 100, regional: 400, cluster: 700 } as const;
const BAND_WIDTH = 300;

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels: Record<string, string>; annotations: Record<string, string> };
  spec: Record<string, unknown>;
}

export interface CompiledObject {
  object: K8sObject;
  /** Relative output path: <cluster>/<namespace or _cluster>/<kind>-<name>.yaml */
  path: string;
}

export interface CompileResult {
  cluster: string;
  objects: CompiledObject[];
  /** What the target cannot express exactly (and other notes on the rendering), located at the source rule. */
  warnings: PolicyInputError[];
  /** The rules (or policies) the target cannot express exactly, with why: `verifyCompiled` reports flows they decide as not expressible. */
  inexact: { ref: SourceRef | RuleRef; message: string }[];
  /**
   * What makes the output unfit to apply: two documents rendering different objects under one
   * name (only one can be written), and rendered objects that fail their schema (a compiler bug).
   */
  errors: PolicyInputError[];
  lowered: LowerResult;
  /** The cluster compiled for. */
  target: TargetCluster;
}

type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------
// Selectors, ports

export function k8sSelector(sel: LabelSelector): Json {
  const out: Json = {};
  if (Object.keys(sel.matchLabels).length > 0) out.matchLabels = { ...sel.matchLabels };
  if (sel.matchExpressions.length > 0)
    out.matchExpressions = sel.matchExpressions.map((e) =>
      e.operator === "In" || e.operator === "NotIn"
        ? { key: e.key, operator: e.operator, values: [...e.values] }
        : { key: e.key, operator: e.operator },
    );
  return out;
}

function nsSelector(m: NamespaceMatch, home?: string): LabelSelector {
  if (m.kind === "names") return { matchLabels: {}, matchExpressions: [{ key: NS_NAME_LABEL, operator: "In", values: [...m.names] }] };
  if (m.kind === "policy") return { matchLabels: home ? { [NS_NAME_LABEL]: home } : {}, matchExpressions: [] };
  return m.selector;
}

const KUBE_DNS = {
  ns: { matchLabels: { [NS_NAME_LABEL]: "kube-system" }, matchExpressions: [] },
  pods: { matchLabels: { "k8s-app": "kube-dns" }, matchExpressions: [] },
} satisfies { ns: LabelSelector; pods: LabelSelector };

function npPort(p: PortMatch): Json {
  if (p.kind === "named") return { protocol: p.protocol ?? "TCP", port: p.name };
  return {
    protocol: p.protocol,
    ...(p.port !== undefined ? { port: p.port } : {}),
    ...(p.endPort !== undefined && p.endPort !== p.port ? { endPort: p.endPort } : {}),
  };
}

function anpPort(p: PortMatch): Json {
  if (p.kind === "named") return { namedPort: p.name };
  if (p.port === undefined) return { portRange: { protocol: p.protocol, start: 1, end: 65535 } };
  if (p.endPort !== undefined && p.endPort !== p.port) return { portRange: { protocol: p.protocol, start: p.port, end: p.endPort } };
  return { portNumber: { protocol: p.protocol, port: p.port } };
}

function cnpProtocol(p: PortMatch): Json {
  if (p.kind === "named") return { destinationNamedPort: p.name };
  const key = p.protocol.toLowerCase();
  if (p.port === undefined) return { [key]: {} };
  if (p.endPort !== undefined && p.endPort !== p.port) return { [key]: { destinationPort: { range: { start: p.port, end: p.endPort } } } };
  return { [key]: { destinationPort: { number: p.port } } };
}

function ciliumPort(p: PortMatch): Json {
  if (p.kind === "named") return { port: p.name, protocol: p.protocol ?? "ANY" };
  return {
    port: String(p.port ?? 0),
    protocol: p.protocol,
    ...(p.endPort !== undefined && p.endPort !== p.port ? { endPort: p.endPort } : {}),
  };
}

/** Cilium endpoint selector for a subject in a clusterwide policy (namespace labels become io.cilium.k8s.namespace.labels.*). */
function ciliumClusterSelector(namespaces: NamespaceMatch, pods: LabelSelector): Json {
  const ns = nsSelector(namespaces);
  const key = (k: string) => (k === NS_NAME_LABEL ? "k8s:io.kubernetes.pod.namespace" : `k8s:io.cilium.k8s.namespace.labels.${k}`);
  const sel: LabelSelector = {
    matchLabels: { ...Object.fromEntries(Object.entries(ns.matchLabels).map(([k, v]) => [key(k), v])), ...pods.matchLabels },
    matchExpressions: [...ns.matchExpressions.map((e) => ({ ...e, key: key(e.key) })), ...pods.matchExpressions],
  };
  return k8sSelector(sel);
}

// ---------------------------------------------------------------------------

interface Ctx {
  cluster: TargetCluster;
  target: CompileTarget;
  release?: string;
  objects: K8sObject[];
  warnings: PolicyInputError[];
  inexact: CompileResult["inexact"];
}

function rulePath(ref: SourceRef | RuleRef): string {
  if (!("ruleIndex" in ref)) return "";
  return ref.kind === "Policy" ? `spec.rules[${ref.ruleIndex}]` : "spec";
}

/** A warning located at the source rule; unless `exact`, the rule is one the target cannot express exactly. */
function warn(ctx: Ctx, ref: SourceRef | RuleRef, message: string, exact = false): void {
  const w = new PolicyInputError({
    file: ref.file ?? `${ref.kind}/${ref.name}`,
    line: ref.line,
    column: ref.column,
    path: rulePath(ref),
    message,
    severity: "warning",
  });
  if (!ctx.warnings.some((x) => x.message === w.message)) ctx.warnings.push(w);
  if (!exact) ctx.inexact.push({ ref, message });
}

function metadata(
  ctx: Ctx,
  name: string,
  sources: readonly Policy[],
  extra: Record<string, string> = {},
  namespace?: string,
): K8sObject["metadata"] {
  const refs = sources.map((p) => p.ref);
  const versions = refs.map((r) => r.version).filter((v): v is string => !!v);
  return {
    name,
    ...(namespace ? { namespace } : {}),
    labels: { ...MANAGED_BY },
    annotations: {
      [ANNOTATION.source]: refs.map((r) => `${r.kind}/${r.name}`).join(","),
      ...(versions.length > 0 ? { [ANNOTATION.version]: versions.join(",") } : {}),
      ...(ctx.release ? { [ANNOTATION.release]: ctx.release } : {}),
      [ANNOTATION.cluster]: ctx.cluster.name,
      ...extra,
    },
  };
}

// ---------------------------------------------------------------------------
// Cilium rules (namespace-tier companions and admin-layer fallbacks)

interface CiliumRules {
  ingress: Json[];
  egress: Json[];
  ingressDeny: Json[];
  egressDeny: Json[];
  fqdn: boolean;
}

const emptyCilium = (): CiliumRules => ({ ingress: [], egress: [], ingressDeny: [], egressDeny: [], fqdn: false });

/** Add one rule's Cilium-only peers; returns the peers Cilium cannot take either. */
function addCiliumRule(acc: CiliumRules, rule: PolicyRule, peers: readonly Peer[]): Peer[] {
  const rest: Peer[] = [];
  const ingress = rule.direction === "ingress";
  const r: Json = {};
  const entities: string[] = [];
  const fqdns: Json[] = [];
  const cidrs: Json[] = [];
  for (const p of peers) {
    if (p.kind === "entity" && (p.entity === "world" || p.entity === "cluster" || p.entity === "all")) entities.push(p.entity);
    else if (p.kind === "dns" && !ingress) fqdns.push(p.pattern.includes("*") ? { matchPattern: p.pattern } : { matchName: p.pattern });
    else if (p.kind === "ipBlock") cidrs.push({ cidr: p.cidr, ...(p.except.length > 0 ? { except: [...p.except] } : {}) });
    else rest.push(p);
  }
  if (entities.length > 0) r[ingress ? "fromEntities" : "toEntities"] = entities;
  if (fqdns.length > 0) {
    r.toFQDNs = fqdns;
    acc.fqdn = true;
  }
  if (cidrs.length > 0) r[ingress ? "fromCIDRSet" : "toCIDRSet"] = cidrs;
  if (Object.keys(r).length === 0) return rest;
  if (rule.ports) r.toPorts = [{ ports: rule.ports.map(ciliumPort) }];
  const key = `${rule.direction}${rule.action === "deny" ? "Deny" : ""}` as keyof Omit<CiliumRules, "fqdn">;
  acc[key].push(r);
  return rest;
}

/** The rule Cilium's DNS proxy needs for toFQDNs: DNS to kube-dns, with DNS visibility. */
const DNS_VISIBILITY: Json = {
  toEndpoints: [{ matchLabels: { "k8s:io.kubernetes.pod.namespace": "kube-system", "k8s:k8s-app": "kube-dns" } }],
  toPorts: [{ ports: [{ port: "53", protocol: "ANY" }], rules: { dns: [{ matchPattern: "*" }] } }],
};

function ciliumSpec(acc: CiliumRules, endpointSelector: Json, defaultDeny: boolean): Json {
  const spec: Json = { endpointSelector };
  if (!defaultDeny) spec.enableDefaultDeny = { ingress: false, egress: false };
  if (acc.ingress.length > 0) spec.ingress = acc.ingress;
  if (acc.ingressDeny.length > 0) spec.ingressDeny = acc.ingressDeny;
  if (acc.egress.length > 0 || acc.fqdn) spec.egress = [...acc.egress, ...(acc.fqdn ? [DNS_VISIBILITY] : [])];
  if (acc.egressDeny.length > 0) spec.egressDeny = acc.egressDeny;
  return spec;
}

const hasCilium = (acc: CiliumRules) => acc.ingress.length + acc.egress.length + acc.ingressDeny.length + acc.egressDeny.length > 0;

// ---------------------------------------------------------------------------
// Namespace tier: NetworkPolicy (+ CiliumNetworkPolicy)

function npPeer(p: Peer): Json | null {
  switch (p.kind) {
    case "workloads": {
      const pods = isEmptySelector(p.selector.pods) ? {} : { podSelector: k8sSelector(p.selector.pods) };
      if (p.selector.namespaces.kind === "policy") return { podSelector: k8sSelector(p.selector.pods) };
      return { namespaceSelector: k8sSelector(nsSelector(p.selector.namespaces)), ...pods };
    }
    case "ipBlock":
      return { ipBlock: { cidr: p.cidr, ...(p.except.length > 0 ? { except: [...p.except] } : {}) } };
    case "entity":
      return p.entity === "kube-dns" ? { namespaceSelector: k8sSelector(KUBE_DNS.ns), podSelector: k8sSelector(KUBE_DNS.pods) } : null;
    default:
      return null;
  }
}

function renderNamespacePolicy(ctx: Ctx, p: Policy): void {
  // Lowering places every namespace-tier policy in a namespace; without one there is no NetworkPolicy to render.
  const ns = p.namespace;
  if (ns === undefined) {
    warn(ctx, p.ref, `${p.ref.kind} ${p.ref.name} has no namespace; nothing compiled`);
    return;
  }
  const types = (["ingress", "egress"] as const).filter((d) => p.policyTypes[d]);
  if (types.length === 0) {
    warn(
      ctx,
      p.ref,
      `${p.ref.kind} ${p.ref.name} isolates no direction and has no effective rules; nothing compiled for namespace ${ns}`,
      true,
    );
    return;
  }
  const np: { ingress: Json[]; egress: Json[] } = { ingress: [], egress: [] };
  const cil = emptyCilium();
  for (const r of p.rules) {
    if (!p.policyTypes[r.direction]) continue; // no effect (the lowering warned)
    if (r.action !== "allow") {
      warn(ctx, r.ref, `a namespace-tier rule can only allow; ${r.action} is not compiled`);
      continue;
    }
    const peers = r.peers ?? [];
    const npPeers = peers.map(npPeer);
    const kept = npPeers.filter((x): x is Json => x !== null);
    const ports = r.ports ? { ports: r.ports.map(npPort) } : {};
    const key = r.direction === "ingress" ? "from" : "to";
    if (r.peers === null) np[r.direction].push({ ...ports });
    else if (kept.length > 0) np[r.direction].push({ [key]: kept, ...ports });
    const ciliumOnly = peers.filter((_, i) => npPeers[i] === null);
    if (ciliumOnly.length > 0) {
      const left = addCiliumRule(cil, r, ciliumOnly);
      for (const l of left)
        warn(
          ctx,
          r.ref,
          `${formatPeer(l)} cannot be expressed as a ${r.direction} peer in NetworkPolicy or CiliumNetworkPolicy; not compiled`,
        );
    }
    if (r.ports?.some((x) => x.kind === "named" && x.protocol === undefined))
      warn(ctx, r.ref, "a named port without protocol is compiled as TCP (NetworkPolicy needs a protocol)");
  }
  const name = p.ref.name;
  ctx.objects.push({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: metadata(ctx, name, [p], { [ANNOTATION.tier]: "namespace" }, ns),
    spec: {
      podSelector: k8sSelector(p.subject.pods),
      policyTypes: types.map((d) => (d === "ingress" ? "Ingress" : "Egress")),
      ...(p.policyTypes.ingress ? { ingress: np.ingress } : {}),
      ...(p.policyTypes.egress ? { egress: np.egress } : {}),
    },
  });
  if (hasCilium(cil)) {
    if (cil.fqdn)
      warn(
        ctx,
        p.ref,
        `DNS-name peers need Cilium: CiliumNetworkPolicy ${ns}/${name} uses toFQDNs and also allows DNS (port 53) to kube-dns so Cilium's DNS proxy can learn the addresses`,
      );
    ctx.objects.push({
      apiVersion: "cilium.io/v2",
      kind: "CiliumNetworkPolicy",
      metadata: metadata(ctx, name, [p], { [ANNOTATION.tier]: "namespace" }, ns),
      spec: ciliumSpec(cil, k8sSelector(p.subject.pods), true),
    });
  }
}

// ---------------------------------------------------------------------------
// Admin layers: AdminNetworkPolicy / ClusterNetworkPolicy (+ Cilium fallback)

function anpWorkloadPeer(namespaces: LabelSelector, pods: LabelSelector): Json {
  return isEmptySelector(pods)
    ? { namespaces: k8sSelector(namespaces) }
    : { pods: { namespaceSelector: k8sSelector(namespaces), podSelector: k8sSelector(pods) } };
}

/** ANP/CNP peers for one rule; peers that need Cilium are returned separately. */
function anpPeers(ctx: Ctx, r: PolicyRule, peers: readonly Peer[]): { peers: Json[]; cilium: Peer[] } {
  const out: Json[] = [];
  const cilium: Peer[] = [];
  const egress = r.direction === "egress";
  for (const p of peers) {
    switch (p.kind) {
      case "workloads":
        out.push(anpWorkloadPeer(nsSelector(p.selector.namespaces), p.selector.pods));
        break;
      case "nodes":
        if (egress) out.push({ nodes: k8sSelector(p.selector) });
        else warn(ctx, r.ref, "node peers cannot be an ingress peer of an AdminNetworkPolicy; not compiled");
        break;
      case "ipBlock":
        if (!egress) cilium.push(p);
        else {
          const blocks = subtractCidrs(p.cidr, p.except);
          for (let i = 0; i < blocks.length; i += 25) out.push({ networks: blocks.slice(i, i + 25) });
        }
        break;
      case "dns":
        // v1alpha2 domainNames are for Accept rules only (a deny by name cannot be enforced on resolved addresses).
        if (egress && ctx.target === "cnp-v1alpha2" && r.action === "allow") out.push({ domainNames: [p.pattern] });
        else cilium.push(p);
        break;
      case "entity":
        if (p.entity === "kube-dns") out.push(anpWorkloadPeer(KUBE_DNS.ns, KUBE_DNS.pods));
        else if (p.entity === "cluster") {
          out.push({ namespaces: {} });
          if (egress) out.push({ nodes: {} });
          else
            warn(ctx, r.ref, "entity cluster as an ingress peer of an AdminNetworkPolicy covers pods only (ingress peers cannot be nodes)");
        } else cilium.push(p);
        break;
      case "service":
        warn(ctx, r.ref, `${formatPeer(p)} was not resolved to pods; not compiled`);
        break;
    }
  }
  return { peers: out, cilium };
}

const ALL_PODS = { kind: "workloads", selector: { namespaces: { kind: "selector", selector: MATCH_ALL }, pods: MATCH_ALL } } satisfies Peer;
/** A rule without peers (only from Kubernetes input, never from documents): every pod, node and address. */
const EVERY_PEER: Record<"ingress" | "egress", Peer[]> = {
  ingress: [ALL_PODS],
  egress: [
    ALL_PODS,
    { kind: "nodes", selector: MATCH_ALL },
    { kind: "ipBlock", cidr: "0.0.0.0/0", except: [] },
    { kind: "ipBlock", cidr: "::/0", except: [] },
  ],
};

const ANP_ACTION = { allow: "Allow", deny: "Deny", pass: "Pass" } as const;
const CNP_ACTION = { allow: "Accept", deny: "Deny", pass: "Pass" } as const;

interface AdminRender {
  ingress: Json[];
  egress: Json[];
  cilium: CiliumRules;
}

function renderAdminRules(ctx: Ctx, p: Policy, rules: readonly PolicyRule[], baseline: boolean): AdminRender {
  const out: AdminRender = { ingress: [], egress: [], cilium: emptyCilium() };
  const v2 = ctx.target === "cnp-v1alpha2";
  for (const r of rules) {
    const { peers, cilium } = anpPeers(ctx, r, r.peers ?? EVERY_PEER[r.direction]);
    if (r.peers === null && r.direction === "ingress")
      warn(
        ctx,
        r.ref,
        "a rule without peers covers every source; AdminNetworkPolicy ingress can only name pods, so sources outside the cluster are not covered",
      );
    if (r.ports?.some((x) => namedPortProtocolDiffers(ctx, x))) {
      warn(
        ctx,
        r.ref,
        "AdminNetworkPolicy named ports carry no protocol: a container port of that name with another protocol would also match",
      );
    }
    for (const part of namedPortParts(ctx, r, peers)) {
      const rule: Json = {
        name: (r.ref.ruleName ?? `${r.ref.kind === "Policy" ? "rule" : r.ref.kind.toLowerCase()}-${r.ref.ruleIndex}`).slice(0, 100),
        action: v2 ? CNP_ACTION[r.action] : ANP_ACTION[r.action],
        [r.direction === "ingress" ? "from" : "to"]: part.peers,
      };
      if (part.ports) rule[v2 ? "protocols" : "ports"] = part.ports.map(v2 ? cnpProtocol : anpPort);
      if (baseline && r.action === "pass") warn(ctx, r.ref, "baseline rules cannot pass; not compiled");
      else out[r.direction].push(rule);
    }
    if (cilium.length > 0) {
      if (r.action === "pass") {
        warn(
          ctx,
          r.ref,
          `${cilium.map(formatPeer).join(", ")}: a Pass rule cannot be expressed for these peers (AdminNetworkPolicy has no such peer and Cilium has no Pass); not compiled`,
        );
        continue;
      }
      const left = addCiliumRule(out.cilium, r, cilium);
      const done = cilium.filter((c) => !left.includes(c));
      if (done.length > 0)
        warn(
          ctx,
          r.ref,
          `${done.map(formatPeer).join(", ")} cannot be expressed in ${v2 ? "ClusterNetworkPolicy" : "AdminNetworkPolicy"}${r.direction === "ingress" ? " ingress" : ""}; compiled to CiliumClusterwideNetworkPolicy instead, which Cilium applies outside the admin priority order (its deny rules win over every allow)`,
        );
      for (const l of left) warn(ctx, r.ref, `${formatPeer(l)} cannot be expressed as a ${r.direction} peer; not compiled`);
    }
  }
  return out;
}

/**
 * The CRDs refuse a named port next to networks, nodes or domainNames peers (CEL on egress rules:
 * those peers have no named ports), so such a rule renders as two: the pod peers with every port,
 * the other peers with the numbered ports only (none left: those peers are not compiled).
 */
function namedPortParts(ctx: Ctx, r: PolicyRule, peers: Json[]): { peers: Json[]; ports: readonly PortMatch[] | null }[] {
  if (peers.length === 0) return [];
  if (!r.ports?.some((x) => x.kind === "named")) return [{ peers, ports: r.ports }];
  const pods = peers.filter((x) => x.pods !== undefined || x.namespaces !== undefined);
  const others = peers.filter((x) => x.pods === undefined && x.namespaces === undefined);
  const numbered = r.ports.filter((x) => x.kind !== "named");
  if (others.length > 0 && numbered.length === 0)
    warn(
      ctx,
      r.ref,
      "named ports cannot apply to networks, nodes or domain names (the CRDs refuse the combination); those peers are not compiled",
    );
  return [
    ...(pods.length > 0 ? [{ peers: pods, ports: r.ports }] : []),
    ...(others.length > 0 && numbered.length > 0 ? [{ peers: others, ports: numbered }] : []),
  ];
}

function namedPortProtocolDiffers(ctx: Ctx, p: PortMatch): boolean {
  if (p.kind !== "named") return false;
  const ports = [...ctx.cluster.model.pods.flatMap((x) => x.ports), ...ctx.cluster.model.workloads.flatMap((w) => w.ports)];
  return ports.some((x) => x.name === p.name && x.protocol !== p.protocol);
}

function anpSubject(namespaces: NamespaceMatch, pods: LabelSelector): Json {
  return anpWorkloadPeer(nsSelector(namespaces), pods);
}

function pushAdmin(
  ctx: Ctx,
  name: string,
  sources: Policy[],
  subject: { namespaces: NamespaceMatch; pods: LabelSelector },
  render: AdminRender,
  priority: number,
  tier: "Admin" | "Baseline",
  extra: Record<string, string>,
): void {
  const v2 = ctx.target === "cnp-v1alpha2";
  const rules = {
    ...(render.ingress.length > 0 ? { ingress: render.ingress } : {}),
    ...(render.egress.length > 0 ? { egress: render.egress } : {}),
  };
  for (const dir of ["ingress", "egress"] as const)
    if (render[dir].length > 100)
      warn(
        ctx,
        sources[0]!.ref,
        `${render[dir].length} ${dir} rules exceed the 100 an ${v2 ? "ClusterNetworkPolicy" : "AdminNetworkPolicy"} may hold`,
      );
  if (render.ingress.length + render.egress.length > 0) {
    if (v2)
      ctx.objects.push({
        apiVersion: "policy.networking.k8s.io/v1alpha2",
        kind: "ClusterNetworkPolicy",
        metadata: metadata(ctx, name, sources, extra),
        spec: { tier, priority, subject: anpSubject(subject.namespaces, subject.pods), ...rules },
      });
    else if (tier === "Admin")
      ctx.objects.push({
        apiVersion: "policy.networking.k8s.io/v1alpha1",
        kind: "AdminNetworkPolicy",
        metadata: metadata(ctx, name, sources, extra),
        spec: { priority, subject: anpSubject(subject.namespaces, subject.pods), ...rules },
      });
    else
      ctx.objects.push({
        apiVersion: "policy.networking.k8s.io/v1alpha1",
        kind: "BaselineAdminNetworkPolicy",
        metadata: metadata(ctx, "default", sources, extra),
        spec: { subject: anpSubject(subject.namespaces, subject.pods), ...rules },
      });
  }
  if (hasCilium(render.cilium)) {
    ctx.objects.push({
      apiVersion: "cilium.io/v2",
      kind: "CiliumClusterwideNetworkPolicy",
      metadata: metadata(ctx, name, sources, extra),
      spec: ciliumSpec(render.cilium, ciliumClusterSelector(subject.namespaces, subject.pods), false),
    });
  }
}

function renderAdmin(ctx: Ctx, admin: Policy[]): void {
  const byTier = new Map<AdminTier, Policy[]>();
  for (const p of admin) byTier.set(p.tier ?? "cluster", [...(byTier.get(p.tier ?? "cluster") ?? []), p]);
  for (const tier of ADMIN_TIER_ORDER) {
    // The evaluator's order; ranks keep it exact inside the band.
    const list = (byTier.get(tier) ?? []).sort(compareDecisionOrder);
    list.forEach((p, rank) => {
      if (rank >= BAND_WIDTH)
        warn(ctx, p.ref, `more than ${BAND_WIDTH} policies in tier ${tier}: priority clamped, order inside the tier is no longer exact`);
      const priority = PRIORITY_BAND[tier] + Math.min(rank, BAND_WIDTH - 1);
      const render = renderAdminRules(ctx, p, p.rules, false);
      pushAdmin(ctx, `pp-${tier}-${p.ref.name}`, [p], p.subject, render, priority, "Admin", {
        [ANNOTATION.tier]: tier,
        [ANNOTATION.priority]: String(p.priority ?? ""),
      });
    });
  }
}

function renderConstraint(ctx: Ctx, p: Policy): void {
  const render = renderAdminRules(ctx, p, p.rules, false);
  pushAdmin(ctx, `pp-constraint-${p.ref.name}`, [p], p.subject, render, PRIORITY_BAND.constraint, "Admin", {
    [ANNOTATION.tier]: "constraint",
  });
}

/** The flow an exception allows in the peer's direction, so ingress at a workload peer is allowed too (as the engine's exception layer does). */
function mirrorPeer(p: Peer): { namespaces: NamespaceMatch; pods: LabelSelector } | null {
  if (p.kind === "workloads") return p.selector;
  if (p.kind === "entity" && p.entity === "kube-dns") return { namespaces: { kind: "names", names: ["kube-system"] }, pods: KUBE_DNS.pods };
  if (p.kind === "entity" && p.entity === "cluster") return ALL_PODS.selector;
  return null;
}

function renderException(ctx: Ctx, p: Policy, now: number): void {
  // The engine's window, to the millisecond: it counts iff startsAt ≤ now < expiresAt.
  if (p.expiresAt && Date.parse(p.expiresAt) <= now) {
    warn(ctx, p.ref, `exception ${p.ref.name} expired at ${p.expiresAt}; not compiled`, true);
    return;
  }
  if (p.startsAt && Date.parse(p.startsAt) > now) {
    warn(ctx, p.ref, `exception ${p.ref.name} starts at ${p.startsAt}; not compiled until a release from then on`, true);
    return;
  }
  const extra = {
    [ANNOTATION.tier]: "exception",
    ...(p.startsAt ? { [ANNOTATION.startsAt]: p.startsAt } : {}),
    ...(p.expiresAt ? { [ANNOTATION.expiresAt]: p.expiresAt } : {}),
  };
  warn(
    ctx,
    p.ref,
    `Kubernetes does not expire objects: the compiled Allow for exception ${p.ref.name} stays until a release after ${p.expiresAt ?? "its expiry"} leaves it out`,
    true,
  );
  pushAdmin(
    ctx,
    `pp-exception-${p.ref.name}`,
    [p],
    p.subject,
    renderAdminRules(ctx, p, p.rules, false),
    PRIORITY_BAND.exception,
    "Admin",
    extra,
  );
  let i = 0;
  for (const r of p.rules) {
    for (const peer of r.peers ?? []) {
      const subject = mirrorPeer(peer);
      if (!subject) {
        if (peer.kind === "ipBlock")
          warn(
            ctx,
            r.ref,
            `pods inside ${peer.cidr} are allowed by the exception only in the ${r.direction} direction: the other direction cannot select pods by address`,
          );
        continue;
      }
      const mirrored: PolicyRule = {
        ...r,
        direction: r.direction === "egress" ? "ingress" : "egress",
        peers: [{ kind: "workloads", selector: p.subject }],
      };
      pushAdmin(
        ctx,
        `pp-exception-${p.ref.name}-peer-${i++}`,
        [p],
        subject,
        renderAdminRules(ctx, p, [mirrored], false),
        PRIORITY_BAND.exception,
        "Admin",
        extra,
      );
    }
  }
}

/** The highest ClusterNetworkPolicy priority: the platform default is the last baseline rule. */
export const PLATFORM_DEFAULT_PRIORITY = 1000;
export const PLATFORM_DEFAULT_NAME = "pp-platform-default";

/**
 * The platform default as a baseline policy: pods of the namespaces it covers deny every peer in
 * both directions. Ingress can only name pods (AdminNetworkPolicy ingress peers are pods), so
 * ingress from outside the cluster and from nodes is not covered (`compile --verify` reports such
 * flows as not expressible).
 */
export function platformDefaultPolicy(d: PlatformDefault, version?: string): Policy {
  const ref: SourceRef = { kind: "PlatformDefault", name: "secure-by-default", ...(version ? { version } : {}) };
  const namespaces: NamespaceMatch = {
    kind: "selector",
    selector:
      d.excludeNamespaces.length === 0
        ? MATCH_ALL
        : { matchLabels: {}, matchExpressions: [{ key: NS_NAME_LABEL, operator: "NotIn", values: [...d.excludeNamespaces] }] },
  };
  const rule = (direction: "ingress" | "egress"): PolicyRule => ({
    direction,
    action: "deny",
    peers: EVERY_PEER[direction],
    ports: null,
    ref: { ...ref, direction, ruleIndex: 0, ruleName: `deny-${direction}` },
  });
  return {
    id: "PlatformDefault/secure-by-default",
    layer: "baseline",
    priority: PLATFORM_DEFAULT_PRIORITY,
    subject: { namespaces, pods: MATCH_ALL },
    policyTypes: { ingress: true, egress: true },
    rules: [rule("ingress"), rule("egress")],
    ref,
  };
}

/** Whether every namespace of the inventory that `p` could select is covered by the platform default. */
function withinDefault(ctx: Ctx, p: Policy, d: PlatformDefault): boolean {
  if (d.excludeNamespaces.length === 0) return true;
  const inNamespace = compileNamespaceMatch(p.subject.namespaces, p.namespace);
  return !ctx.cluster.model.namespaces.some(
    (n) => d.excludeNamespaces.includes(n.name) && inNamespace(n.name, { [NS_NAME_LABEL]: n.name, ...n.labels }),
  );
}

function renderBaseline(ctx: Ctx, baseline: Policy[], platformDefault: Policy | null, d: PlatformDefault): void {
  const list = [...baseline].sort(compareDecisionOrder);
  if (ctx.target === "cnp-v1alpha2") {
    list.forEach((p, rank) =>
      pushAdmin(ctx, `pp-baseline-${p.ref.name}`, [p], p.subject, renderAdminRules(ctx, p, p.rules, true), rank, "Baseline", {
        [ANNOTATION.tier]: "baseline",
      }),
    );
    if (platformDefault)
      pushAdmin(
        ctx,
        PLATFORM_DEFAULT_NAME,
        [platformDefault],
        platformDefault.subject,
        renderAdminRules(ctx, platformDefault, platformDefault.rules, true),
        PLATFORM_DEFAULT_PRIORITY,
        "Baseline",
        { [ANNOTATION.tier]: "platform-default" },
      );
    return;
  }
  // v1alpha1: one BaselineAdminNetworkPolicy "default" with one subject. With the platform default,
  // the subject is the default's scope, its deny-all rules come last, and a baseline policy with
  // another subject fits only when its rules all deny inside that scope (the default would deny there anyway).
  const key = (p: Policy) => JSON.stringify(anpSubject(p.subject.namespaces, p.subject.pods));
  const first = platformDefault ?? list[0];
  if (!first) return;
  const fits = (p: Policy) =>
    key(p) === key(first) || (platformDefault !== null && p.rules.every((r) => r.action === "deny") && withinDefault(ctx, p, d));
  const same = list.filter(fits);
  for (const p of list.filter((x) => !fits(x))) {
    warn(
      ctx,
      p.ref,
      `BaselineAdminNetworkPolicy v1alpha1 is a single object ("default") with one subject, taken from ${first.ref.name}; ${p.ref.name} selects other pods and is NOT compiled (use --target cnp-v1alpha2)`,
    );
  }
  const sources = platformDefault ? [...same, platformDefault] : same;
  const render = renderAdminRules(
    ctx,
    first,
    sources.flatMap((p) => p.rules),
    true,
  );
  pushAdmin(ctx, "default", sources, first.subject, render, 0, "Baseline", { [ANNOTATION.tier]: "baseline" });
}

// ---------------------------------------------------------------------------

const KIND_ORDER = [
  "AdminNetworkPolicy",
  "ClusterNetworkPolicy",
  "BaselineAdminNetworkPolicy",
  "NetworkPolicy",
  "CiliumClusterwideNetworkPolicy",
  "CiliumNetworkPolicy",
  "ServiceEntry",
  "Gateway",
  "DestinationRule",
  "VirtualService",
];

function outputPath(cluster: string, o: K8sObject): string {
  return `${cluster}/${o.metadata.namespace ?? "_cluster"}/${o.kind.toLowerCase()}-${o.metadata.name}.yaml`;
}

/** Validate rendered objects: NetworkPolicy with kubernetes-models, the policy CRDs by reading them back with the engine's readers, Istio with its zod schemas. */
export function validateObjects(objects: readonly CompiledObject[]): PolicyInputError[] {
  const errors: PolicyInputError[] = [];
  const crds: { file: string; text: string }[] = [];
  for (const { object, path } of objects) {
    if (object.kind === "NetworkPolicy") {
      try {
        new NetworkPolicy(object as unknown as ConstructorParameters<typeof NetworkPolicy>[0]).validate();
      } catch (e) {
        errors.push(new PolicyInputError({ file: path, message: `invalid NetworkPolicy: ${(e as Error).message}` }));
      }
      crds.push({ file: path, text: stringify(object) });
    } else if (object.apiVersion.startsWith("networking.istio.io/")) {
      for (const m of validateIstio(object as unknown as IstioObject))
        errors.push(new PolicyInputError({ file: path, message: `invalid ${object.kind}: ${m}` }));
    } else crds.push({ file: path, text: stringify(object) });
  }
  errors.push(...readManifestSources(crds).errors);
  return errors;
}

/** Render the IR of one cluster (from `lowerDocuments`) to Kubernetes objects. */
export function compileLowered(lowered: LowerResult, cluster: TargetCluster, options: CompileOptions = {}): CompileResult {
  const ctx: Ctx = {
    cluster,
    target: options.target ?? "anp",
    ...(options.release ? { release: options.release } : {}),
    objects: [],
    warnings: [],
    inexact: [],
  };
  const now = options.now === undefined ? Date.now() : typeof options.now === "string" ? Date.parse(options.now) : options.now.getTime();
  const ps = lowered.policies.policies;
  for (const p of ps.filter((x) => x.layer === "constraint")) renderConstraint(ctx, p);
  for (const p of ps.filter((x) => x.layer === "exception")) renderException(ctx, p, now);
  renderAdmin(
    ctx,
    ps.filter((x) => x.layer === "admin"),
  );
  for (const p of ps.filter((x) => x.layer === "namespace")) renderNamespacePolicy(ctx, p);
  const d = options.platformDefault ?? PLATFORM_DEFAULT_OFF;
  renderBaseline(
    ctx,
    ps.filter((x) => x.layer === "baseline"),
    d.enabled ? platformDefaultPolicy(d, options.platformDefaultVersion) : null,
    d,
  );
  for (const route of lowered.egressRoutes) {
    const src = ps.find((p) => p.ref.kind === route.ref.kind && p.ref.name === route.ref.name);
    const meta = metadata(ctx, "x", src ? [src] : [], { [ANNOTATION.tier]: "egress-gateway" });
    const r = renderEgressRoute(route, `pp-${route.ref.name}-${route.ref.ruleIndex}`, {
      labels: meta.labels,
      annotations: meta.annotations,
    });
    for (const m of r.problems) warn(ctx, route.ref, m);
    ctx.objects.push(...(r.objects as unknown as K8sObject[]));
  }
  const { unique, clashes } = oneObjectPerName(ctx.objects, cluster.name, ps);
  // Deterministic: stable order.
  const objects = unique
    .sort(
      (a, b) =>
        KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) ||
        (a.metadata.namespace ?? "").localeCompare(b.metadata.namespace ?? "") ||
        a.metadata.name.localeCompare(b.metadata.name),
    )
    .map((object) => ({ object, path: outputPath(cluster.name, object) }));
  return {
    cluster: cluster.name,
    objects,
    warnings: [...lowered.warnings, ...ctx.warnings],
    inexact: ctx.inexact,
    errors: [...clashes, ...validateObjects(objects)],
    lowered,
    target: cluster,
  };
}

/**
 * One object per (kind, namespace, name). Identical renderings fold into one (a namespace-tier
 * `via` rule lowered for several namespaces renders the same Istio objects each time); a
 * different object under a name already taken is an error naming both sources, since only one
 * of them could be applied.
 */
function oneObjectPerName(
  objects: readonly K8sObject[],
  cluster: string,
  policies: readonly Policy[],
): { unique: K8sObject[]; clashes: PolicyInputError[] } {
  const seen = new Map<string, K8sObject>();
  const clashes: PolicyInputError[] = [];
  const sources = (o: K8sObject) =>
    (o.metadata.annotations[ANNOTATION.source] ?? "")
      .split(",")
      .map((id) => {
        const ref = policies.find((p) => `${p.ref.kind}/${p.ref.name}` === id)?.ref;
        return ref?.file ? `${id} (${ref.file}${ref.line ? `:${ref.line}` : ""})` : id;
      })
      .join(", ");
  for (const o of objects) {
    const k = `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
    const first = seen.get(k);
    if (!first) seen.set(k, o);
    else if (JSON.stringify(first) !== JSON.stringify(o)) {
      const what = `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`;
      clashes.push(
        new PolicyInputError({
          file: outputPath(cluster, o),
          path: "metadata.name",
          message: `${what} is rendered from ${sources(first)} and, differently, from ${sources(o)}; only one object can have this name, so the second is not compiled: rename one of the documents`,
        }),
      );
    }
  }
  return { unique: [...seen.values()], clashes };
}

/** Lower and compile documents for one cluster. */
export function compileDocuments(docs: readonly LocatedDocument[], cluster: TargetCluster, options: CompileOptions = {}): CompileResult {
  return compileLowered(lowerDocuments(docs, cluster, options.release ? { revision: options.release } : {}), cluster, options);
}

/** Multi-document YAML of compiled objects (stable order). */
export function toYaml(objects: readonly CompiledObject[]): string {
  return objects.map((o) => stringify(o.object, { lineWidth: 0 })).join("---\n");
}
