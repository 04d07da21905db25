/**
 * The normalised model (IR) of the policy engine.
 *
 * Every input format (Kubernetes manifests, AdminNetworkPolicy v1alpha1,
 * ClusterNetworkPolicy v1alpha2, Cilium, Policyplane documents) is read into
 * these types once; the evaluator, reachability, lint and the compiler work on
 * them only. Keep this file free of behaviour beyond tiny constructors: it is
 * the contract between the readers and everything downstream.
 */

export type Protocol = "TCP" | "UDP" | "SCTP";
export const PROTOCOLS: readonly Protocol[] = ["TCP", "UDP", "SCTP"];

export type Labels = Readonly<Record<string, string>>;

/** The label the API server puts on every namespace: its own name. */
export const NS_NAME_LABEL = "kubernetes.io/metadata.name";

// ---------------------------------------------------------------------------
// Source references: where a policy, rule or object came from.

export interface SourceRef {
  /** Kubernetes kind or Policyplane document kind, e.g. "NetworkPolicy", "AdminNetworkPolicy". */
  kind: string;
  apiVersion?: string;
  namespace?: string;
  name: string;
  /** Policyplane document version (or Kubernetes resourceVersion) when known. */
  version?: string;
  file?: string;
  /** 1-based line/column of the object (or rule, on RuleRef) in `file`. */
  line?: number;
  column?: number;
}

/** A rule's own reference: the object plus the rule's place in it. */
export interface RuleRef extends SourceRef {
  direction: Direction;
  /** 0-based index of the rule within its direction list (spec.ingress[i] / spec.egress[i]). */
  ruleIndex: number;
  /** ANP/CNP rule name when the format has one. */
  ruleName?: string;
}

/** "kind namespace/name" or "kind name" for cluster-scoped objects. */
export function refLabel(ref: SourceRef): string {
  return ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
}

// ---------------------------------------------------------------------------
// Label selectors (Kubernetes semantics).

export type SelectorOperator = "In" | "NotIn" | "Exists" | "DoesNotExist";

export interface LabelSelectorRequirement {
  key: string;
  operator: SelectorOperator;
  /** Required non-empty for In/NotIn, empty for Exists/DoesNotExist. */
  values: readonly string[];
}

/** An empty selector (no labels, no expressions) selects everything. */
export interface LabelSelector {
  matchLabels: Labels;
  matchExpressions: readonly LabelSelectorRequirement[];
}

export const MATCH_ALL: LabelSelector = Object.freeze({ matchLabels: Object.freeze({}), matchExpressions: Object.freeze([]) });

// ---------------------------------------------------------------------------
// Cluster model.

export interface NamespaceInfo {
  name: string;
  labels: Labels;
  source?: SourceRef;
}

export interface NamedPort {
  /** IANA_SVC_NAME from containerPort.name; absent for unnamed ports. */
  name?: string;
  port: number;
  protocol: Protocol;
}

export type WorkloadKind = "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" | "CronJob" | "ReplicationController";

/** A concrete pod (from a Pod manifest) or a pod instance materialised from a workload template. */
export interface PodInfo {
  namespace: string;
  name: string;
  labels: Labels;
  /** Container ports of all containers (and init containers with restartPolicy Always). */
  ports: readonly NamedPort[];
  /** status.podIPs (or status.podIP); empty when unknown. */
  ips: readonly string[];
  /** hostNetwork pods are not subject to pod-level policy; as peers they look like their node. */
  hostNetwork: boolean;
  nodeName?: string;
  /** The workload this pod belongs to (owner reference or template), used to aggregate reachability. */
  workload?: { kind: WorkloadKind | "Pod"; name: string };
  /** True when the pod was materialised from a workload template rather than read as a Pod. */
  fromTemplate?: boolean;
  source?: SourceRef;
}

/** A pod-template owner (Deployment, StatefulSet, …). */
export interface WorkloadInfo {
  kind: WorkloadKind;
  namespace: string;
  name: string;
  /** Pod template labels. */
  labels: Labels;
  ports: readonly NamedPort[];
  hostNetwork: boolean;
  /** spec.replicas (StatefulSet pods are materialised as name-0 … name-(n-1)). */
  replicas?: number;
  /** spec.selector, used to recognise concrete pods that belong to the workload. */
  selector?: LabelSelector;
  source?: SourceRef;
}

/** Whether a pod name is one a workload's controller gives its pods: the workload's name, or it followed by "-…". */
export function workloadNamesPod(workloadName: string, podName: string): boolean {
  return podName === workloadName || podName.startsWith(`${workloadName}-`);
}

export interface ServicePortInfo {
  name?: string;
  port: number;
  /** Number or a named container port of the backing pods. */
  targetPort: number | string;
  protocol: Protocol;
}

export interface ServiceInfo {
  namespace: string;
  name: string;
  /** Absent selector = service without pod selector (manual endpoints). */
  selector?: Labels;
  ports: readonly ServicePortInfo[];
  clusterIPs: readonly string[];
  source?: SourceRef;
}

export interface NodeInfo {
  name: string;
  labels: Labels;
  ips: readonly string[];
  source?: SourceRef;
}

/** A known destination outside the cluster: a DNS name (with optional resolved IPs) or a CIDR. */
export type ExternalDestination = { kind: "dns"; name: string; ips?: readonly string[] } | { kind: "cidr"; cidr: string; name?: string };

export interface ClusterModel {
  namespaces: NamespaceInfo[];
  pods: PodInfo[];
  workloads: WorkloadInfo[];
  services: ServiceInfo[];
  nodes: NodeInfo[];
  externals: ExternalDestination[];
}

export function emptyCluster(): ClusterModel {
  return { namespaces: [], pods: [], workloads: [], services: [], nodes: [], externals: [] };
}

// ---------------------------------------------------------------------------
// Peers and ports.

/**
 * Which namespaces a workload selector covers.
 * - `policy`: the namespace of the policy that holds the peer (NetworkPolicy peer without namespaceSelector).
 * - `selector`: namespaces whose labels match (an empty selector = all namespaces).
 * - `names`: explicit namespace names.
 */
export type NamespaceMatch =
  { kind: "policy" } | { kind: "selector"; selector: LabelSelector } | { kind: "names"; names: readonly string[] };

export interface WorkloadSelector {
  namespaces: NamespaceMatch;
  /** Pod label selector; MATCH_ALL when the format had no pod selector (ANP `namespaces` peer). */
  pods: LabelSelector;
}

export type Entity =
  /** Anything outside the cluster (not a pod, not a node). */
  | "world"
  /** Any pod or node of the cluster. */
  | "cluster"
  /** kube-system pods labelled k8s-app=kube-dns. */
  | "kube-dns"
  /** Nodes (Cilium host / remote-node). */
  | "host"
  | "remote-node"
  | "kube-apiserver"
  /** Everything (Cilium `all`). */
  | "all";

export type Peer =
  /** Pods picked by namespace × pod selector (NetworkPolicy podSelector/namespaceSelector, ANP namespaces/pods, Cilium endpoints). */
  | { kind: "workloads"; selector: WorkloadSelector }
  /**
   * CIDR with exceptions (NetworkPolicy ipBlock, ANP `networks`, Cilium toCIDRSet).
   * Matches any address inside cidr and outside every except, pod IPs included
   * (upstream netpol e2e and ANP conformance both target pods by IP this way).
   */
  | { kind: "ipBlock"; cidr: string; except: readonly string[] }
  /** DNS name or wildcard (`*.stripe.com`; `*` matches one or more labels, as Cilium matchPattern). */
  | { kind: "dns"; pattern: string }
  | { kind: "entity"; entity: Entity }
  /** A Service by name: the pods it selects (and its cluster IPs). */
  | { kind: "service"; namespace: string; name: string }
  /** Nodes by label (ANP `nodes`). */
  | { kind: "nodes"; selector: LabelSelector };

/**
 * One port clause. `port` absent = all ports of `protocol`.
 * A named port is resolved on the destination pod; `protocol` absent on a named
 * port means "whatever protocol the container port declares" (ANP namedPort).
 */
export type PortMatch =
  { kind: "number"; protocol: Protocol; port?: number; endPort?: number } | { kind: "named"; protocol?: Protocol; name: string };

// ---------------------------------------------------------------------------
// Policies.

export type Direction = "ingress" | "egress";
export type Action = "allow" | "deny" | "pass";

/**
 * Layers of the decision order (DESIGN.md "Decision order for one flow").
 * constraint → exception → admin (global, regional, cluster) → namespace → baseline → default.
 */
export type Layer = "constraint" | "exception" | "admin" | "namespace" | "baseline" | "default";

export type AdminTier = "global" | "regional" | "cluster";
export const ADMIN_TIER_ORDER: readonly AdminTier[] = ["global", "regional", "cluster"];

export interface PolicyRule {
  direction: Direction;
  /**
   * constraint: deny only; exception: allow only; admin: allow|deny|pass;
   * namespace: allow (NetworkPolicy) or deny (Cilium ingressDeny/egressDeny, deny wins within the layer);
   * baseline: allow|deny.
   */
  action: Action;
  /** null = every peer (NetworkPolicy rule without from/to). Otherwise OR of peers. */
  peers: readonly Peer[] | null;
  /** null = every port and protocol. Otherwise OR of port clauses. */
  ports: readonly PortMatch[] | null;
  /** Optional egress gateway (`via`) from Policyplane documents; informational for the evaluator. */
  via?: string;
  ref: RuleRef;
}

/**
 * The subject of a policy: which pods it applies to.
 * NetworkPolicy: { namespaces: names [ns], pods: podSelector }.
 */
export interface Subject {
  namespaces: NamespaceMatch;
  pods: LabelSelector;
}

export interface Policy {
  /** Unique within a PolicySet, e.g. "NetworkPolicy/default/web-deny-all". */
  id: string;
  layer: Exclude<Layer, "default">;
  /** Admin layer only. */
  tier?: AdminTier;
  /** Admin/baseline: lower number is evaluated first. Ties are broken by id. */
  priority?: number;
  /** The namespace a namespaced object lives in (used by NamespaceMatch "policy"). */
  namespace?: string;
  subject: Subject;
  /**
   * Which directions the policy isolates the subject for (namespace layer:
   * NetworkPolicy policyTypes after defaulting). Other layers only act through
   * rules, so both may be true.
   */
  policyTypes: { ingress: boolean; egress: boolean };
  /**
   * Directions in which the policy's rules apply without isolating the subject
   * (Cilium `enableDefaultDeny: false`): its deny rules still deny and its allow
   * rules count when another policy isolates the pod, but on its own it leaves
   * unmatched traffic to the next layer.
   */
  nonIsolating?: { ingress?: boolean; egress?: boolean };
  rules: PolicyRule[];
  /** Exceptions: ISO-8601 instant from which the policy counts (absent: always did). */
  startsAt?: string;
  /** Exceptions: ISO-8601 instant from which the policy no longer counts (it counts iff startsAt ≤ t < expiresAt). */
  expiresAt?: string;
  /** Regions/clusters a Policyplane policy is scoped to (empty/absent = everywhere). */
  scope?: { regions?: string[]; clusters?: string[] };
  ref: SourceRef;
}

/**
 * The platform default (secure by default, DESIGN.md decision order step 5): when no
 * layer decides a direction for a pod of a namespace it covers, it denies. It covers
 * every namespace except the ones excluded (a deliberate, visible choice, e.g. kube-system).
 * Off, Kubernetes allows what no policy decides.
 */
export interface PlatformDefault {
  enabled: boolean;
  excludeNamespaces: readonly string[];
}

export const PLATFORM_DEFAULT_OFF: PlatformDefault = Object.freeze({ enabled: false, excludeNamespaces: Object.freeze([]) });
/** The platform default on for every namespace (`--secure-by-default`). */
export const PLATFORM_DEFAULT_ALL: PlatformDefault = Object.freeze({ enabled: true, excludeNamespaces: Object.freeze([]) });

/** Whether the platform default denies for pods of `namespace`. */
export function platformDefaultCovers(d: PlatformDefault, namespace: string): boolean {
  return d.enabled && !d.excludeNamespaces.includes(namespace);
}

export interface PolicySet {
  policies: Policy[];
  /** Release/revision identifier for decision records. */
  revision?: string;
}

export function emptyPolicySet(): PolicySet {
  return { policies: [] };
}

// ---------------------------------------------------------------------------
// Flows and verdicts.

export type FlowEndpoint = { kind: "pod"; namespace: string; name: string } | { kind: "ip"; ip: string } | { kind: "dns"; name: string };

export interface Flow {
  src: FlowEndpoint;
  dst: FlowEndpoint;
  port: number;
  protocol: Protocol;
  /** ISO-8601 instant (or Date) used for exception expiry; default: now. */
  time?: string | Date;
}

export type Verdict = "allow" | "deny";

/** What one layer said about one direction of a flow. */
export interface Effect {
  layer: Layer;
  tier?: AdminTier;
  direction: Direction;
  verdict: "allow" | "deny" | "pass" | "none";
  /** The policy/rule that produced the effect (absent for the platform default). */
  policy?: SourceRef;
  rule?: RuleRef;
  priority?: number;
  reason: string;
}
