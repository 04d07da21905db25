// The gateway leg of `via` rules (pure). The engine decides the hop from a
// workload to its egress gateway (Kubernetes policy); what the gateway forwards
// outside is Istio routing, which reachability does not see. So the graph adds
// that leg itself, from the lowering's egress routes: gateway → each external
// destination the rule names, so a path drawn to the gateway continues to the
// host (and an overlay shows the host a draft adds).
import type { EgressRoute } from "@/server/policy/documents/lower";
import type { Evaluator } from "@/server/policy/eval/evaluator";
import type { AdminTier, Peer, PolicyRule } from "@/server/policy/model";
import { formatPortMatch } from "@/server/policy/util/text";
import { edgeId, workloadNodeId } from "@/lib/graph/ids";
import type { AllowanceLayer, GraphEdge, GraphNode } from "@/lib/graph/types";
import { externalNodes, ruleRefText, type ClusterGraph } from "./build";

/** The external destination a routed peer names, as reachability labels it (so a host already drawn keeps its node). */
function destinationLabel(peer: Peer): string | null {
  if (peer.kind === "dns") return peer.pattern;
  if (peer.kind === "ipBlock") {
    const except = [...peer.except].sort().join(",");
    return except ? `${peer.cidr} except ${except}` : peer.cidr;
  }
  if (peer.kind === "entity" && peer.entity === "world") return "world";
  return null;
}

/** "443/TCP"; a rule without ports is routed on every port. */
function routePorts(route: EgressRoute): string[] {
  return route.ports ? route.ports.map(formatPortMatch) : ["any port"];
}

/** The IR rule of the hop to the gateway that this route continues (same policy rule, same gateway). */
function hopRule(ev: Evaluator, route: EgressRoute): { rule: PolicyRule; layer: AllowanceLayer; tier?: AdminTier } | null {
  for (const p of ev.policySet.policies)
    for (const r of p.rules)
      if (
        r.via === route.gateway &&
        r.ref.name === route.ref.name &&
        r.ref.kind === route.ref.kind &&
        r.ref.ruleIndex === route.ref.ruleIndex
      )
        return p.layer === "constraint" ? null : { rule: r, layer: p.layer, ...(p.tier ? { tier: p.tier } : {}) };
  return null;
}

/**
 * Adds to a cluster's (workload-level) graph the routed leg of every allowing `via` rule whose hop is
 * drawn: an edge from the gateway workload to each external destination of the rule (`via` names the
 * gateway), with the destination's node when no other path reaches it. Mutates and returns `data`.
 */
export function addGatewayRoutes(data: ClusterGraph, routes: readonly EgressRoute[], ev: Evaluator, cluster: string): ClusterGraph {
  if (routes.length === 0) return data;
  const nodes = new Map<string, GraphNode>(data.nodes.map((n) => [n.id, n]));
  const edges = new Map<string, GraphEdge>(data.edges.map((e) => [e.id, e]));
  for (const route of routes) {
    const hop = hopRule(ev, route);
    if (!hop || hop.rule.action !== "allow") continue;
    const selector = Object.entries(route.gatewayRef.selector);
    const gateways = new Set<string>();
    for (const { pod } of ev.podEntries)
      if (pod.namespace === route.gatewayRef.namespace && selector.every(([k, v]) => pod.labels[k] === v)) {
        const w = pod.workload ?? { kind: "Pod", name: pod.name };
        gateways.add(workloadNodeId(cluster, pod.namespace, w.kind, w.name));
      }
    for (const gateway of gateways) {
      if (!nodes.has(gateway)) continue;
      // Only where a subject of the rule is drawn reaching the gateway: the leg continues a path, it does not start one.
      const reached = [...edges.values()].some(
        (e) => e.target === gateway && !e.fronts && !e.aggregate && route.namespaces.includes(nodes.get(e.source)?.namespace ?? ""),
      );
      if (!reached) continue;
      for (const peer of route.peers) {
        const label = destinationLabel(peer);
        if (!label) continue;
        const idOf = new Map<string, string>();
        const made = externalNodes([{ id: label, kind: "external", name: label }], ev.cluster, idOf);
        const target = idOf.get(label)!;
        for (const n of made) if (!nodes.has(n.id)) nodes.set(n.id, n);
        const id = edgeId(gateway, target);
        const prev = edges.get(id);
        const ports = routePorts(route);
        if (prev) {
          edges.set(id, { ...prev, ports: [...new Set([...prev.ports, ...ports])] });
          continue;
        }
        edges.set(id, {
          id,
          source: gateway,
          target,
          ports,
          allowance: {
            layer: hop.layer,
            ...(hop.tier ? { tier: hop.tier } : {}),
            policy: { name: route.ref.name, kind: route.ref.kind, ...(route.ref.version ? { version: route.ref.version } : {}) },
            rule: ruleRefText(route.ref),
          },
          via: route.gateway,
        });
      }
    }
  }
  data.nodes = [...nodes.values()];
  data.edges = [...edges.values()];
  return data;
}
