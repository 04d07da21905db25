// The graph's data contract: what the server computes from the engine's
// reachability and what the console turns into Cytoscape elements. Pure types.
import type { AdminTier } from "@/server/policy/model";

/** Where an allowed path's allowance comes from (the edge's style). */
export type AllowanceLayer = "exception" | "admin" | "namespace" | "baseline" | "default";

/** "other-tenant": what a tenant-scoped person sees of every tenant they may not read (server/auth/visibility.ts). */
export type GraphNodeKind = "cluster" | "tenant" | "namespace" | "workload" | "service" | "external" | "externals" | "other-tenant";
/** Kinds that group others and can be collapsed into an island. */
export type GroupKind = "cluster" | "tenant" | "namespace" | "externals";

export type Change = "added" | "removed";

export interface GraphNode {
  id: string;
  kind: GraphNodeKind;
  label: string;
  parent?: string;
  cluster?: string;
  tenant?: string;
  namespace?: string;
  /** Workload kind (Deployment, StatefulSet, …). */
  workloadKind?: string;
  /** Workload: pods; group: workloads inside. */
  pods?: number;
  /** Groups: how many workloads and namespaces they hold. */
  workloads?: number;
  namespaces?: number;
  /** External destinations: dns | cidr | world. */
  externalKind?: "dns" | "cidr" | "world";
  /** Projected views: a group shown as one island node. */
  collapsed?: boolean;
  /** Islands: workload-level paths inside the island (not drawn). */
  internalPaths?: number;
}

export interface EdgeAllowance {
  layer: AllowanceLayer;
  tier?: AdminTier;
  /** The deciding policy (absent for the platform default). */
  policy?: { name: string; version?: string; kind: string };
  /** The deciding rule, e.g. `egress rule 2 "to-db"`. */
  rule?: string;
  /** Exceptions: when the allowance stops counting. */
  expiresAt?: string;
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  /** "8080/TCP"; "*\/TCP" = every TCP port the destination does not declare. */
  ports: string[];
  allowance: EdgeAllowance;
  /** A Service fronting a workload (structure, not an allowed path). */
  fronts?: boolean;
  /** An egress gateway's routed leg to an external destination (`via: <gateway>`): Istio routing, not a Kubernetes policy decision. */
  via?: string;
  /** Overlay mode: the whole path is new or gone. */
  change?: Change;
  /** Overlay mode: ports that are new or gone on a path that exists in both. */
  portsAdded?: string[];
  portsRemoved?: string[];
  /** Aggregated (island) edges: how many workload-level paths they stand for, and per change. */
  aggregate?: { paths: number; added: number; removed: number; layers: AllowanceLayer[] };
}

/** One workload-level path the overlay adds or removes (the list beside the canvas). */
export interface OverlayPath {
  edgeId: string;
  change: Change;
  cluster: string;
  /** `checkout/cart → payments/payments-api 8080/TCP` */
  label: string;
  ports: string[];
}

export interface GraphData {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/** A problem lowering a document for a cluster (e.g. a Service peer the cluster lacks): the graph may miss what the author meant. */
export interface GraphWarning {
  /** The document's kind and metadata.name. */
  kind: string;
  document: string;
  /** Field path inside the document, e.g. `spec.rules[0].peers[1]` (empty for the whole document). */
  path: string;
  message: string;
  /** The clusters where lowering gave this warning. */
  clusters: string[];
}

export type OverlaySpec = { kind: "release" } | { kind: "drafts" } | { kind: "cr"; id: string };

export function parseOverlay(value: string | null | undefined): OverlaySpec {
  if (!value || value === "release") return { kind: "release" };
  if (value === "drafts") return { kind: "drafts" };
  if (value.startsWith("cr:") && value.length > 3) return { kind: "cr", id: value.slice(3) };
  return { kind: "release" };
}

export function overlayKey(o: OverlaySpec): string {
  return o.kind === "cr" ? `cr:${o.id}` : o.kind;
}
