/**
 * Staged (audit-only) rendering of policies (issue 13 §11): what a staged change
 * puts on a cluster instead of enforcing it. Pure, like the compiler.
 *
 * Only Calico has a per-policy audit-only object: `StagedNetworkPolicy`
 * (namespaced) and `StagedGlobalNetworkPolicy` (cluster-wide), projectcalico.org/v3,
 * which Calico evaluates and reports in its flow logs (`pending_policies`, a
 * `staged:` prefix) without enforcing. Cilium's policy audit mode is set per
 * endpoint (or for the whole agent), not per policy, so a staged policy cannot be
 * audited alone there; plain NetworkPolicy / AdminNetworkPolicy clusters have no
 * audit-only objects at all. For those nothing is rendered, and the note says so.
 *
 * Field shapes (provenance): the spec fields `tier`, `order`, `selector`,
 * `namespaceSelector`, `types`, `ingress`, `egress` and the rule fields
 * `action` (Allow|Deny|Pass), `protocol`, `source` / `destination` with
 * `selector`, `namespaceSelector`, `nets`, `notNets`, `ports` follow the Calico
 * documentation's GlobalNetworkPolicy and NetworkPolicy examples kept in
 * ../shared/fixtures/calico (tigera/docs @ f2a2762432b54f20274d42c67bfa828d82872498:
 * gnp-devops-stage-env-tier-order.yaml, gnp-deny-app-policy-allow-dns.yaml,
 * np-calico-allow-tcp-6379-namespaceselector.yaml, gnp-default-tier-default-deny.yaml
 * for the `default.` name prefix of the default tier). The staged kinds take the
 * same spec as their enforced kinds ("Staged network policy" and "Staged global
 * network policy" in the Calico Open Source resource reference,
 * docs.tigera.io/calico/latest/reference/resources/stagednetworkpolicy and
 * …/stagedglobalnetworkpolicy); `stagedAction: Set` says the staged policy adds or
 * replaces rather than deletes. Selector syntax (`k == 'v'`, `k in {…}`, `has(k)`,
 * `all()`) as in those examples.
 *
 * Translated from the engine's IR (after lowering, as the compiler reads it):
 * the namespace layer becomes one StagedNetworkPolicy per (policy, namespace);
 * constraints, admin tiers and the baseline become StagedGlobalNetworkPolicy with
 * the compiler's priority as `order`. What Calico's open-source rules cannot say
 * (DNS names, Service peers, node peers, cluster entities, egress gateways) is
 * not rendered and listed in the notes, never dropped silently.
 */
import { stringify } from "yaml";
import type { LabelSelector, NamespaceMatch, Peer, Policy, PolicyRule, PortMatch } from "../model";
import { lowerDocuments, type TargetCluster } from "../documents/lower";
import type { LocatedDocument } from "../documents/read";
import { formatPeer } from "../util/text";
import { ANNOTATION, MANAGED_BY, PRIORITY_BAND, type CompiledObject, type K8sObject } from "./compile";

export type StagedCni = "calico" | "cilium" | "other" | null;

export interface StagedRender {
  /** The audit-only objects (Calico only). */
  objects: CompiledObject[];
  /** Why something was not rendered (a CNI without audit-only objects, a rule Calico cannot say): shown on the rollout. */
  notes: string[];
}

export const STAGED_ANNOTATION = "policyplane.io/staged";
const NS_NAME = "kubernetes.io/metadata.name";
/** The namespace layer's order (Calico renders Kubernetes NetworkPolicy at order 1000). */
const NAMESPACE_ORDER = 1000;
const BASELINE_ORDER = 10_000;

type Json = Record<string, unknown>;

const quote = (v: string) => `'${v.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

/** A Kubernetes label selector as a Calico selector expression (`all()` when it selects everything). */
export function calicoSelector(sel: LabelSelector): string {
  const parts = [
    ...Object.entries(sel.matchLabels)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k} == ${quote(v)}`),
    ...sel.matchExpressions.map((e) => {
      const set = `{${e.values.map(quote).join(", ")}}`;
      switch (e.operator) {
        case "In":
          return `${e.key} in ${set}`;
        case "NotIn":
          return `${e.key} not in ${set}`;
        case "Exists":
          return `has(${e.key})`;
        case "DoesNotExist":
          return `!has(${e.key})`;
      }
    }),
  ];
  return parts.length === 0 ? "all()" : parts.join(" && ");
}

/** A namespace match as a Calico namespaceSelector; null: the policy's own namespace (a namespaced policy leaves it out). */
function namespaceSelector(m: NamespaceMatch): string | null {
  if (m.kind === "policy") return null;
  if (m.kind === "names")
    return m.names.length === 1 ? `${NS_NAME} == ${quote(m.names[0]!)}` : `${NS_NAME} in {${m.names.map(quote).join(", ")}}`;
  return calicoSelector(m.selector);
}

/** Calico rules carry one protocol each: the port clauses grouped by protocol (null: any protocol, any port). */
function portGroups(
  ports: readonly PortMatch[] | null,
  notes: string[],
  where: string,
): { protocol?: string; ports?: (number | string)[] }[] {
  if (ports === null) return [{}];
  const groups = new Map<string, (number | string)[] | null>();
  const add = (protocol: string, port: number | string | null) => {
    const have = groups.get(protocol);
    if (port === null) groups.set(protocol, null);
    else if (have !== null) groups.set(protocol, [...(have ?? []), port]);
  };
  for (const p of ports) {
    if (p.kind === "named") {
      if (p.protocol) add(p.protocol, p.name);
      else {
        // Calico needs a protocol with a port; the container port decides it on the cluster: stage both.
        notes.push(`${where}: named port ${p.name} has no protocol; staged for TCP and UDP`);
        add("TCP", p.name);
        add("UDP", p.name);
      }
    } else
      add(p.protocol, p.port === undefined ? null : p.endPort !== undefined && p.endPort !== p.port ? `${p.port}:${p.endPort}` : p.port);
  }
  return [...groups].map(([protocol, list]) => ({ protocol, ...(list ? { ports: list } : {}) }));
}

/** The Calico entity rule of one peer (null: Calico's open-source rules cannot say it). */
function peerRule(peer: Peer, namespaced: boolean): Json | null {
  switch (peer.kind) {
    case "workloads": {
      const ns = namespaceSelector(peer.selector.namespaces);
      // A global policy's "own namespace" does not exist: such a peer is not rendered.
      if (ns === null && !namespaced) return null;
      return { selector: calicoSelector(peer.selector.pods), ...(ns !== null ? { namespaceSelector: ns } : {}) };
    }
    case "ipBlock":
      return { nets: [peer.cidr], ...(peer.except.length > 0 ? { notNets: [...peer.except] } : {}) };
    case "entity":
      if (peer.entity === "kube-dns") return { selector: "k8s-app == 'kube-dns'", namespaceSelector: `${NS_NAME} == 'kube-system'` };
      return null;
    default:
      return null;
  }
}

const ACTION = { allow: "Allow", deny: "Deny", pass: "Pass" } as const;

function rulesOf(p: Policy, r: PolicyRule, namespaced: boolean, notes: string[]): Json[] {
  const where = `${p.ref.kind} ${p.ref.name} rule ${r.ref.ruleName ?? r.ref.ruleIndex}`;
  if (r.via) notes.push(`${where}: the egress gateway (via ${r.via}) is not staged; the rule is staged as a direct ${r.direction} rule`);
  const peers: (Json | null)[] = r.peers === null ? [null] : [];
  for (const peer of r.peers ?? []) {
    const rule = peerRule(peer, namespaced);
    if (rule) peers.push(rule);
    else notes.push(`${where}: ${formatPeer(peer)} has no Calico staged-policy peer; not staged`);
  }
  const side = r.direction === "ingress" ? "source" : "destination";
  return peers.flatMap((peer) =>
    portGroups(r.ports, notes, where).map(({ protocol, ports }) => {
      const destination: Json = { ...(side === "destination" && peer ? peer : {}), ...(ports ? { ports } : {}) };
      return {
        action: ACTION[r.action],
        ...(protocol ? { protocol } : {}),
        ...(side === "source" && peer ? { source: peer } : {}),
        ...(Object.keys(destination).length > 0 ? { destination } : {}),
      };
    }),
  );
}

/**
 * The staged policy's Calico `order` (lower first; a float): the compiler's bands keep the layers and tiers in the
 * engine's decision order (constraint, global, regional, cluster, namespace, baseline), and the document's priority,
 * scaled into its band, keeps the order within a tier (ties: by name, as Calico and the compiler both break them).
 */
function orderOf(p: Policy): number {
  const within = Math.min(Math.max(p.priority ?? 0, 0), 299_999) / 1000;
  if (p.layer === "namespace") return NAMESPACE_ORDER;
  if (p.layer === "baseline") return BASELINE_ORDER + within;
  if (p.layer === "constraint") return PRIORITY_BAND.constraint;
  return PRIORITY_BAND[p.tier ?? "cluster"] + within;
}

function stagedObject(p: Policy, cluster: string, release: string | undefined, notes: string[]): K8sObject | null {
  const namespaced = p.layer === "namespace";
  if (namespaced && p.namespace === undefined) {
    notes.push(`${p.ref.kind} ${p.ref.name} has no namespace on ${cluster}; not staged`);
    return null;
  }
  const directions = (["ingress", "egress"] as const).filter((d) =>
    namespaced ? p.policyTypes[d] : p.rules.some((r) => r.direction === d),
  );
  const rules = (d: "ingress" | "egress") => p.rules.filter((r) => r.direction === d).flatMap((r) => rulesOf(p, r, namespaced, notes));
  const ns = namespaceSelector(p.subject.namespaces);
  const spec: Json = {
    stagedAction: "Set",
    tier: "default",
    order: orderOf(p),
    selector: calicoSelector(p.subject.pods),
    ...(!namespaced && ns !== null ? { namespaceSelector: ns } : {}),
    types: directions.map((d) => (d === "ingress" ? "Ingress" : "Egress")),
    ...(directions.includes("ingress") ? { ingress: rules("ingress") } : {}),
    ...(directions.includes("egress") ? { egress: rules("egress") } : {}),
  };
  return {
    apiVersion: "projectcalico.org/v3",
    kind: namespaced ? "StagedNetworkPolicy" : "StagedGlobalNetworkPolicy",
    metadata: {
      // Policies of Calico's default tier are named with its prefix.
      name: `default.${p.ref.name}`,
      ...(namespaced ? { namespace: p.namespace } : {}),
      labels: { ...MANAGED_BY },
      annotations: {
        [ANNOTATION.source]: `${p.ref.kind}/${p.ref.name}`,
        ...(p.ref.version ? { [ANNOTATION.version]: p.ref.version } : {}),
        ...(release ? { [ANNOTATION.release]: release } : {}),
        [ANNOTATION.cluster]: cluster,
        [STAGED_ANNOTATION]: "audit-only",
      },
    },
    spec,
  };
}

export const STAGED_NOT_SUPPORTED: Record<"cilium" | "other", string> = {
  cilium:
    "Cilium has no audit-only policy object (its policy audit mode is set per endpoint, not per policy): the staged policies are not rendered here, and nothing of them is enforced",
  other:
    "NetworkPolicy and AdminNetworkPolicy have no audit-only mode: the staged policies are not rendered on this cluster, and nothing of them is enforced",
};
const UNKNOWN_CNI =
  "the cluster's CNI is not known (no agent has reported it): the staged policies are not rendered here, and nothing of them is enforced";

/** The audit-only objects of `docs` (the staged versions) for one cluster, by its CNI. */
export function renderStaged(
  docs: readonly LocatedDocument[],
  cluster: TargetCluster,
  { cni, release }: { cni: StagedCni; release?: string },
): StagedRender {
  if (docs.length === 0) return { objects: [], notes: [] };
  if (cni !== "calico") return { objects: [], notes: [cni === null ? UNKNOWN_CNI : STAGED_NOT_SUPPORTED[cni]] };
  const lowered = lowerDocuments(docs, cluster, release ? { revision: release } : {});
  const notes: string[] = [];
  const objects = lowered.policies.policies
    .filter((p) => p.layer !== "exception")
    .map((p) => stagedObject(p, cluster.name, release, notes))
    .filter((o): o is K8sObject => o !== null)
    .sort(
      (a, b) =>
        a.kind.localeCompare(b.kind) ||
        (a.metadata.namespace ?? "").localeCompare(b.metadata.namespace ?? "") ||
        a.metadata.name.localeCompare(b.metadata.name),
    )
    .map((object) => ({
      object,
      path: `${cluster.name}/${object.metadata.namespace ?? "_cluster"}/${object.kind.toLowerCase()}-${object.metadata.name}.yaml`,
    }));
  return { objects, notes: [...new Set(notes)] };
}

/** Multi-document YAML of staged objects. */
export function stagedYaml(objects: readonly CompiledObject[]): string {
  return objects.map((o) => stringify(o.object, { lineWidth: 0 })).join("---\n");
}
