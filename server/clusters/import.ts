// Import of what a cluster enforces today, read back as Policyplane policies so a
// brownfield organisation starts from its own rules. NetworkPolicies become
// namespace-tier policies of the namespace's tenant: the subject is the pods the
// NetworkPolicy selects in its namespace, `isolate` its policyTypes, and each
// rule's peers and ports as written (an empty `from`/`to` is every peer: all pods
// and every address). AdminNetworkPolicies (v1alpha1) become cluster-tier
// policies with their priority, the BaselineAdminNetworkPolicy a baseline-tier
// one, both scoped to the cluster they were read from, rules in order with their
// Allow/Deny/Pass. CiliumNetworkPolicies' L3/L4 allow rules become namespace-tier
// policies as NetworkPolicies do. What has no exact rendering (a nodes peer, a
// named port in an ANP, Cilium deny rules, entities, DNS names and L7 rules,
// clusterwide Cilium policies, Calico kinds) is not imported and says why; the
// round trip (import, compile, decide every pod pair) is tested in
// import.test.ts. Pure: no database.
import type { ObservedObject } from "@/db/schema/clusters";
import { policyDocument, type LabelSelector, type PolicyDocument, type WorkloadSelector } from "@/server/policy/documents/schema";
import { API_VERSION } from "@/server/policy/documents/schema";
import { readManifestObjects } from "@/server/policy/read/manifests";

export interface NotImported {
  /** "Kind namespace/name" */
  object: string;
  reason: string;
}

/** The imported candidate as the document schema reads it, or why it is not a policy (its first issue). */
function checkedDocument(object: string, candidate: unknown): PolicyDocument | NotImported {
  const parsed = policyDocument.safeParse(candidate);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  return { object, reason: `${issue.path.join(".")}: ${issue.message}` };
}

export interface ImportResult {
  documents: PolicyDocument[];
  notImported: NotImported[];
}

/** As the cluster has it; the document schema checks it when the policy is built. */
type Selector = LabelSelector;
type NpPeer = { podSelector?: Selector; namespaceSelector?: Selector; ipBlock?: { cidr: string; except?: string[] } };
type NpPort = { port?: number | string; endPort?: number; protocol?: string };
type NpRule = { from?: NpPeer[]; to?: NpPeer[]; ports?: NpPort[] };
interface NpSpec {
  podSelector?: Selector;
  policyTypes?: string[];
  ingress?: NpRule[];
  egress?: NpRule[];
}

/** Every peer: all pods of all namespaces and every address (IPv4 and IPv6). */
const EVERY_PEER: PolicyDocument["spec"]["rules"][number]["peers"] = [
  { workloads: { namespaceSelector: {} } },
  { cidr: "0.0.0.0/0" },
  { cidr: "::/0" },
];

const isEmpty = (s: Selector | undefined) =>
  !s || (Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0);
/** A selector with its empty parts left out (the document schema is strict). */
const selector = (s: Selector): Selector => ({
  ...(s.matchLabels && Object.keys(s.matchLabels).length ? { matchLabels: s.matchLabels } : {}),
  ...(s.matchExpressions && s.matchExpressions.length ? { matchExpressions: s.matchExpressions } : {}),
});

/** A name for the imported policy: `<namespace>-<name>`, cut to a DNS label. */
export function importedName(namespace: string, name: string): string {
  const raw = `${namespace}-${name}`.toLowerCase().replace(/[^a-z0-9-]+/g, "-");
  return raw.slice(0, 63).replace(/^-+|-+$/g, "") || "imported";
}

function peerOf(p: NpPeer, namespace: string): PolicyDocument["spec"]["rules"][number]["peers"][number] {
  if (p.ipBlock) return { cidr: p.ipBlock.cidr, ...(p.ipBlock.except?.length ? { except: p.ipBlock.except } : {}) };
  const pods = isEmpty(p.podSelector) ? {} : { podSelector: selector(p.podSelector!) };
  // Without a namespaceSelector, a podSelector picks pods of the policy's own namespace.
  if (!p.namespaceSelector) return { workloads: { namespaces: [namespace], ...pods } };
  return { workloads: { namespaceSelector: selector(p.namespaceSelector), ...pods } };
}

function portsOf(ports: NpPort[]): { ports?: PolicyDocument["spec"]["rules"][number]["ports"]; problem?: string } {
  if (ports.length === 0) return {};
  const out: NonNullable<PolicyDocument["spec"]["rules"][number]["ports"]> = [];
  for (const p of ports) {
    const protocol = (p.protocol ?? "TCP") as "TCP" | "UDP" | "SCTP";
    if (p.port === undefined) return { problem: `a port entry without a port (every ${protocol} port) has no Policyplane form` };
    out.push({ port: p.port, ...(p.endPort !== undefined ? { endPort: p.endPort } : {}), protocol });
  }
  return { ports: out };
}

/**
 * One NetworkPolicy as a namespace-tier policy of `tenant` (null: the namespace belongs to no
 * tenant, so there is no owner to give it and it is not imported).
 */
export function importNetworkPolicy(o: ObservedObject, tenant: string | null): PolicyDocument | NotImported {
  const namespace = o.metadata.namespace ?? "default";
  const object = `NetworkPolicy ${namespace}/${o.metadata.name}`;
  if (!tenant) return { object, reason: `namespace ${namespace} belongs to no tenant, so the policy would have no owner` };
  const spec = (o.spec ?? {}) as NpSpec;
  const types = spec.policyTypes ?? ["Ingress", ...(spec.egress !== undefined ? ["Egress"] : [])];
  const isolate = (["ingress", "egress"] as const).filter((d) => types.some((t) => t.toLowerCase() === d));
  const rules: PolicyDocument["spec"]["rules"] = [];
  for (const direction of isolate) {
    for (const [i, r] of (spec[direction] ?? []).entries()) {
      const peers = direction === "ingress" ? r.from : r.to;
      const ports = portsOf(r.ports ?? []);
      if (ports.problem) return { object, reason: `spec.${direction}[${i}].ports: ${ports.problem}` };
      rules.push({
        direction,
        action: "allow",
        peers: peers && peers.length > 0 ? peers.map((p) => peerOf(p, namespace)) : EVERY_PEER,
        ...(ports.ports ? { ports: ports.ports } : {}),
      });
    }
  }
  const candidate = {
    apiVersion: API_VERSION,
    kind: "Policy",
    metadata: {
      name: importedName(namespace, o.metadata.name),
      tenant,
      description: `Imported from ${object}.`,
    },
    spec: {
      tier: "namespace",
      subject: { namespaces: [namespace], ...(isEmpty(spec.podSelector) ? {} : { podSelector: selector(spec.podSelector!) }) },
      rules,
      isolate,
    },
  };
  return checkedDocument(object, candidate);
}

type AnpSelector = Selector | null | undefined;
interface AnpPeer {
  namespaces?: AnpSelector;
  pods?: { namespaceSelector?: AnpSelector; podSelector?: AnpSelector } | null;
  nodes?: AnpSelector;
  networks?: string[] | null;
}
interface AnpPort {
  portNumber?: { protocol?: string | null; port: number } | null;
  namedPort?: string | null;
  portRange?: { protocol?: string | null; start: number; end: number } | null;
}
interface AnpRule {
  name?: string | null;
  action?: string;
  from?: AnpPeer[] | null;
  to?: AnpPeer[] | null;
  ports?: AnpPort[] | null;
}
interface AnpSpec {
  priority?: number;
  subject?: { namespaces?: AnpSelector; pods?: { namespaceSelector?: AnpSelector; podSelector?: AnpSelector } | null };
  ingress?: AnpRule[] | null;
  egress?: AnpRule[] | null;
}

type DocRule = PolicyDocument["spec"]["rules"][number];
type DocPeer = DocRule["peers"][number];
type DocPort = NonNullable<DocRule["ports"]>[number];
const PROTOCOLS = ["TCP", "UDP", "SCTP"];
const ANP_ACTIONS: Record<string, DocRule["action"]> = { Allow: "allow", Deny: "deny", Pass: "pass" };

/** An ANP selector as a document's (`{}` stays `{}`: every namespace, every pod). */
const anpSelector = (s: AnpSelector): Selector => selector(s ?? {});

function anpPeer(p: AnpPeer): DocPeer[] | string {
  if (p.pods)
    return [{ workloads: { namespaceSelector: anpSelector(p.pods.namespaceSelector), podSelector: anpSelector(p.pods.podSelector) } }];
  if (p.namespaces) return [{ workloads: { namespaceSelector: anpSelector(p.namespaces) } }];
  if (p.nodes) return "a nodes peer (nodes by their labels) has no Policyplane form";
  if (p.networks) return p.networks.map((cidr) => ({ cidr }));
  return "a peer that names no namespaces, pods or networks";
}

function anpPort(p: AnpPort): DocPort | string {
  const spec = p.portNumber ?? p.portRange;
  if (spec) {
    const protocol = spec.protocol ?? "TCP";
    if (!PROTOCOLS.includes(protocol)) return `protocol ${JSON.stringify(protocol)} is none of TCP, UDP and SCTP`;
    return p.portNumber
      ? { port: p.portNumber.port, protocol: protocol as DocPort["protocol"] }
      : { port: p.portRange!.start, endPort: p.portRange!.end, protocol: protocol as DocPort["protocol"] };
  }
  // The engine matches an AdminNetworkPolicy's named port under whichever protocol the container
  // declares it with; a Policyplane port names one protocol, so the two can differ.
  return `namedPort ${JSON.stringify(p.namedPort ?? "")} matches the container port of that name under any protocol; a Policyplane port names one protocol`;
}

/**
 * An AdminNetworkPolicy (cluster tier, its priority) or the BaselineAdminNetworkPolicy (baseline
 * tier) as a Policyplane policy scoped to the cluster it was read from. Rules keep their order,
 * action, peers and ports; what has no exact form (nodes peers, named ports) is not imported.
 */
export function importAdminNetworkPolicy(o: ObservedObject, cluster: string | null): PolicyDocument | NotImported {
  const baseline = o.kind === "BaselineAdminNetworkPolicy";
  const object = `${o.kind} ${o.metadata.name}`;
  if (o.apiVersion !== "policy.networking.k8s.io/v1alpha1")
    return { object, reason: `${o.apiVersion} is not read: only policy.networking.k8s.io/v1alpha1 is imported` };
  // The engine's own reading first: what it refuses (or warns matches nothing) is not imported.
  const read = readManifestObjects("observed", [o]);
  const problem = read.errors[0] ?? read.warnings.find((w) => /matches (nothing|no port)/.test(w.message));
  if (problem) return { object, reason: `${problem.path ? `${problem.path}: ` : ""}${problem.message}` };
  const spec = (o.spec ?? {}) as AnpSpec;
  const rules: DocRule[] = [];
  for (const direction of ["ingress", "egress"] as const) {
    for (const [i, r] of (spec[direction] ?? []).entries()) {
      const where = `spec.${direction}[${i}]`;
      const action = ANP_ACTIONS[r.action ?? ""];
      if (!action) return { object, reason: `${where}.action: ${JSON.stringify(r.action)} is none of Allow, Deny and Pass` };
      const peers: DocPeer[] = [];
      for (const [j, p] of ((direction === "ingress" ? r.from : r.to) ?? []).entries()) {
        const read = anpPeer(p);
        if (typeof read === "string") return { object, reason: `${where}.${direction === "ingress" ? "from" : "to"}[${j}]: ${read}` };
        peers.push(...read);
      }
      const ports: DocPort[] = [];
      for (const [j, p] of (r.ports ?? []).entries()) {
        const port = anpPort(p);
        if (typeof port === "string") return { object, reason: `${where}.ports[${j}]: ${port}` };
        ports.push(port);
      }
      // An empty ports list matches no port at all, unlike an absent one (every port).
      if (r.ports && r.ports.length === 0)
        return { object, reason: `${where}.ports: an empty list (no port at all) has no Policyplane form` };
      rules.push({
        ...(r.name && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(r.name) && r.name.length <= 63 ? { name: r.name } : {}),
        direction,
        action,
        peers,
        ...(r.ports ? { ports } : {}),
      });
    }
  }
  const s = spec.subject ?? {};
  const subject = s.pods
    ? { namespaceSelector: anpSelector(s.pods.namespaceSelector), podSelector: anpSelector(s.pods.podSelector) }
    : { namespaceSelector: anpSelector(s.namespaces) };
  const candidate = {
    apiVersion: API_VERSION,
    kind: "Policy",
    metadata: {
      name: importedName(baseline ? "banp" : "anp", o.metadata.name),
      description: `Imported from ${object}${cluster ? ` of cluster ${cluster}` : ""}.`,
    },
    spec: {
      tier: baseline ? "baseline" : "cluster",
      ...(cluster ? { scope: { clusters: [cluster] } } : {}),
      ...(baseline ? {} : { priority: spec.priority }),
      subject,
      rules,
    },
  };
  return checkedDocument(object, candidate);
}

type CiliumSelector = { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
interface CiliumRule {
  fromEndpoints?: CiliumSelector[];
  toEndpoints?: CiliumSelector[];
  fromCIDR?: string[];
  toCIDR?: string[];
  fromCIDRSet?: { cidr?: string; except?: string[]; cidrGroupRef?: string }[];
  toCIDRSet?: { cidr?: string; except?: string[]; cidrGroupRef?: string }[];
  toPorts?: { ports?: { port?: string | number; endPort?: number; protocol?: string }[]; rules?: Record<string, unknown> }[];
  [other: string]: unknown;
}
interface CiliumSpec {
  endpointSelector?: CiliumSelector;
  ingress?: CiliumRule[] | null;
  egress?: CiliumRule[] | null;
  [other: string]: unknown;
}

const CILIUM_NS = "io.kubernetes.pod.namespace";
const CILIUM_NS_LABEL = "io.cilium.k8s.namespace.labels.";
const CILIUM_KNOWN = new Set(["fromEndpoints", "toEndpoints", "fromCIDR", "toCIDR", "fromCIDRSet", "toCIDRSet", "toPorts"]);

/** A Cilium endpoint selector as namespaces and pods (null namespaces: the policy's own), or why it has no exact form. */
function ciliumWorkloads(sel: CiliumSelector, namespace: string): WorkloadSelector | string {
  const pods: Selector = {};
  const namespaces: Selector = {};
  let names: string[] | null = null;
  const strip = (k: string) => k.replace(/^(k8s|any):/, "");
  for (const [k0, v] of Object.entries(sel.matchLabels ?? {})) {
    if (k0.startsWith("reserved:")) return `the reserved identity ${k0} has no Policyplane form`;
    const k = strip(k0);
    if (k === CILIUM_NS) names = [v];
    else if (k.startsWith(CILIUM_NS_LABEL)) namespaces.matchLabels = { ...namespaces.matchLabels, [k.slice(CILIUM_NS_LABEL.length)]: v };
    else pods.matchLabels = { ...pods.matchLabels, [k]: v };
  }
  for (const e of sel.matchExpressions ?? []) {
    const k = strip(e.key);
    if (e.key.startsWith("reserved:") || k === CILIUM_NS || k.startsWith(CILIUM_NS_LABEL))
      return `a matchExpressions entry on ${e.key} has no Policyplane form`;
    pods.matchExpressions = [...(pods.matchExpressions ?? []), { ...e, key: k } as NonNullable<Selector["matchExpressions"]>[number]];
  }
  const podPart = isEmpty(pods) ? {} : { podSelector: selector(pods) };
  if (names) return { namespaces: names, ...(isEmpty(namespaces) ? {} : { namespaceSelector: selector(namespaces) }), ...podPart };
  if (!isEmpty(namespaces)) return { namespaceSelector: selector(namespaces), ...podPart };
  return { namespaces: [namespace], ...podPart };
}

/**
 * A CiliumNetworkPolicy's L3/L4 allow rules as a namespace-tier policy of `tenant`: endpoints,
 * CIDRs and ports as written, each direction with rules isolated as Cilium isolates it. Deny rules,
 * entities, DNS names, services, L7 rules, reserved identities and clusterwide policies have no
 * exact namespace-tier form and are not imported.
 */
export function importCiliumNetworkPolicy(o: ObservedObject, tenant: string | null): PolicyDocument | NotImported {
  const namespace = o.metadata.namespace ?? "default";
  const object = `CiliumNetworkPolicy ${namespace}/${o.metadata.name}`;
  if (!tenant) return { object, reason: `namespace ${namespace} belongs to no tenant, so the policy would have no owner` };
  const read = readManifestObjects("observed", [o]);
  const problem = read.errors[0] ?? read.warnings.find((w) => /not evaluated|not modelled|matches nothing/.test(w.message));
  if (problem) return { object, reason: `${problem.path ? `${problem.path}: ` : ""}${problem.message}` };
  const raw = o as unknown as { specs?: unknown; spec?: CiliumSpec };
  if (raw.specs) return { object, reason: "specs (several rules in one object) is not imported: split it into one policy per rule" };
  const spec = raw.spec ?? {};
  for (const key of Object.keys(spec))
    if (!["endpointSelector", "ingress", "egress", "description", "labels"].includes(key))
      return { object, reason: `spec.${key} has no namespace-tier Policyplane form` };
  const subject = ciliumWorkloads(spec.endpointSelector ?? {}, namespace);
  if (typeof subject === "string") return { object, reason: `spec.endpointSelector: ${subject}` };
  if (subject.namespaces?.length !== 1 || subject.namespaces[0] !== namespace || subject.namespaceSelector)
    return { object, reason: "spec.endpointSelector selects pods outside the policy's namespace, which a namespace-tier policy cannot" };
  const rules: DocRule[] = [];
  const isolate: ("ingress" | "egress")[] = [];
  for (const direction of ["ingress", "egress"] as const) {
    if (spec[direction] == null) continue;
    isolate.push(direction);
    const side = direction === "ingress" ? "from" : "to";
    for (const [i, r] of (spec[direction] ?? []).entries()) {
      const where = `spec.${direction}[${i}]`;
      const other = Object.keys(r).find(
        (k) =>
          !CILIUM_KNOWN.has(k) ||
          (k.startsWith("from") && direction === "egress") ||
          (k.startsWith("to") && k !== "toPorts" && direction === "ingress"),
      );
      if (other) return { object, reason: `${where}.${other} has no Policyplane form` };
      const peers: DocPeer[] = [];
      let l3 = false;
      for (const [j, e] of ((side === "from" ? r.fromEndpoints : r.toEndpoints) ?? []).entries()) {
        l3 = true;
        const w = ciliumWorkloads(e, namespace);
        if (typeof w === "string") return { object, reason: `${where}.${side}Endpoints[${j}]: ${w}` };
        peers.push({ workloads: w });
      }
      for (const cidr of (side === "from" ? r.fromCIDR : r.toCIDR) ?? []) {
        l3 = true;
        peers.push({ cidr });
      }
      for (const [j, c] of ((side === "from" ? r.fromCIDRSet : r.toCIDRSet) ?? []).entries()) {
        l3 = true;
        if (!c.cidr) return { object, reason: `${where}.${side}CIDRSet[${j}]: a cidrGroupRef has no Policyplane form` };
        peers.push({ cidr: c.cidr, ...(c.except?.length ? { except: c.except } : {}) });
      }
      let ports: DocPort[] | null = null;
      for (const [j, pr] of (r.toPorts ?? []).entries()) {
        if (pr.rules && Object.keys(pr.rules).length > 0)
          return { object, reason: `${where}.toPorts[${j}].rules: L7 rules have no Policyplane form` };
        if (!pr.ports || pr.ports.length === 0) {
          ports = null;
          break;
        }
        ports ??= [];
        for (const p of pr.ports) {
          const protocols = !p.protocol || p.protocol === "ANY" ? ["TCP", "UDP", "SCTP"] : [p.protocol];
          const number = typeof p.port === "number" ? p.port : /^\d+$/.test(p.port ?? "") ? Number(p.port) : null;
          if (number === 0 || p.port === undefined)
            return { object, reason: `${where}.toPorts[${j}]: a port entry without a port (every port) has no Policyplane form` };
          for (const protocol of protocols)
            ports.push({
              port: number ?? String(p.port),
              ...(p.endPort ? { endPort: p.endPort } : {}),
              protocol: protocol as DocPort["protocol"],
            });
        }
      }
      // A rule with neither peers nor ports selects nothing in Cilium (`ingress: [{}]` only isolates).
      if (!l3 && !(r.toPorts ?? []).length) continue;
      if (l3 && peers.length === 0) return { object, reason: `${where}: a rule whose peers are all empty lists has no Policyplane form` };
      rules.push({ direction, action: "allow", peers: l3 ? peers : EVERY_PEER, ...(ports ? { ports } : {}) });
    }
  }
  const candidate = {
    apiVersion: API_VERSION,
    kind: "Policy",
    metadata: { name: importedName(namespace, o.metadata.name), tenant, description: `Imported from ${object}.` },
    spec: {
      tier: "namespace",
      subject: { namespaces: [namespace], ...(subject.podSelector ? { podSelector: subject.podSelector } : {}) },
      rules,
      isolate,
    },
  };
  return checkedDocument(object, candidate);
}

/**
 * The policies that reproduce the observed NetworkPolicies, AdminNetworkPolicies and the
 * BaselineAdminNetworkPolicy (the admin ones scoped to `options.cluster`, the cluster they were
 * read from). Other policy kinds (Cilium, Calico, ClusterNetworkPolicy, …) are reported as not
 * imported; inventory kinds are ignored. Names that collide get a numeric suffix.
 */
export function importObserved(
  objects: readonly ObservedObject[],
  tenantOf: (namespace: string) => string | null,
  options: { cluster?: string } = {},
): ImportResult {
  const documents: PolicyDocument[] = [];
  const notImported: NotImported[] = [];
  const names = new Set<string>();
  const keep = (r: PolicyDocument | NotImported) => {
    if ("reason" in r) return void notImported.push(r);
    let name = r.metadata.name;
    for (let n = 2; names.has(name); n++) name = `${r.metadata.name.slice(0, 59)}-${n}`;
    names.add(name);
    documents.push({ ...r, metadata: { ...r.metadata, name } });
  };
  for (const o of objects) {
    if (o.kind === "NetworkPolicy" && o.apiVersion === "networking.k8s.io/v1")
      keep(importNetworkPolicy(o, tenantOf(o.metadata.namespace ?? "default")));
    else if (
      (o.kind === "AdminNetworkPolicy" || o.kind === "BaselineAdminNetworkPolicy") &&
      o.apiVersion.startsWith("policy.networking.k8s.io/")
    )
      keep(importAdminNetworkPolicy(o, options.cluster ?? null));
    else if (o.kind === "CiliumNetworkPolicy" && o.apiVersion === "cilium.io/v2")
      keep(importCiliumNetworkPolicy(o, tenantOf(o.metadata.namespace ?? "default")));
    else if (o.kind === "CiliumClusterwideNetworkPolicy")
      notImported.push({
        object: `${o.kind} ${o.metadata.name}`,
        reason: "a clusterwide Cilium policy isolates pods of every namespace, which no namespace-tier policy (owned by one tenant) can",
      });
    else if (/NetworkPolicy$|AuthorizationPolicy$/.test(o.kind))
      notImported.push({
        object: `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`,
        reason: `${o.kind} is not imported yet: only NetworkPolicies, AdminNetworkPolicies, BaselineAdminNetworkPolicies and CiliumNetworkPolicies are`,
      });
  }
  return { documents, notImported };
}
