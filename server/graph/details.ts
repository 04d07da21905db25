// What the panels show (pure): the engine's rationale of one edge, port by
// port, and a node's labels, the policies selecting it and its paths.
import { attachedRules, type Decision, type Evaluator, type Identity } from "@/server/policy/eval/evaluator";
import { formatDecisionPath, formatExplanation } from "@/server/policy/eval/explain";
import type { Effect } from "@/server/policy/model";
import { Representatives, allowanceOf, probePort } from "./build";
import type { ClusterState, ComputedGraph } from "./compute";
import { endpointLabel } from "@/lib/graph/diff";
import { parseNodeId } from "@/lib/graph/ids";
import type { AllowanceLayer, Change, EdgeAllowance, GraphEdge, GraphNode } from "@/lib/graph/types";

export interface RationaleStep {
  scope: "flow" | "egress" | "ingress";
  layer: string;
  tier?: string;
  verdict: string;
  policy?: { name: string; kind: string; version?: string; namespace?: string };
  rule?: string;
  reason: string;
}

export interface PortRationale {
  verdict: "allow" | "deny";
  /** One line: `egress: [namespace] allow (…); ingress: …` */
  path: string;
  /** The engine's readable multi-line explanation. */
  explanation: string;
  allowance: EdgeAllowance | null;
  steps: RationaleStep[];
  nearestAllow?: string;
}

export interface EdgeRationale {
  edgeId: string;
  source: { id: string; label: string };
  target: { id: string; label: string };
  cluster: string;
  change?: Change;
  ports: { port: string; current?: PortRationale; proposed?: PortRationale }[];
  /**
   * An aggregated path (a large cluster's namespace level): how many workload pairs it stands for
   * (and, overlaid, how many the proposal adds or removes), and per port the sample pair whose
   * rationale is shown.
   */
  aggregate?: { paths: number; added: number; removed: number; samples: { port: string; source: string; target: string }[] };
  /** An egress gateway's routed leg (routes.ts): the rule that routes it; the engine decides only the hop to the gateway. */
  route?: { gateway: string; policy?: EdgeAllowance["policy"]; rule?: string };
}

/** `ns/workload` of a pod identity (its first pod's workload), else the given label (external destinations). */
function identityLabel(ev: Evaluator, identity: Identity, fallback: string): string {
  if (identity.kind !== "pod") return fallback;
  const entry = ev.podEntries.find((p) => p.identity.id === identity.id);
  return entry ? `${entry.pod.namespace}/${entry.pod.workload?.name ?? entry.pod.name}` : fallback;
}

/** The engine's reachability id of a graph leaf ("ns/Kind/name" or "external/<label>"). */
export function engineNodeId(graphId: string): string | null {
  const p = parseNodeId(graphId);
  if (!p) return null;
  if (p.kind === "workload") return `${p.namespace}/${p.workloadKind}/${p.name}`;
  if (p.kind === "external") return `external/${p.name}`;
  return null;
}

function step(scope: RationaleStep["scope"], e: Effect): RationaleStep {
  const ref = e.rule ?? e.policy;
  return {
    scope,
    layer: e.layer,
    ...(e.tier ? { tier: e.tier } : {}),
    verdict: e.verdict,
    ...(ref
      ? {
          policy: {
            name: ref.name,
            kind: ref.kind,
            ...(ref.version ? { version: ref.version } : {}),
            ...(ref.namespace ? { namespace: ref.namespace } : {}),
          },
        }
      : {}),
    ...(e.rule ? { rule: `${e.rule.direction} rule ${e.rule.ruleIndex}${e.rule.ruleName ? ` "${e.rule.ruleName}"` : ""}` } : {}),
    reason: e.reason,
  };
}

function portRationale(
  ev: Evaluator,
  src: Identity,
  dst: Identity,
  port: string,
  labels: { src: string; dst: string },
  time?: Date,
): PortRationale | undefined {
  const probe = probePort(port, ev);
  if (!probe) return undefined;
  const d: Decision = ev.decideIdentities(src, dst, probe.port, probe.protocol, time);
  const steps: RationaleStep[] = d.flow
    ? [step("flow", d.flow)]
    : [
        ...(d.egress.applicable ? d.egress.effects.map((e) => step("egress", e)) : []),
        ...(d.ingress.applicable ? d.ingress.effects.map((e) => step("ingress", e)) : []),
      ];
  return {
    verdict: d.verdict,
    path: formatDecisionPath(d),
    explanation: formatExplanation({ src: labels.src, dst: labels.dst, port: probe.port, protocol: probe.protocol }, d),
    allowance: allowanceOf(d, ev.policySet),
    steps,
    ...(d.nearestAllow ? { nearestAllow: d.nearestAllow.description } : {}),
  };
}

function clusterOfEdge(source: string, target: string): string | undefined {
  return parseNodeId(source)?.cluster ?? parseNodeId(target)?.cluster;
}

function stateFor(states: readonly ClusterState[] | undefined, cluster: string): ClusterState | undefined {
  return states?.find((s) => s.cluster === cluster);
}

export function edgeRationale(g: ComputedGraph, edgeId: string, time?: Date): EdgeRationale | null {
  const edge = g.data.edges.find((e) => e.id === edgeId);
  if (!edge || edge.fronts) return null;
  const cluster = clusterOfEdge(edge.source, edge.target);
  if (!cluster) return null;
  const nodes = new Map(g.data.nodes.map((n) => [n.id, n]));
  const labels = { src: endpointLabel(nodes.get(edge.source), edge.source), dst: endpointLabel(nodes.get(edge.target), edge.target) };
  const head = {
    edgeId,
    source: { id: edge.source, label: labels.src },
    target: { id: edge.target, label: labels.dst },
    cluster,
    ...(edge.change ? { change: edge.change } : {}),
  };
  if (edge.via)
    return {
      ...head,
      ports: edge.ports.map((port) => ({ port })),
      route: {
        gateway: edge.via,
        ...(edge.allowance.policy ? { policy: edge.allowance.policy } : {}),
        ...(edge.allowance.rule ? { rule: edge.allowance.rule } : {}),
      },
    };
  // Groups (aggregated paths) have no engine id: only their witnesses explain them.
  const sid = engineNodeId(edge.source);
  const did = engineNodeId(edge.target);
  // Per port, the pair reachability found allowed (the pods of a workload may differ);
  // where none is, no pair is allowed and any representative pair shows the deny.
  const side = (states: readonly ClusterState[] | undefined) => {
    const st = stateFor(states, cluster);
    if (!st) return null;
    const reps = new Representatives(st.evaluator);
    const s = sid ? reps.identity(sid) : undefined;
    const d = did ? reps.identity(did) : undefined;
    const proof = st.data.witnesses.get(edgeId);
    return (port: string) => {
      const w = proof?.[port] ?? (s && d ? { src: s, dst: d } : undefined);
      return w ? portRationale(st.evaluator, w.src, w.dst, port, labels, time) : undefined;
    };
  };
  const current = side(g.base);
  const proposed = g.proposal ? side(g.proposal) : null;
  const samples = (): NonNullable<EdgeRationale["aggregate"]>["samples"] => {
    // The proposal's pair where the proposal allows the port, else the release's; each named by its own evaluator.
    const sides = [stateFor(g.proposal, cluster), stateFor(g.base, cluster)];
    return edge.ports.flatMap((port) => {
      for (const st of sides) {
        const w = st?.data.witnesses.get(edgeId)?.[port];
        if (st && w)
          return [{ port, source: identityLabel(st.evaluator, w.src, labels.src), target: identityLabel(st.evaluator, w.dst, labels.dst) }];
      }
      return [];
    });
  };
  return {
    ...head,
    ports: edge.ports.map((port) => {
      const c = current?.(port);
      const p = proposed?.(port);
      return { port, ...(c ? { current: c } : {}), ...(p ? { proposed: p } : {}) };
    }),
    ...(edge.aggregate
      ? { aggregate: { paths: edge.aggregate.paths, added: edge.aggregate.added, removed: edge.aggregate.removed, samples: samples() } }
      : {}),
  };
}

export interface PolicyRef {
  name: string;
  kind: string;
  layer: string;
  tier?: string;
  version?: string;
  directions: ("ingress" | "egress")[];
}

export interface PathSummary {
  edgeId: string;
  peer: { id: string; label: string };
  ports: string[];
  layer: AllowanceLayer;
  change?: Change;
}

export interface NodeDetails {
  id: string;
  kind: GraphNode["kind"];
  label: string;
  cluster?: string;
  namespace?: string;
  tenant?: string;
  workloadKind?: string;
  pods?: number;
  labels: Record<string, string>;
  namespaceLabels: Record<string, string>;
  services: string[];
  policies: PolicyRef[];
  inbound: PathSummary[];
  outbound: PathSummary[];
  /** Groups: their workloads (first 200). */
  members?: string[];
  workloads?: number;
}

/** The policies selecting any of the identities (the pods of one workload may differ). */
function policiesSelecting(ev: Evaluator, identities: readonly Identity[]): PolicyRef[] {
  const out = new Map<string, PolicyRef>();
  const add = (p: { layer: string; tier?: string; ref: { name: string; kind: string; version?: string } }, dir: "ingress" | "egress") => {
    const key = `${p.ref.kind}/${p.ref.name}`;
    let r = out.get(key);
    if (!r)
      out.set(
        key,
        (r = {
          name: p.ref.name,
          kind: p.ref.kind,
          layer: p.layer,
          ...(p.tier ? { tier: p.tier } : {}),
          ...(p.ref.version ? { version: p.ref.version } : {}),
          directions: [],
        }),
      );
    if (!r.directions.includes(dir)) r.directions.push(dir);
  };
  for (const id of new Set(identities.map((i) => i.id))) {
    const idx = ev.subjectIndex(id);
    for (const dir of ["egress", "ingress"] as const) {
      const s = idx[dir];
      for (const r of attachedRules(s)) add(r.policy, dir);
      for (const p of s.npPolicies) add(p, dir);
    }
  }
  const order = ["constraint", "exception", "admin", "namespace", "baseline"];
  return [...out.values()].sort((a, b) => order.indexOf(a.layer) - order.indexOf(b.layer) || a.name.localeCompare(b.name));
}

/**
 * A workload's labels (its pod template's, or a bare Pod's own), its namespace's labels, the
 * Services selecting any of its pods and the policies selecting any of them.
 */
function workloadFacts(ev: Evaluator, nodeId: string): Pick<NodeDetails, "labels" | "namespaceLabels" | "services" | "policies"> | null {
  const p = parseNodeId(nodeId);
  const engineId = engineNodeId(nodeId);
  if (!p?.namespace || !engineId) return null;
  const pods = new Representatives(ev).pods(engineId);
  const template = ev.cluster.workloads.find((x) => x.namespace === p.namespace && x.name === p.name && x.kind === p.workloadKind);
  const labels = template?.labels ?? pods[0]?.pod.labels;
  if (!labels) return null;
  const selects = (selector: Record<string, string>) => pods.some((e) => Object.entries(selector).every(([k, v]) => e.pod.labels[k] === v));
  return {
    labels: { ...labels },
    namespaceLabels: { ...(ev.cluster.namespaces.find((n) => n.name === p.namespace)?.labels ?? {}) },
    services: ev.cluster.services
      .filter((s) => s.namespace === p.namespace && s.selector && Object.keys(s.selector).length > 0 && selects(s.selector))
      .map((s) => `${s.name} (${s.ports.map((x) => `${x.port}/${x.protocol}`).join(", ")})`),
    policies: policiesSelecting(
      ev,
      pods.map((e) => e.identity),
    ),
  };
}

export function nodeDetails(g: ComputedGraph, nodeId: string): NodeDetails | null {
  const nodes = new Map(g.data.nodes.map((n) => [n.id, n]));
  const node = nodes.get(nodeId);
  if (!node) return null;
  const summary = (e: GraphEdge, peer: string): PathSummary => ({
    edgeId: e.id,
    peer: { id: peer, label: endpointLabel(nodes.get(peer), peer) },
    ports: e.ports,
    layer: e.allowance.layer,
    ...(e.change ? { change: e.change } : {}),
  });
  const paths = g.data.edges.filter((e) => !e.fronts);
  const out: NodeDetails = {
    id: node.id,
    kind: node.kind,
    label: node.label,
    ...(node.cluster ? { cluster: node.cluster } : {}),
    ...(node.namespace ? { namespace: node.namespace } : {}),
    ...(node.tenant ? { tenant: node.tenant } : {}),
    ...(node.workloadKind ? { workloadKind: node.workloadKind } : {}),
    ...(node.pods !== undefined ? { pods: node.pods } : {}),
    labels: {},
    namespaceLabels: {},
    services: [],
    policies: [],
    inbound: paths.filter((e) => e.target === nodeId).map((e) => summary(e, e.source)),
    outbound: paths.filter((e) => e.source === nodeId).map((e) => summary(e, e.target)),
  };
  if (node.kind === "workload" && node.cluster) {
    const st = stateFor(g.proposal ?? g.base, node.cluster);
    const facts = st ? workloadFacts(st.evaluator, node.id) : null;
    if (facts) Object.assign(out, facts);
  }
  if (node.kind !== "workload" && node.kind !== "external" && node.kind !== "service") {
    // Its workloads; and for paths also itself and its namespaces (a large cluster's aggregated paths end at namespaces).
    const inside = new Set<string>([nodeId]);
    const workloads: string[] = [];
    const parents = new Map(g.data.nodes.map((n) => [n.id, n.parent]));
    for (const n of g.data.nodes) {
      if (n.kind !== "workload" && n.kind !== "namespace") continue;
      let cur = n.parent;
      for (let i = 0; cur && i < 8; i++, cur = parents.get(cur))
        if (cur === nodeId) {
          inside.add(n.id);
          if (n.kind === "workload") workloads.push(n.id);
        }
    }
    out.workloads = workloads.length || (node.workloads ?? 0);
    out.members = workloads.slice(0, 200).map((id) => endpointLabel(nodes.get(id), id));
    out.inbound = paths.filter((e) => inside.has(e.target) && !inside.has(e.source)).map((e) => summary(e, e.source));
    out.outbound = paths.filter((e) => inside.has(e.source) && !inside.has(e.target)).map((e) => summary(e, e.target));
  }
  return out;
}
