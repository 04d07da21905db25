/**
 * Kubernetes manifests → normalised model. Each object is validated with its
 * zod schema; every problem becomes a located PolicyInputError (never a throw).
 */
import type { z } from "zod";
import {
  NS_NAME_LABEL,
  MATCH_ALL,
  emptyCluster,
  type AdminTier,
  type ClusterModel,
  type Direction,
  type Entity,
  type LabelSelector,
  type LabelSelectorRequirement,
  type NamedPort,
  type NamespaceMatch,
  type Peer,
  type Policy,
  type PolicyRule,
  type PolicySet,
  type PortMatch,
  type Protocol,
  type RuleRef,
  type SourceRef,
  type WorkloadKind,
} from "../model";
import { PolicyInputError } from "../errors";
import { formatPath, parseSource, type PathSeg, type RawObject } from "./yaml";
import { explainIssues } from "./issues";
import * as S from "./schemas";
import { anpAdvisories, cnpAdvisories, selectorAdvisories, type Advisory } from "./advisories";

export interface ManifestSource {
  file: string;
  text: string;
}

export interface ReadResult {
  cluster: ClusterModel;
  policies: PolicySet;
  errors: PolicyInputError[];
  warnings: PolicyInputError[];
  /** Number of Kubernetes objects read (after List expansion). */
  objectCount: number;
}

type RawSelector = z.infer<typeof S.crdLabelSelector>;

/** A requirement no selector can be built from (a CRD accepts it: see ./advisories.ts) matches nothing: `In` with no values. */
function toRequirement(r: { key: string; operator: string; values?: readonly string[] | null }): LabelSelectorRequirement {
  if (S.requirementProblem(r)) return { key: r.key, operator: "In", values: [] };
  return { key: r.key, operator: r.operator as LabelSelectorRequirement["operator"], values: [...(r.values ?? [])] };
}

export function toSelector(raw: RawSelector | null | undefined): LabelSelector {
  if (!raw) return MATCH_ALL;
  return {
    matchLabels: { ...(raw.matchLabels ?? {}) },
    matchExpressions: (raw.matchExpressions ?? []).map(toRequirement),
  };
}


interface Ctx {
  obj: RawObject;
  errors: PolicyInputError[];
  warnings: PolicyInputError[];
}

function at(ctx: Ctx, path: readonly PathSeg[], message: string, severity: "error" | "warning" = "error"): PolicyInputError {
  const p = ctx.obj.locate(path);
  const full = [...ctx.obj.base, ...path];
  return new PolicyInputError({ file: ctx.obj.file, line: p.line, column: p.column, path: formatPath(full), message, severity });
}

function validate<T extends z.ZodType>(ctx: Ctx, schema: T): z.infer<T> | null {
  const r = schema.safeParse(ctx.obj.value, { reportInput: true });
  if (r.success) return r.data;
  for (const e of explainIssues(r.error.issues)) ctx.errors.push(at(ctx, e.path, e.message));
  return null;
}

function advise(ctx: Ctx, advisories: readonly Advisory[]): void {
  for (const a of advisories) ctx.warnings.push(at(ctx, a.path, a.message, "warning"));
}

function ref(ctx: Ctx, kind: string, apiVersion: string, name: string, namespace?: string, version?: string | null): SourceRef {
  return { kind, apiVersion, name, ...(namespace ? { namespace } : {}), ...(version ? { version } : {}), file: ctx.obj.file, line: ctx.obj.line, column: ctx.obj.column };
}

function ruleRef(ctx: Ctx, src: SourceRef, direction: Direction, key: string, index: number, ruleName?: string | null): RuleRef {
  const p = ctx.obj.locate(["spec", key, index]);
  return { ...src, direction, ruleIndex: index, ...(ruleName ? { ruleName } : {}), line: p.line, column: p.column };
}

// ---------------------------------------------------------------------------
// Inventory

function containerPorts(spec: z.infer<typeof S.podSpec> | null | undefined): NamedPort[] {
  const out: NamedPort[] = [];
  const add = (c: z.infer<typeof S.podSpec>["containers"]) => {
    for (const ct of c ?? []) for (const p of ct.ports ?? []) out.push({ ...(p.name ? { name: p.name } : {}), port: p.containerPort, protocol: p.protocol ?? "TCP" });
  };
  add(spec?.containers);
  // Sidecar init containers (restartPolicy Always) keep serving.
  add((spec?.initContainers ?? []).filter((c) => c.restartPolicy === "Always"));
  return out;
}

const DEPLOYMENT_RS = /^(.*)-[a-z0-9]{5,10}$/;

function readPod(ctx: Ctx, cluster: ClusterModel, apiVersion: string): void {
  const p = validate(ctx, S.pod);
  if (!p) return;
  const namespace = p.metadata.namespace ?? "default";
  const ips = p.status?.podIPs?.length ? p.status.podIPs.map((x) => x.ip) : p.status?.podIP ? [p.status.podIP] : [];
  const owner = p.metadata.ownerReferences?.[0];
  let workload: { kind: WorkloadKind | "Pod"; name: string } = { kind: "Pod", name: p.metadata.name };
  if (owner) {
    const m = owner.kind === "ReplicaSet" ? DEPLOYMENT_RS.exec(owner.name) : null;
    workload = m ? { kind: "Deployment", name: m[1]! } : { kind: owner.kind as WorkloadKind, name: owner.name };
  }
  cluster.pods.push({
    namespace,
    name: p.metadata.name,
    labels: { ...(p.metadata.labels ?? {}) },
    ports: containerPorts(p.spec),
    ips,
    hostNetwork: p.spec?.hostNetwork ?? false,
    ...(p.spec?.nodeName ? { nodeName: p.spec.nodeName } : {}),
    workload,
    source: ref(ctx, "Pod", apiVersion, p.metadata.name, namespace),
  });
}

function readWorkload(ctx: Ctx, cluster: ClusterModel, kind: WorkloadKind, apiVersion: string): void {
  if (kind === "CronJob") {
    const c = validate(ctx, S.cronJob);
    if (!c) return;
    const t = c.spec.jobTemplate.spec.template;
    const namespace = c.metadata.namespace ?? "default";
    cluster.workloads.push({ kind, namespace, name: c.metadata.name, labels: { ...(t.metadata?.labels ?? {}) }, ports: containerPorts(t.spec), hostNetwork: t.spec?.hostNetwork ?? false, replicas: 1, source: ref(ctx, kind, apiVersion, c.metadata.name, namespace) });
    return;
  }
  const w = validate(ctx, S.workload);
  if (!w) return;
  const namespace = w.metadata.namespace ?? "default";
  const t = w.spec.template;
  cluster.workloads.push({
    kind,
    namespace,
    name: w.metadata.name,
    labels: { ...(t.metadata?.labels ?? {}) },
    ports: containerPorts(t.spec),
    hostNetwork: t.spec?.hostNetwork ?? false,
    replicas: w.spec.replicas ?? 1,
    ...(w.spec.selector ? { selector: toSelector(w.spec.selector) } : {}),
    source: ref(ctx, kind, apiVersion, w.metadata.name, namespace),
  });
}

function readService(ctx: Ctx, cluster: ClusterModel, apiVersion: string): void {
  const s = validate(ctx, S.service);
  if (!s) return;
  const namespace = s.metadata.namespace ?? "default";
  const ips = (s.spec?.clusterIPs ?? (s.spec?.clusterIP ? [s.spec.clusterIP] : [])).filter((ip) => ip !== "None");
  cluster.services.push({
    namespace,
    name: s.metadata.name,
    ...(s.spec?.selector ? { selector: { ...s.spec.selector } } : {}),
    ports: (s.spec?.ports ?? []).map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.port, targetPort: p.targetPort ?? p.port, protocol: p.protocol ?? "TCP" })),
    clusterIPs: ips,
    source: ref(ctx, "Service", apiVersion, s.metadata.name, namespace),
  });
}

function readNode(ctx: Ctx, cluster: ClusterModel, apiVersion: string): void {
  const n = validate(ctx, S.node);
  if (!n) return;
  const ips = (n.status?.addresses ?? []).filter((a) => a.type === "InternalIP" || a.type === "ExternalIP").map((a) => a.address);
  cluster.nodes.push({ name: n.metadata.name, labels: { ...(n.metadata.labels ?? {}) }, ips, source: ref(ctx, "Node", apiVersion, n.metadata.name) });
}

// ---------------------------------------------------------------------------
// NetworkPolicy

type NpPort = NonNullable<NonNullable<NonNullable<S.RawNetworkPolicy["spec"]["ingress"]>[number]>["ports"]>[number];
type NpPeer = NonNullable<NonNullable<NonNullable<S.RawNetworkPolicy["spec"]["ingress"]>[number]>["from"]>[number];

function npPort(p: NpPort): PortMatch {
  const protocol = p.protocol ?? "TCP";
  if (p.port == null) return { kind: "number", protocol };
  if (typeof p.port === "string") return { kind: "named", protocol, name: p.port };
  return { kind: "number", protocol, port: p.port, ...(p.endPort != null ? { endPort: p.endPort } : {}) };
}

function npPeer(p: NpPeer): Peer {
  if (p.ipBlock) return { kind: "ipBlock", cidr: p.ipBlock.cidr, except: [...(p.ipBlock.except ?? [])] };
  const namespaces: NamespaceMatch = p.namespaceSelector ? { kind: "selector", selector: toSelector(p.namespaceSelector) } : { kind: "policy" };
  return { kind: "workloads", selector: { namespaces, pods: toSelector(p.podSelector) } };
}

function readNetworkPolicy(ctx: Ctx, out: Policy[], apiVersion: string): void {
  const np = validate(ctx, S.networkPolicy);
  if (!np) return;
  const namespace = np.metadata.namespace ?? "default";
  const src = ref(ctx, "NetworkPolicy", apiVersion, np.metadata.name, namespace, np.metadata.resourceVersion);
  const spec = np.spec;
  const types = spec.policyTypes && spec.policyTypes.length > 0 ? spec.policyTypes : null;
  // Defaulting (networking/v1): Ingress always; Egress only when egress rules exist.
  const ingress = types ? types.includes("Ingress") : true;
  const egress = types ? types.includes("Egress") : (spec.egress?.length ?? 0) > 0;
  const rules: PolicyRule[] = [];
  if (ingress) {
    (spec.ingress ?? []).forEach((r, i) => {
      rules.push({ direction: "ingress", action: "allow", peers: r?.from?.length ? r.from.map(npPeer) : null, ports: r?.ports?.length ? r.ports.map(npPort) : null, ref: ruleRef(ctx, src, "ingress", "ingress", i) });
    });
  } else if (spec.ingress?.length) {
    ctx.warnings.push(at(ctx, ["spec", "ingress"], "ingress rules are ignored because policyTypes does not include Ingress", "warning"));
  }
  if (egress) {
    (spec.egress ?? []).forEach((r, i) => {
      rules.push({ direction: "egress", action: "allow", peers: r?.to?.length ? r.to.map(npPeer) : null, ports: r?.ports?.length ? r.ports.map(npPort) : null, ref: ruleRef(ctx, src, "egress", "egress", i) });
    });
  } else if (spec.egress?.length) {
    ctx.warnings.push(at(ctx, ["spec", "egress"], "egress rules are ignored because policyTypes does not include Egress", "warning"));
  }
  out.push({
    id: `NetworkPolicy/${namespace}/${np.metadata.name}`,
    layer: "namespace",
    namespace,
    subject: { namespaces: { kind: "names", names: [namespace] }, pods: toSelector(spec.podSelector) },
    policyTypes: { ingress, egress },
    rules,
    ref: src,
  });
}

// ---------------------------------------------------------------------------
// AdminNetworkPolicy / BaselineAdminNetworkPolicy (v1alpha1), ClusterNetworkPolicy (v1alpha2)

type RawSubject = S.RawAdminNetworkPolicy["spec"]["subject"];
interface RawAnpPeer {
  namespaces?: RawSelector | null;
  /** namespaceSelector is optional from ClusterNetworkPolicy v1alpha2 on (omitted = every namespace). */
  pods?: { namespaceSelector?: RawSelector | null; podSelector: RawSelector } | null;
  nodes?: RawSelector | null;
  networks?: string[] | null;
  domainNames?: string[] | null;
}
interface RawAnpPort {
  portNumber?: { protocol?: string | null; port: number } | null;
  namedPort?: string | null;
  portRange?: { protocol?: string | null; start: number; end: number } | null;
}

function anpSubject(s: RawSubject | S.RawClusterNetworkPolicy["spec"]["subject"]): { namespaces: NamespaceMatch; pods: LabelSelector } {
  if (s.pods) return { namespaces: { kind: "selector", selector: s.pods.namespaceSelector ? toSelector(s.pods.namespaceSelector) : MATCH_ALL }, pods: toSelector(s.pods.podSelector) };
  return { namespaces: { kind: "selector", selector: toSelector(s.namespaces) }, pods: MATCH_ALL };
}

function anpPeers(p: RawAnpPeer): Peer[] {
  if (p.pods) return [{ kind: "workloads", selector: { namespaces: { kind: "selector", selector: p.pods.namespaceSelector ? toSelector(p.pods.namespaceSelector) : MATCH_ALL }, pods: toSelector(p.pods.podSelector) } }];
  if (p.namespaces) return [{ kind: "workloads", selector: { namespaces: { kind: "selector", selector: toSelector(p.namespaces) }, pods: MATCH_ALL } }];
  if (p.nodes) return [{ kind: "nodes", selector: toSelector(p.nodes) }];
  if (p.networks) return p.networks.map((c) => ({ kind: "ipBlock", cidr: c, except: [] }));
  if (p.domainNames) return p.domainNames.map((d) => ({ kind: "dns", pattern: d.replace(/\.$/, "") }));
  return [];
}

/** A protocol the CRD accepts but nothing matches on (./advisories.ts warns): the port matches nothing, like a name no container port has. */
const NO_PORT: PortMatch = { kind: "named", name: "" };
const knownProtocol = (p: string | null | undefined): Protocol | null => (p == null ? "TCP" : (S.PROTOCOLS as readonly string[]).includes(p) ? (p as Protocol) : null);

function anpPort(p: RawAnpPort): PortMatch {
  const spec = p.portNumber ?? p.portRange;
  if (spec) {
    const protocol = knownProtocol(spec.protocol);
    if (!protocol) return NO_PORT;
    return p.portNumber ? { kind: "number", protocol, port: p.portNumber.port } : { kind: "number", protocol, port: p.portRange!.start, endPort: p.portRange!.end };
  }
  return { kind: "named", name: p.namedPort ?? "" };
}

const ACTION = { Allow: "allow", Accept: "allow", Deny: "deny", Pass: "pass" } as const;

interface RawAnpRule {
  name?: string | null;
  action: keyof typeof ACTION;
  from?: RawAnpPeer[];
  to?: RawAnpPeer[];
  ports?: RawAnpPort[] | null;
  protocols?: CnpProtocol[] | null;
}
type CnpProtocol = {
  tcp?: { destinationPort?: { number?: number | null; range?: { start: number; end: number } | null } | null } | null;
  udp?: CnpProtocol["tcp"];
  sctp?: CnpProtocol["tcp"];
  destinationNamedPort?: string | null;
};

function cnpPorts(list: CnpProtocol[]): PortMatch[] {
  return list.map((p): PortMatch => {
    if (p.destinationNamedPort) return { kind: "named", name: p.destinationNamedPort };
    const [protocol, spec] = p.tcp ? (["TCP", p.tcp] as const) : p.udp ? (["UDP", p.udp] as const) : (["SCTP", p.sctp] as const);
    const dp = spec?.destinationPort;
    if (!dp) return { kind: "number", protocol };
    if (dp.range) return { kind: "number", protocol, port: dp.range.start, endPort: dp.range.end };
    return { kind: "number", protocol, port: dp.number ?? undefined };
  });
}

function anpRules(ctx: Ctx, src: SourceRef, spec: { ingress?: RawAnpRule[] | null; egress?: RawAnpRule[] | null }): PolicyRule[] {
  const rules: PolicyRule[] = [];
  for (const direction of ["ingress", "egress"] as const) {
    (spec[direction] ?? []).forEach((r, i) => {
      const peers = (direction === "ingress" ? r.from : r.to) ?? [];
      const ports = r.ports ? r.ports.map(anpPort) : r.protocols ? cnpPorts(r.protocols) : null;
      rules.push({ direction, action: ACTION[r.action], peers: peers.flatMap(anpPeers), ports, ref: ruleRef(ctx, src, direction, direction, i, r.name) });
    });
  }
  return rules;
}

function readAnp(ctx: Ctx, out: Policy[], apiVersion: string, tier: AdminTier): void {
  const anp = validate(ctx, S.adminNetworkPolicy);
  if (!anp) return;
  advise(ctx, [...anpAdvisories(anp.spec), ...selectorAdvisories(anp.spec, ["spec"])]);
  const src = ref(ctx, "AdminNetworkPolicy", apiVersion, anp.metadata.name, undefined, anp.metadata.resourceVersion);
  out.push({
    id: `AdminNetworkPolicy/${anp.metadata.name}`,
    layer: "admin",
    tier,
    priority: anp.spec.priority,
    subject: anpSubject(anp.spec.subject),
    policyTypes: { ingress: true, egress: true },
    rules: anpRules(ctx, src, anp.spec as { ingress?: RawAnpRule[] | null; egress?: RawAnpRule[] | null }),
    ref: src,
  });
}

function readBanp(ctx: Ctx, out: Policy[], apiVersion: string): void {
  const banp = validate(ctx, S.baselineAdminNetworkPolicy);
  if (!banp) return;
  advise(ctx, [...anpAdvisories(banp.spec), ...selectorAdvisories(banp.spec, ["spec"])]);
  const src = ref(ctx, "BaselineAdminNetworkPolicy", apiVersion, banp.metadata.name, undefined, banp.metadata.resourceVersion);
  out.push({
    id: `BaselineAdminNetworkPolicy/${banp.metadata.name}`,
    layer: "baseline",
    priority: 0,
    subject: anpSubject(banp.spec.subject),
    policyTypes: { ingress: true, egress: true },
    rules: anpRules(ctx, src, banp.spec as { ingress?: RawAnpRule[] | null; egress?: RawAnpRule[] | null }),
    ref: src,
  });
}

function readCnp(ctx: Ctx, out: Policy[], apiVersion: string, tier: AdminTier): void {
  const cnp = validate(ctx, S.clusterNetworkPolicy);
  if (!cnp) return;
  advise(ctx, [...cnpAdvisories(cnp.spec), ...selectorAdvisories(cnp.spec, ["spec"])]);
  const src = ref(ctx, "ClusterNetworkPolicy", apiVersion, cnp.metadata.name, undefined, cnp.metadata.resourceVersion);
  const admin = cnp.spec.tier === "Admin";
  out.push({
    id: `ClusterNetworkPolicy/${cnp.metadata.name}`,
    layer: admin ? "admin" : "baseline",
    ...(admin ? { tier } : {}),
    priority: cnp.spec.priority,
    subject: anpSubject(cnp.spec.subject),
    policyTypes: { ingress: true, egress: true },
    rules: anpRules(ctx, src, cnp.spec as unknown as { ingress?: RawAnpRule[] | null; egress?: RawAnpRule[] | null }),
    ref: src,
  });
}

// ---------------------------------------------------------------------------
// Cilium (L3/L4 subset)

const CILIUM_NS = "io.kubernetes.pod.namespace";
const CILIUM_NS_LABEL = "io.cilium.k8s.namespace.labels.";

/** Cilium endpoint selector → workload selector; null when it uses reserved identities we do not model. */
function ciliumSelector(raw: RawSelector | null | undefined, clusterWide: boolean): { sel: { namespaces: NamespaceMatch; pods: LabelSelector } | null; reserved?: string } {
  const podLabels: Record<string, string> = {};
  const podExpr: LabelSelectorRequirement[] = [];
  const nsLabels: Record<string, string> = {};
  const nsExpr: LabelSelectorRequirement[] = [];
  const strip = (k: string): string => k.replace(/^(k8s|any):/, "");
  for (const [k0, v] of Object.entries(raw?.matchLabels ?? {})) {
    if (k0.startsWith("reserved:")) return { sel: null, reserved: k0 };
    const k = strip(k0);
    if (k === CILIUM_NS) nsLabels[NS_NAME_LABEL] = v;
    else if (k.startsWith(CILIUM_NS_LABEL)) nsLabels[k.slice(CILIUM_NS_LABEL.length)] = v;
    else podLabels[k] = v;
  }
  for (const r of raw?.matchExpressions ?? []) {
    if (r.key.startsWith("reserved:")) return { sel: null, reserved: r.key };
    const k = strip(r.key);
    const { operator, values } = toRequirement(r);
    const req = { operator, values };
    if (k === CILIUM_NS) nsExpr.push({ key: NS_NAME_LABEL, ...req });
    else if (k.startsWith(CILIUM_NS_LABEL)) nsExpr.push({ key: k.slice(CILIUM_NS_LABEL.length), ...req });
    else podExpr.push({ key: k, ...req });
  }
  const hasNs = Object.keys(nsLabels).length > 0 || nsExpr.length > 0;
  const namespaces: NamespaceMatch = hasNs ? { kind: "selector", selector: { matchLabels: nsLabels, matchExpressions: nsExpr } } : clusterWide ? { kind: "selector", selector: MATCH_ALL } : { kind: "policy" };
  return { sel: { namespaces, pods: { matchLabels: podLabels, matchExpressions: podExpr } } };
}

const CILIUM_ENTITY: Partial<Record<(typeof S.CILIUM_ENTITIES)[number], Entity>> = {
  world: "world",
  cluster: "cluster",
  host: "host",
  "remote-node": "remote-node",
  "kube-apiserver": "kube-apiserver",
  all: "all",
};

type CiliumIngress = NonNullable<S.RawCiliumRule["ingress"]>[number];
type CiliumEgress = NonNullable<S.RawCiliumRule["egress"]>[number];

function readCilium(ctx: Ctx, out: Policy[], apiVersion: string, clusterWide: boolean): void {
  const cp = validate(ctx, S.ciliumPolicy);
  if (!cp) return;
  advise(ctx, [...selectorAdvisories(cp.spec, ["spec"]), ...selectorAdvisories(cp.specs, ["specs"])]);
  const kind = clusterWide ? "CiliumClusterwideNetworkPolicy" : "CiliumNetworkPolicy";
  const namespace = clusterWide ? undefined : (cp.metadata.namespace ?? "default");
  const src = ref(ctx, kind, apiVersion, cp.metadata.name, namespace, cp.metadata.resourceVersion);
  const specs: { rule: S.RawCiliumRule; path: PathSeg[] }[] = cp.spec ? [{ rule: cp.spec, path: ["spec"] }] : (cp.specs ?? []).map((rule, i) => ({ rule, path: ["specs", i] }));
  specs.forEach(({ rule, path }, specIndex) => {
    if (rule.nodeSelector) {
      ctx.warnings.push(at(ctx, [...path, "nodeSelector"], "host firewall policies (nodeSelector) are not evaluated", "warning"));
      return;
    }
    const subj = ciliumSelector(rule.endpointSelector, clusterWide);
    if (!subj.sel) {
      ctx.warnings.push(at(ctx, [...path, "endpointSelector"], `endpointSelector on reserved identity ${subj.reserved} is not evaluated`, "warning"));
      return;
    }
    const subject = clusterWide || subj.sel.namespaces.kind !== "policy" ? subj.sel : { namespaces: { kind: "names" as const, names: [namespace!] }, pods: subj.sel.pods };
    const rules: PolicyRule[] = [];
    const convert = (direction: Direction, key: "ingress" | "ingressDeny" | "egress" | "egressDeny", list: (CiliumIngress | CiliumEgress)[] | null | undefined) => {
      (list ?? []).forEach((r, i) => {
        const rpath: PathSeg[] = [...path, key, i];
        const peers: Peer[] = [];
        let hasL3 = false;
        const endpoints = "fromEndpoints" in r ? r.fromEndpoints : "toEndpoints" in r ? r.toEndpoints : undefined;
        for (const e of endpoints ?? []) {
          hasL3 = true;
          const s = ciliumSelector(e, clusterWide);
          if (s.sel) peers.push({ kind: "workloads", selector: s.sel });
          else ctx.warnings.push(at(ctx, rpath, `endpoint selector on reserved identity ${s.reserved} is not evaluated`, "warning"));
        }
        const cidrs = "fromCIDR" in r ? r.fromCIDR : "toCIDR" in r ? r.toCIDR : undefined;
        for (const c of cidrs ?? []) {
          hasL3 = true;
          peers.push({ kind: "ipBlock", cidr: c, except: [] });
        }
        const sets = "fromCIDRSet" in r ? r.fromCIDRSet : "toCIDRSet" in r ? r.toCIDRSet : undefined;
        for (const c of sets ?? []) {
          hasL3 = true;
          if (c.cidr) peers.push({ kind: "ipBlock", cidr: c.cidr, except: [...(c.except ?? [])] });
          else ctx.warnings.push(at(ctx, rpath, "cidrGroupRef is not evaluated", "warning"));
        }
        const entities = "fromEntities" in r ? r.fromEntities : "toEntities" in r ? r.toEntities : undefined;
        for (const e of entities ?? []) {
          hasL3 = true;
          const ent = CILIUM_ENTITY[e];
          if (ent) peers.push({ kind: "entity", entity: ent });
          else ctx.warnings.push(at(ctx, rpath, `entity "${e}" is not modelled and matches nothing`, "warning"));
        }
        if ("toFQDNs" in r) {
          (r.toFQDNs ?? []).forEach((f, j) => {
            hasL3 = true;
            const name = f.matchName ?? f.matchPattern;
            // The CRD accepts an entry with neither or both; Cilium's agent does not.
            if (name == null || (f.matchName != null && f.matchPattern != null)) ctx.warnings.push(at(ctx, [...rpath, "toFQDNs", j], "a toFQDNs entry needs exactly one of matchName and matchPattern; this one matches nothing", "warning"));
            else peers.push({ kind: "dns", pattern: name.replace(/\.$/, "") });
          });
        }
        if ("toServices" in r) {
          for (const s of r.toServices ?? []) {
            hasL3 = true;
            if (s.k8sService) peers.push({ kind: "service", namespace: s.k8sService.namespace ?? namespace ?? "default", name: s.k8sService.serviceName });
            else ctx.warnings.push(at(ctx, rpath, "toServices.k8sServiceSelector is not evaluated", "warning"));
          }
        }
        for (const extra of ["fromRequires", "toRequires", "fromNodes", "toNodes", "toGroups"] as const) {
          if (extra in r && (r as Record<string, unknown>)[extra] != null) ctx.warnings.push(at(ctx, [...rpath, extra], `${extra} is not evaluated`, "warning"));
        }
        let ports: PortMatch[] | null = null;
        if (r.toPorts && r.toPorts.length > 0) {
          ports = [];
          for (const pr of r.toPorts) {
            if (pr.rules && Object.keys(pr.rules).length > 0) ctx.warnings.push(at(ctx, [...rpath, "toPorts"], "L7 rules are not evaluated; the rule is treated as an L4 rule", "warning"));
            if (!pr.ports || pr.ports.length === 0) {
              ports = null;
              break;
            }
            for (const p of pr.ports) {
              const protos: Protocol[] = !p.protocol || p.protocol === "ANY" ? ["TCP", "UDP", "SCTP"] : [p.protocol];
              for (const protocol of protos) {
                if (typeof p.port === "string") ports.push({ kind: "named", protocol, name: p.port });
                else if (p.port === 0) ports.push({ kind: "number", protocol });
                else ports.push({ kind: "number", protocol, port: p.port, ...(p.endPort ? { endPort: p.endPort } : {}) });
              }
            }
          }
        }
        // Cilium: a rule with neither L3 peers nor ports selects nothing (`ingress: [{}]` is a default deny).
        if (!hasL3 && !r.toPorts?.length) return;
        const action = key.endsWith("Deny") ? "deny" : "allow";
        const p = ctx.obj.locate(rpath);
        rules.push({
          direction,
          action,
          peers: hasL3 ? peers : null,
          ports,
          ref: { ...src, direction, ruleIndex: i, ruleName: `${specs.length > 1 ? `specs[${specIndex}].` : ""}${key}[${i}]`, line: p.line, column: p.column },
        });
      });
    };
    convert("ingress", "ingress", rule.ingress);
    convert("ingress", "ingressDeny", rule.ingressDeny);
    convert("egress", "egress", rule.egress);
    convert("egress", "egressDeny", rule.egressDeny);
    const dd = rule.enableDefaultDeny;
    out.push({
      id: `${kind}/${namespace ? `${namespace}/` : ""}${cp.metadata.name}${specs.length > 1 ? `#${specIndex}` : ""}`,
      layer: "namespace",
      ...(namespace ? { namespace } : {}),
      subject,
      ...(dd?.ingress === false || dd?.egress === false ? { nonIsolating: { ingress: dd.ingress === false, egress: dd.egress === false } } : {}),
      policyTypes: {
        ingress: rule.ingress != null || rule.ingressDeny != null,
        egress: rule.egress != null || rule.egressDeny != null,
      },
      rules,
      ref: src,
    });
  });
}

// ---------------------------------------------------------------------------

const WORKLOAD_KINDS: Record<string, string[]> = {
  Deployment: ["apps/v1"],
  StatefulSet: ["apps/v1"],
  DaemonSet: ["apps/v1"],
  ReplicaSet: ["apps/v1"],
  ReplicationController: ["v1"],
  Job: ["batch/v1"],
  CronJob: ["batch/v1"],
};

export interface ReadOptions {
  /** Admin tier that Kubernetes AdminNetworkPolicies / ClusterNetworkPolicies read from a cluster belong to (default "cluster"). */
  adminTier?: AdminTier;
  /** Objects of these apiVersions are another reader's (Policyplane documents beside manifests): skipped without a warning. */
  skipApiVersions?: readonly string[];
}

/** Read Kubernetes manifests from in-memory sources (pure: no file system). */
export function readManifestSources(sources: readonly ManifestSource[], options: ReadOptions = {}): ReadResult {
  const cluster = emptyCluster();
  const policies: Policy[] = [];
  const errors: PolicyInputError[] = [];
  const warnings: PolicyInputError[] = [];
  const tier = options.adminTier ?? "cluster";
  let objectCount = 0;
  for (const source of sources) {
    const parsed = parseSource(source.file, source.text);
    errors.push(...parsed.errors);
    for (const obj of parsed.objects) {
      objectCount++;
      const ctx: Ctx = { obj, errors, warnings };
      const v = obj.value;
      if (v === null || typeof v !== "object" || Array.isArray(v)) {
        errors.push(at(ctx, [], "expected a Kubernetes object (a mapping with apiVersion and kind)"));
        continue;
      }
      const { apiVersion, kind } = v as { apiVersion?: unknown; kind?: unknown };
      if (typeof apiVersion !== "string" || apiVersion === "") {
        errors.push(at(ctx, ["apiVersion"], "expected apiVersion (a string such as networking.k8s.io/v1)"));
        continue;
      }
      if (typeof kind !== "string" || kind === "") {
        errors.push(at(ctx, ["kind"], "expected kind (a string such as NetworkPolicy)"));
        continue;
      }
      if (options.skipApiVersions?.includes(apiVersion)) continue;
      const wrongVersion = (expected: string) => errors.push(at(ctx, ["apiVersion"], `unsupported apiVersion ${JSON.stringify(apiVersion)} for ${kind}; expected ${expected}`));
      switch (kind) {
        case "Namespace": {
          if (apiVersion !== "v1") {
            wrongVersion("v1");
            break;
          }
          const n = validate(ctx, S.namespace);
          if (n) cluster.namespaces.push({ name: n.metadata.name, labels: { ...(n.metadata.labels ?? {}), [NS_NAME_LABEL]: n.metadata.name }, source: ref(ctx, "Namespace", apiVersion, n.metadata.name) });
          break;
        }
        case "Pod":
          if (apiVersion !== "v1") wrongVersion("v1");
          else readPod(ctx, cluster, apiVersion);
          break;
        case "Service":
          if (apiVersion !== "v1") wrongVersion("v1");
          else readService(ctx, cluster, apiVersion);
          break;
        case "Node":
          if (apiVersion !== "v1") wrongVersion("v1");
          else readNode(ctx, cluster, apiVersion);
          break;
        case "NetworkPolicy":
          if (apiVersion !== "networking.k8s.io/v1") wrongVersion("networking.k8s.io/v1");
          else readNetworkPolicy(ctx, policies, apiVersion);
          break;
        case "AdminNetworkPolicy":
          if (apiVersion !== "policy.networking.k8s.io/v1alpha1") wrongVersion("policy.networking.k8s.io/v1alpha1");
          else readAnp(ctx, policies, apiVersion, tier);
          break;
        case "BaselineAdminNetworkPolicy":
          if (apiVersion !== "policy.networking.k8s.io/v1alpha1") wrongVersion("policy.networking.k8s.io/v1alpha1");
          else readBanp(ctx, policies, apiVersion);
          break;
        case "ClusterNetworkPolicy":
          if (apiVersion !== "policy.networking.k8s.io/v1alpha2" && apiVersion !== "policy.networking.k8s.io/v1beta1") wrongVersion("policy.networking.k8s.io/v1alpha2 or v1beta1");
          else readCnp(ctx, policies, apiVersion, tier);
          break;
        case "CiliumNetworkPolicy":
        case "CiliumClusterwideNetworkPolicy":
          if (apiVersion !== "cilium.io/v2") wrongVersion("cilium.io/v2");
          else readCilium(ctx, policies, apiVersion, kind === "CiliumClusterwideNetworkPolicy");
          break;
        default: {
          const versions = WORKLOAD_KINDS[kind];
          if (versions) {
            if (!versions.includes(apiVersion)) wrongVersion(versions.join(" or "));
            else readWorkload(ctx, cluster, kind as WorkloadKind, apiVersion);
          } else {
            warnings.push(at(ctx, ["kind"], `kind ${kind} (${apiVersion}) is not used by the policy engine; ignored`, "warning"));
          }
        }
      }
    }
  }
  finalize(cluster, policies, warnings);
  return { cluster, policies: { policies }, errors, warnings, objectCount };
}

/** Implicit namespaces (objects in a namespace that was not declared) and duplicate objects (the later one wins, as with kubectl apply). */
function finalize(cluster: ClusterModel, policies: Policy[], warnings: PolicyInputError[]): void {
  const dedupe = <T>(list: T[], key: (t: T) => string, what: (t: T) => { file?: string; line?: number; column?: number; name: string }): T[] => {
    const seen = new Map<string, number>();
    const out: T[] = [];
    for (const item of list) {
      const k = key(item);
      const prev = seen.get(k);
      if (prev !== undefined) {
        const w = what(item);
        warnings.push(new PolicyInputError({ file: w.file ?? "", line: w.line, column: w.column, message: `${w.name} is defined more than once; the later definition wins`, severity: "warning" }));
        out[prev] = item;
      } else {
        seen.set(k, out.length);
        out.push(item);
      }
    }
    return out;
  };
  const refWhat = (r: SourceRef | undefined, name: string) => ({ file: r?.file, line: r?.line, column: r?.column, name });
  cluster.namespaces = dedupe(cluster.namespaces, (n) => n.name, (n) => refWhat(n.source, `Namespace ${n.name}`));
  cluster.pods = dedupe(cluster.pods, (p) => `${p.namespace}/${p.name}`, (p) => refWhat(p.source, `Pod ${p.namespace}/${p.name}`));
  cluster.workloads = dedupe(cluster.workloads, (w) => `${w.kind}/${w.namespace}/${w.name}`, (w) => refWhat(w.source, `${w.kind} ${w.namespace}/${w.name}`));
  cluster.services = dedupe(cluster.services, (s) => `${s.namespace}/${s.name}`, (s) => refWhat(s.source, `Service ${s.namespace}/${s.name}`));
  cluster.nodes = dedupe(cluster.nodes, (n) => n.name, (n) => refWhat(n.source, `Node ${n.name}`));
  const deduped = dedupe(policies, (p) => p.id, (p) => refWhat(p.ref, p.id));
  policies.length = 0;
  policies.push(...deduped);
  const known = new Set(cluster.namespaces.map((n) => n.name));
  const used = [...cluster.pods.map((p) => p.namespace), ...cluster.workloads.map((w) => w.namespace), ...cluster.services.map((s) => s.namespace), ...policies.map((p) => p.namespace).filter((n): n is string => !!n)];
  for (const name of used) {
    if (!known.has(name)) {
      known.add(name);
      cluster.namespaces.push({ name, labels: { [NS_NAME_LABEL]: name } });
    }
  }
}
