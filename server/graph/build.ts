// Engine reachability → graph data (pure). The edges are exactly the engine's
// allowed paths; each carries where its allowance comes from, read from the
// evaluator's decision for the pod pair reachability found allowed on the first port.
import {
  computeReachability,
  type ReachabilityEdge,
  type ReachabilityNode,
  type ReachabilityWitness,
} from "@/server/policy/eval/reachability";
import type { Decision, Evaluator, Identity, PodEntry } from "@/server/policy/eval/evaluator";
import type { ClusterModel, Effect, FlowEndpoint, PolicySet, Protocol, RuleRef } from "@/server/policy/model";
import { TENANT_LABEL } from "@/server/policy/documents/lower";
import {
  EXTERNALS_GROUP,
  clusterNodeId,
  edgeId,
  externalNodeId,
  namespaceNodeId,
  serviceNodeId,
  tenantNodeId,
  workloadNodeId,
} from "@/lib/graph/ids";
import type { AllowanceLayer, EdgeAllowance, GraphData, GraphEdge, GraphNode } from "@/lib/graph/types";

export interface BuildOptions {
  cluster: string;
  /** Put everything under a cluster compound node (the all-clusters view). */
  withClusterNode?: boolean;
  /** Evaluation time (exceptions); default now. */
  time?: Date;
}

/** The world stand-in address the engine's reachability uses for `world`. */
const WORLD_ENDPOINT: FlowEndpoint = { kind: "ip", ip: "198.51.100.10" };

const LAYER_RANK: Record<AllowanceLayer, number> = { exception: 0, admin: 1, namespace: 2, baseline: 3, default: 4 };

/** `egress rule 2 "to-db"`: how an edge names the rule that allows it. */
export function ruleRefText(ref: RuleRef): string {
  return `${ref.direction} rule ${ref.ruleIndex}${ref.ruleName ? ` "${ref.ruleName}"` : ""}`;
}

function ruleText(e: Effect): string | undefined {
  return e.rule ? ruleRefText(e.rule) : undefined;
}

function allowanceFromEffect(layer: AllowanceLayer, e: Effect, policies: PolicySet): EdgeAllowance {
  const ref = e.policy ?? e.rule;
  const out: EdgeAllowance = { layer };
  if (e.tier) out.tier = e.tier;
  if (ref) out.policy = { name: ref.name, kind: ref.kind, ...(ref.version ? { version: ref.version } : {}) };
  const rule = ruleText(e);
  if (rule) out.rule = rule;
  if (layer === "exception" && ref) {
    const p = policies.policies.find((x) => x.layer === "exception" && x.ref.name === ref.name);
    if (p?.expiresAt) out.expiresAt = p.expiresAt;
  }
  return out;
}

/**
 * Where an allowed flow's allowance comes from: an exception decides the whole
 * flow; otherwise the most specific deciding layer of the two directions
 * (admin tier before namespace policy before baseline before the platform default).
 */
export function allowanceOf(d: Decision, policies: PolicySet): EdgeAllowance | null {
  if (d.verdict !== "allow") return null;
  if (d.flow && d.flow.verdict === "allow") return allowanceFromEffect("exception", d.flow, policies);
  let best: { layer: AllowanceLayer; effect: Effect } | null = null;
  for (const dir of [d.egress, d.ingress]) {
    if (!dir.applicable) continue;
    const e = dir.effects[dir.effects.length - 1];
    if (!e || e.verdict !== "allow") continue;
    const layer: AllowanceLayer =
      e.layer === "admin" || e.layer === "namespace" || e.layer === "baseline" || e.layer === "exception" ? e.layer : "default";
    if (!best || LAYER_RANK[layer] < LAYER_RANK[best.layer]) best = { layer, effect: e };
  }
  return best ? allowanceFromEffect(best.layer, best.effect, policies) : { layer: "default" };
}

/** A port label ("8080/TCP", "*\/TCP") → a concrete probe port. */
export function probePort(label: string, ev: Evaluator): { port: number; protocol: Protocol } | null {
  const m = /^(\d+|\*)\/(TCP|UDP|SCTP)$/.exec(label);
  if (!m) return null;
  const protocol = m[2] as Protocol;
  if (m[1] !== "*") return { port: Number(m[1]), protocol };
  // "Every other port": the first port no rule names, as the engine's reachability probes it.
  const rulePorts = ev.rulePorts();
  for (let p = 65001; p > 1024; p--)
    if (!rulePorts.some((r) => r.protocol === protocol && p >= r.port && p <= r.endPort)) return { port: p, protocol };
  return { port: 65535, protocol };
}

/** Representative identities of the engine's reachability node ids ("ns/Kind/name", "external/<label>"). */
export class Representatives {
  private readonly workloads = new Map<string, PodEntry[]>();
  private readonly externals = new Map<string, FlowEndpoint>();
  constructor(private readonly ev: Evaluator) {
    for (const entry of ev.podEntries) {
      const { pod } = entry;
      const w = pod.workload ?? { kind: "Pod", name: pod.name };
      const key = `${pod.namespace}/${w.kind}/${w.name}`;
      const list = this.workloads.get(key);
      if (list) list.push(entry);
      else this.workloads.set(key, [entry]);
    }
    this.externals.set("world", WORLD_ENDPOINT);
    for (const c of ev.externalCandidates()) if (!this.externals.has(c.label)) this.externals.set(c.label, c.endpoint);
  }
  /** The identity of a reachability node id (a workload's first pod: its pods may differ). */
  identity(reachabilityId: string): Identity | undefined {
    if (reachabilityId.startsWith("external/")) {
      const ep = this.externals.get(reachabilityId.slice("external/".length));
      if (!ep) return undefined;
      const r = this.ev.resolve(ep);
      return r.ok ? r.value : undefined;
    }
    return this.workloads.get(reachabilityId)?.[0]?.identity;
  }
  /** Every pod of a workload's reachability node id (a bare Pod is its own single pod). */
  pods(reachabilityId: string): readonly PodEntry[] {
    return this.workloads.get(reachabilityId) ?? [];
  }
}

/** Per graph edge id, per port label: the identity pair reachability found allowed on it. */
export type EdgeWitnesses = Map<string, Readonly<Record<string, ReachabilityWitness>>>;

/** One cluster's graph and, server-side only, the witnesses behind its edges. */
export interface ClusterGraph extends GraphData {
  witnesses: EdgeWitnesses;
}

function externalKindOf(label: string, cidrNames: Map<string, string>): "dns" | "cidr" | "world" {
  if (label === "world") return "world";
  if (cidrNames.has(label) || /^[0-9a-f.:]+\/\d+/i.test(label)) return "cidr";
  return "dns";
}

/** The cluster, tenant and namespace group nodes of one cluster, from its workload count per namespace. */
export function groupNodes(
  model: ClusterModel,
  cluster: string,
  workloadsPerNs: ReadonlyMap<string, number>,
  withClusterNode: boolean,
): GraphNode[] {
  const nodes: GraphNode[] = [];
  const top = withClusterNode ? clusterNodeId(cluster) : undefined;
  if (top) nodes.push({ id: top, kind: "cluster", label: cluster, cluster, workloads: 0, namespaces: 0 });
  // Groups: tenants (namespace label tenant=<name>) → namespaces.
  const nsTenant = namespaceTenants(model);
  const tenants = new Map<string, GraphNode>();
  const namespaces = new Map<string, GraphNode>();
  for (const ns of [...workloadsPerNs.keys()].sort()) {
    const tenant = nsTenant.get(ns) ?? null;
    const tid = tenantNodeId(cluster, tenant);
    let t = tenants.get(tid);
    if (!t) {
      t = {
        id: tid,
        kind: "tenant",
        label: tenant ?? "no tenant",
        cluster,
        ...(tenant ? { tenant } : {}),
        workloads: 0,
        namespaces: 0,
        ...(top ? { parent: top } : {}),
      };
      tenants.set(tid, t);
    }
    const count = workloadsPerNs.get(ns)!;
    t.workloads! += count;
    t.namespaces! += 1;
    namespaces.set(ns, {
      id: namespaceNodeId(cluster, ns),
      kind: "namespace",
      label: ns,
      cluster,
      namespace: ns,
      ...(tenant ? { tenant } : {}),
      parent: tid,
      workloads: count,
      namespaces: 1,
    });
  }
  nodes.push(...[...tenants.values()].sort((a, b) => a.id.localeCompare(b.id)), ...namespaces.values());
  if (top) {
    const c = nodes[0]!;
    c.workloads = [...tenants.values()].reduce((s, t) => s + (t.workloads ?? 0), 0);
    c.namespaces = namespaces.size;
  }
  return nodes;
}

/** Namespace → its tenant (label tenant=<name>), null when it has none. */
export function namespaceTenants(model: ClusterModel): Map<string, string | null> {
  return new Map(model.namespaces.map((ns) => [ns.name, ns.labels[TENANT_LABEL] ?? null]));
}

/** Workload nodes of reachability's workload nodes, recording each one's graph id in `idOf`. */
export function workloadNodes(
  reachNodes: readonly ReachabilityNode[],
  model: ClusterModel,
  cluster: string,
  idOf: Map<string, string>,
): GraphNode[] {
  const nsTenant = namespaceTenants(model);
  const nodes: GraphNode[] = [];
  for (const n of reachNodes) {
    if (n.kind !== "workload") continue;
    const ns = n.namespace;
    const tenant = nsTenant.get(ns) ?? null;
    const id = workloadNodeId(cluster, ns, n.workloadKind ?? "Pod", n.name);
    idOf.set(n.id, id);
    nodes.push({
      id,
      kind: "workload",
      label: n.name,
      parent: namespaceNodeId(cluster, ns),
      cluster,
      namespace: ns,
      ...(tenant ? { tenant } : {}),
      workloadKind: n.workloadKind ?? "Pod",
      pods: n.pods ?? 0,
    });
  }
  return nodes;
}

/**
 * External destination nodes of reachability's external nodes, recording each one's graph id in
 * `idOf`. A rule's CIDR that is also a named destination of the inventory
 * (cloud-metadata = 169.254.169.254/32) becomes one node.
 */
export function externalNodes(reachNodes: readonly ReachabilityNode[], model: ClusterModel, idOf: Map<string, string>): GraphNode[] {
  const cidrNames = new Map<string, string>();
  for (const e of model.externals) if (e.kind === "cidr" && e.name) cidrNames.set(e.name, e.cidr);
  const nameOfCidr = new Map([...cidrNames].map(([name, cidr]) => [cidr, name]));
  const externals: GraphNode[] = [];
  const reachLabels = new Set(reachNodes.filter((n) => n.kind === "external").map((n) => n.name));
  for (const n of reachNodes) {
    if (n.kind !== "external") continue;
    const alias = nameOfCidr.get(n.name);
    if (alias && reachLabels.has(alias)) {
      idOf.set(n.id, externalNodeId(alias));
      continue;
    }
    const cidr = cidrNames.get(n.name);
    idOf.set(n.id, externalNodeId(n.name));
    externals.push({
      id: externalNodeId(n.name),
      kind: "external",
      label: cidr ? `${n.name} (${cidr})` : n.name,
      parent: EXTERNALS_GROUP,
      externalKind: externalKindOf(n.name, cidrNames),
    });
  }
  return externals.length > 0 ? [{ id: EXTERNALS_GROUP, kind: "externals", label: "External destinations" }, ...externals] : [];
}

/** An allowed path of reachability as a graph edge, its allowance read from the engine's decision for the first port's witness. */
export function allowedEdge(e: ReachabilityEdge, id: string, source: string, target: string, ev: Evaluator, time?: Date): GraphEdge {
  const proof = e.witnesses ?? {};
  const first = e.ports[0];
  const w = first === undefined ? undefined : proof[first];
  const probe = first === undefined ? null : probePort(first, ev);
  // Uncached: the graph decides each pair once, so filling the decision cache would only cost time.
  const decision = w && probe ? ev.decideUncached(w.src, w.dst, probe.port, probe.protocol, time) : null;
  const allowance = (decision && allowanceOf(decision, ev.policySet)) ?? { layer: "default" as const };
  return { id, source, target, ports: e.ports, allowance };
}

/**
 * Services in front of workloads (of one namespace, or all), where they add information: a name
 * other than the workload's, or several workloads behind one service.
 */
export function serviceNodes(model: ClusterModel, cluster: string, namespace?: string): GraphData {
  const nsTenant = namespaceTenants(model);
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const workloadsByNs = new Map<string, typeof model.workloads>();
  for (const w of model.workloads) {
    const list = workloadsByNs.get(w.namespace);
    if (list) list.push(w);
    else workloadsByNs.set(w.namespace, [w]);
  }
  for (const svc of model.services) {
    if (!svc.selector || Object.keys(svc.selector).length === 0 || (namespace !== undefined && svc.namespace !== namespace)) continue;
    const selector = Object.entries(svc.selector);
    const backing = (workloadsByNs.get(svc.namespace) ?? []).filter((w) => selector.every(([k, v]) => w.labels[k] === v));
    if (backing.length === 0 || (backing.length === 1 && backing[0]!.name === svc.name)) continue;
    const sid = serviceNodeId(cluster, svc.namespace, svc.name);
    const tenant = nsTenant.get(svc.namespace) ?? null;
    nodes.push({
      id: sid,
      kind: "service",
      label: svc.name,
      parent: namespaceNodeId(cluster, svc.namespace),
      cluster,
      namespace: svc.namespace,
      ...(tenant ? { tenant } : {}),
    });
    for (const w of backing) {
      const wid = workloadNodeId(cluster, w.namespace, w.kind, w.name);
      edges.push({
        id: edgeId(sid, wid),
        source: sid,
        target: wid,
        ports: svc.ports.map((p) => `${p.port}/${p.protocol}`),
        allowance: { layer: "default" },
        fronts: true,
      });
    }
  }
  return { nodes, edges };
}

/** Graph data for one cluster from its evaluator (secure-by-default is the evaluator's option). */
export function buildClusterGraph(ev: Evaluator, options: BuildOptions): ClusterGraph {
  const { cluster } = options;
  const model = ev.cluster;
  const reach = computeReachability(ev, { rationale: false, witnesses: true, ...(options.time ? { time: options.time } : {}) });

  const workloadsPerNs = new Map<string, number>();
  for (const n of reach.nodes)
    if (n.kind === "workload" && n.namespace) workloadsPerNs.set(n.namespace, (workloadsPerNs.get(n.namespace) ?? 0) + 1);
  const nodes = groupNodes(model, cluster, workloadsPerNs, options.withClusterNode ?? false);

  // Leaves: workloads and external destinations.
  const idOf = new Map<string, string>();
  nodes.push(...workloadNodes(reach.nodes, model, cluster, idOf), ...externalNodes(reach.nodes, model, idOf));

  const services = serviceNodes(model, cluster);
  nodes.push(...services.nodes);
  const edges: GraphEdge[] = services.edges;

  // Allowed paths.
  const witnesses: EdgeWitnesses = new Map();
  for (const e of reach.edges) {
    const source = idOf.get(e.from);
    const target = idOf.get(e.to);
    if (!source || !target) continue;
    const id = edgeId(source, target);
    if (witnesses.has(id)) continue;
    witnesses.set(id, e.witnesses ?? {});
    edges.push(allowedEdge(e, id, source, target, ev, options.time));
  }
  return { nodes, edges, witnesses };
}

/** Merge per-cluster graphs (all-clusters view): external destinations are shared. */
export function mergeGraphs(graphs: readonly GraphData[]): GraphData {
  const nodes = new Map<string, GraphNode>();
  const edges = new Map<string, GraphEdge>();
  for (const g of graphs) {
    for (const n of g.nodes) if (!nodes.has(n.id)) nodes.set(n.id, n);
    for (const e of g.edges) {
      const prev = edges.get(e.id);
      // External → external never happens; a shared external's edges are per-cluster workloads, so ids rarely collide.
      if (!prev) edges.set(e.id, e);
      else edges.set(e.id, { ...prev, ports: [...new Set([...prev.ports, ...e.ports])] });
    }
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()] };
}
