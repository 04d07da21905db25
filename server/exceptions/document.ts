// Pure: an exception request as the engine sees it (an `Exception` document),
// and what it would do in one cluster: which pod pairs it opens and which
// compliance constraints forbid it. No database; unit-tested in engine terms.
import type { ExceptionFlow } from "@/db/schema/exceptions";
import { API_VERSION, type ExceptionDocument, type PolicyplaneDocument } from "@/server/policy/documents/schema";
import { lowerDocuments } from "@/server/policy/documents/lower";
import type { LocatedDocument } from "@/server/policy/documents/read";
import { createEvaluator } from "@/server/policy/eval/evaluator";
import { matchesSelector } from "@/server/policy/eval/selectors";
import type { ClusterModel, FlowEndpoint, PlatformDefault, PodInfo } from "@/server/policy/model";

/** The engine document's name for exception number n. */
export const exceptionDocumentName = (n: number) => `exception-${n}`;

export interface ExceptionWindow {
  startsAt: Date;
  expiresAt: Date;
}

const selectorOf = (namespace: string, labels: Record<string, string>) => ({
  namespaces: [namespace],
  ...(Object.keys(labels).length > 0 ? { podSelector: { matchLabels: labels } } : {}),
});

/**
 * The `Exception` document of a request. Egress: the source's pods are the subject and the destination
 * is the peer. Ingress: the destination workload is the subject and the source is the peer.
 */
export function exceptionDocumentOf(
  name: string,
  flow: ExceptionFlow,
  window: ExceptionWindow,
  justification: string,
  tenant?: string,
): ExceptionDocument {
  const source = selectorOf(flow.source.namespace, flow.source.labels);
  const d = flow.destination;
  const destinationPeer =
    d.kind === "workload"
      ? { workloads: selectorOf(d.namespace, d.labels) }
      : d.kind === "service"
        ? { service: d.service }
        : d.kind === "cidr"
          ? { cidr: d.cidr }
          : { dns: d.dns };
  const ingress = flow.direction === "ingress" && d.kind === "workload";
  return {
    apiVersion: API_VERSION,
    kind: "Exception",
    metadata: { name, ...(tenant ? { tenant } : {}) },
    spec: {
      ...(flow.clusters && flow.clusters.length > 0 ? { scope: { clusters: flow.clusters } } : {}),
      subject: ingress ? selectorOf(d.namespace, d.labels) : source,
      direction: ingress ? "ingress" : "egress",
      peers: ingress ? [{ workloads: source }] : [destinationPeer],
      ports: flow.ports.map((p) => ({ port: p.port, ...(p.endPort ? { endPort: p.endPort } : {}), protocol: p.protocol })),
      // The engine asks at least 10 characters; the request's own limit is checked before.
      justification: justification.length >= 10 ? justification : `${justification} (justified)`.padEnd(10, "."),
      startsAt: window.startsAt.toISOString(),
      expiresAt: window.expiresAt.toISOString(),
    },
  };
}

export interface PodPair {
  from: string;
  to: string;
  port: number;
  protocol: string;
}

export interface ClusterEffect {
  cluster: string;
  /** Pairs denied without the exception and allowed with it, at its start. */
  opens: PodPair[];
  /** Pairs the exception covers that were allowed anyway. */
  alreadyAllowed: number;
  /** Compliance constraints that deny a pair the exception covers (it can never take effect there). */
  forbiddenBy: { constraint: string; pair: PodPair }[];
  /** Source pods it covers in this cluster (0: the source does not exist here). */
  sources: number;
  /** Destination endpoints it covers in this cluster (0: the destination workload or service does not exist here). */
  destinations: number;
}

const MAX_PAIRS = 200;
const podEndpoint = (p: PodInfo): FlowEndpoint => ({ kind: "pod", namespace: p.namespace, name: p.name });
const podLabel = (p: PodInfo) => `${p.namespace}/${p.workload?.name ?? p.name}`;

function matches(p: PodInfo, namespace: string, labels: Record<string, string>) {
  return p.namespace === namespace && matchesSelector({ matchLabels: labels, matchExpressions: [] }, p.labels);
}

/** Where the flow's destination resolves in this cluster. */
function destinations(flow: ExceptionFlow, model: ClusterModel): { endpoint: FlowEndpoint; label: string }[] {
  const d = flow.destination;
  if (d.kind === "workload")
    return model.pods.filter((p) => matches(p, d.namespace, d.labels)).map((p) => ({ endpoint: podEndpoint(p), label: podLabel(p) }));
  if (d.kind === "service") {
    const [ns, name] = d.service.split("/");
    const svc = model.services.find((s) => s.namespace === ns && s.name === name);
    if (!svc?.selector) return [];
    return model.pods
      .filter((p) => matches(p, svc.namespace, svc.selector!))
      .map((p) => ({ endpoint: podEndpoint(p), label: podLabel(p) }));
  }
  if (d.kind === "dns") return [{ endpoint: { kind: "dns", name: d.dns.replace(/^\*\./, "www.") }, label: d.dns }];
  // A CIDR: its first address stands for it.
  const ip = d.cidr.split("/")[0]!;
  return [{ endpoint: { kind: "ip", ip }, label: d.cidr }];
}

/**
 * What the exception would do in one cluster at `time` (its start): each covered (source pod,
 * destination, port) decided by the set in force with and without the exception.
 */
export function exceptionEffect(
  cluster: { name: string; region?: string; model: ClusterModel },
  inForce: readonly LocatedDocument[],
  exception: ExceptionDocument,
  flow: ExceptionFlow,
  time: Date,
  platformDefault: PlatformDefault,
): ClusterEffect {
  const target = { name: cluster.name, ...(cluster.region ? { region: cluster.region } : {}), model: cluster.model };
  const evaluatorOf = (docs: readonly LocatedDocument[]) =>
    createEvaluator(cluster.model, lowerDocuments(docs, target, {}).policies, { secureByDefault: platformDefault });
  const without = evaluatorOf(inForce);
  const withIt = evaluatorOf([
    ...inForce,
    { document: exception as PolicyplaneDocument, version: "request", file: `Exception/${exception.metadata.name}` },
  ]);
  const sources = cluster.model.pods.filter((p) => matches(p, flow.source.namespace, flow.source.labels));
  const dsts = destinations(flow, cluster.model);
  const effect: ClusterEffect = {
    cluster: cluster.name,
    opens: [],
    alreadyAllowed: 0,
    forbiddenBy: [],
    sources: sources.length,
    destinations: dsts.length,
  };
  const seen = new Set<string>();
  for (const src of sources)
    for (const dst of dsts)
      for (const p of flow.ports) {
        const pair = { from: podLabel(src), to: dst.label, port: p.port, protocol: p.protocol };
        const key = `${pair.from}|${pair.to}|${pair.port}|${pair.protocol}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const f = { src: podEndpoint(src), dst: dst.endpoint, port: p.port, protocol: p.protocol, time };
        const after = withIt.decide(f);
        if (!after.ok) continue;
        if (after.value.verdict === "deny" && after.value.flow?.layer === "constraint") {
          effect.forbiddenBy.push({ constraint: after.value.flow.policy?.name ?? "a compliance constraint", pair });
          continue;
        }
        const before = without.decide(f);
        if (before.ok && before.value.verdict === "allow") effect.alreadyAllowed += 1;
        else if (after.value.verdict === "allow" && effect.opens.length < MAX_PAIRS) effect.opens.push(pair);
      }
  return effect;
}
