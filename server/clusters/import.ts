// Import of what a cluster enforces today: its NetworkPolicies, read back as
// Policyplane namespace-tier policies of the namespace's tenant, so a brownfield
// organisation starts from its own rules. Each policy keeps the Kubernetes
// semantics exactly: the subject is the pods the NetworkPolicy selects in its
// namespace, `isolate` its policyTypes, and each rule's peers and ports as
// written (an empty `from`/`to` is every peer: all pods and every address).
// What has no exact rendering is not imported and says why. Pure: no database.
import type { ObservedObject } from "@/db/schema/clusters";
import { policyDocument, type LabelSelector, type PolicyDocument } from "@/server/policy/documents/schema";
import { API_VERSION } from "@/server/policy/documents/schema";

export interface NotImported {
  /** "Kind namespace/name" */
  object: string;
  reason: string;
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
  const parsed = policyDocument.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { object, reason: `${issue.path.join(".")}: ${issue.message}` };
  }
  return parsed.data;
}

/**
 * The policies that reproduce the observed NetworkPolicies. Other policy kinds (AdminNetworkPolicy,
 * Cilium, …) are reported as not imported; inventory kinds are ignored. Names that collide get a
 * numeric suffix.
 */
export function importObserved(objects: readonly ObservedObject[], tenantOf: (namespace: string) => string | null): ImportResult {
  const documents: PolicyDocument[] = [];
  const notImported: NotImported[] = [];
  const names = new Set<string>();
  for (const o of objects) {
    if (o.kind === "NetworkPolicy" && o.apiVersion === "networking.k8s.io/v1") {
      const r = importNetworkPolicy(o, tenantOf(o.metadata.namespace ?? "default"));
      if ("reason" in r) notImported.push(r);
      else {
        let name = r.metadata.name;
        for (let n = 2; names.has(name); n++) name = `${r.metadata.name.slice(0, 59)}-${n}`;
        names.add(name);
        documents.push({ ...r, metadata: { ...r.metadata, name } });
      }
    } else if (/NetworkPolicy$|AuthorizationPolicy$/.test(o.kind))
      notImported.push({
        object: `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`,
        reason: `${o.kind} is not imported yet: only NetworkPolicies are`,
      });
  }
  return { documents, notImported };
}
