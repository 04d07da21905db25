/**
 * Core Kubernetes kinds: Namespace, Pod, the pod-template workloads, Service, Node (the cluster
 * inventory) and networking.k8s.io/v1 NetworkPolicy.
 */
import type { z } from "zod";
import {
  NS_NAME_LABEL,
  type ClusterModel,
  type NamedPort,
  type NamespaceMatch,
  type PodInfo,
  type Peer,
  type Policy,
  type PolicyRule,
  type PortMatch,
  type WorkloadKind,
} from "../model";
import * as S from "./schemas";
import { fastNamespace, fastNetworkPolicy, fastPod, fastService } from "./fast-inventory";
import { at, ref, ruleRef, toSelector, validate, type Ctx } from "./manifest-context";

/** Workload kinds and the apiVersions each is read from. */
export const WORKLOAD_KINDS: Record<string, string[]> = {
  Deployment: ["apps/v1"],
  StatefulSet: ["apps/v1"],
  DaemonSet: ["apps/v1"],
  ReplicaSet: ["apps/v1"],
  ReplicationController: ["v1"],
  Job: ["batch/v1"],
  CronJob: ["batch/v1"],
};

export function readNamespace(ctx: Ctx, cluster: ClusterModel, apiVersion: string): void {
  const n = validate(ctx, S.namespace, fastNamespace);
  if (n)
    cluster.namespaces.push({
      name: n.metadata.name,
      labels: { ...(n.metadata.labels ?? {}), [NS_NAME_LABEL]: n.metadata.name },
      source: ref(ctx, "Namespace", apiVersion, n.metadata.name),
    });
}

function containerPorts(spec: z.infer<typeof S.podSpec> | null | undefined): NamedPort[] {
  const out: NamedPort[] = [];
  // Plain loops and literals: this runs for every pod of a cluster.
  const add = (c: z.infer<typeof S.podSpec>["containers"], sidecarsOnly: boolean) => {
    if (!c) return;
    for (const ct of c) {
      if (!ct.ports || (sidecarsOnly && ct.restartPolicy !== "Always")) continue;
      for (const p of ct.ports) {
        const protocol = p.protocol ?? "TCP";
        out.push(p.name ? { name: p.name, port: p.containerPort, protocol } : { port: p.containerPort, protocol });
      }
    }
  };
  add(spec?.containers, false);
  // Sidecar init containers (restartPolicy Always) keep serving.
  add(spec?.initContainers, true);
  return out;
}

const DEPLOYMENT_RS = /^(.*)-[a-z0-9]{5,10}$/;

export function readPod(ctx: Ctx, cluster: ClusterModel, apiVersion: string): void {
  const p = validate(ctx, S.pod, fastPod);
  if (!p) return;
  const namespace = p.metadata.namespace ?? "default";
  const ips = p.status?.podIPs?.length ? p.status.podIPs.map((x) => x.ip) : p.status?.podIP ? [p.status.podIP] : [];
  const owner = p.metadata.ownerReferences?.[0];
  let workload: { kind: WorkloadKind | "Pod"; name: string } = { kind: "Pod", name: p.metadata.name };
  if (owner) {
    const m = owner.kind === "ReplicaSet" ? DEPLOYMENT_RS.exec(owner.name) : null;
    workload = m ? { kind: "Deployment", name: m[1]! } : { kind: owner.kind as WorkloadKind, name: owner.name };
  }
  // Key by key, no conditional spread (this runs for every pod); the keys keep their order.
  const pod: PodInfo = {
    namespace,
    name: p.metadata.name,
    labels: { ...(p.metadata.labels ?? {}) },
    ports: containerPorts(p.spec),
    ips,
    hostNetwork: p.spec?.hostNetwork ?? false,
  };
  if (p.spec?.nodeName) pod.nodeName = p.spec.nodeName;
  pod.workload = workload;
  pod.source = ref(ctx, "Pod", apiVersion, p.metadata.name, namespace);
  cluster.pods.push(pod);
}

export function readWorkload(ctx: Ctx, cluster: ClusterModel, kind: WorkloadKind, apiVersion: string): void {
  if (kind === "CronJob") {
    const c = validate(ctx, S.cronJob);
    if (!c) return;
    const t = c.spec.jobTemplate.spec.template;
    const namespace = c.metadata.namespace ?? "default";
    cluster.workloads.push({
      kind,
      namespace,
      name: c.metadata.name,
      labels: { ...(t.metadata?.labels ?? {}) },
      ports: containerPorts(t.spec),
      hostNetwork: t.spec?.hostNetwork ?? false,
      replicas: 1,
      source: ref(ctx, kind, apiVersion, c.metadata.name, namespace),
    });
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

export function readService(ctx: Ctx, cluster: ClusterModel, apiVersion: string): void {
  const s = validate(ctx, S.service, fastService);
  if (!s) return;
  const namespace = s.metadata.namespace ?? "default";
  const ips = (s.spec?.clusterIPs ?? (s.spec?.clusterIP ? [s.spec.clusterIP] : [])).filter((ip) => ip !== "None");
  cluster.services.push({
    namespace,
    name: s.metadata.name,
    ...(s.spec?.selector ? { selector: { ...s.spec.selector } } : {}),
    ports: (s.spec?.ports ?? []).map((p) => ({
      ...(p.name ? { name: p.name } : {}),
      port: p.port,
      targetPort: p.targetPort ?? p.port,
      protocol: p.protocol ?? "TCP",
    })),
    clusterIPs: ips,
    source: ref(ctx, "Service", apiVersion, s.metadata.name, namespace),
  });
}

export function readNode(ctx: Ctx, cluster: ClusterModel, apiVersion: string): void {
  const n = validate(ctx, S.node);
  if (!n) return;
  const ips = (n.status?.addresses ?? []).filter((a) => a.type === "InternalIP" || a.type === "ExternalIP").map((a) => a.address);
  cluster.nodes.push({
    name: n.metadata.name,
    labels: { ...(n.metadata.labels ?? {}) },
    ips,
    source: ref(ctx, "Node", apiVersion, n.metadata.name),
  });
}

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
  const namespaces: NamespaceMatch = p.namespaceSelector
    ? { kind: "selector", selector: toSelector(p.namespaceSelector) }
    : { kind: "policy" };
  return { kind: "workloads", selector: { namespaces, pods: toSelector(p.podSelector) } };
}

export function readNetworkPolicy(ctx: Ctx, out: Policy[], apiVersion: string): void {
  const np = validate(ctx, S.networkPolicy, fastNetworkPolicy);
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
      rules.push({
        direction: "ingress",
        action: "allow",
        peers: r?.from?.length ? r.from.map(npPeer) : null,
        ports: r?.ports?.length ? r.ports.map(npPort) : null,
        ref: ruleRef(ctx, src, "ingress", "ingress", i),
      });
    });
  } else if (spec.ingress?.length) {
    ctx.warnings.push(at(ctx, ["spec", "ingress"], "ingress rules are ignored because policyTypes does not include Ingress", "warning"));
  }
  if (egress) {
    (spec.egress ?? []).forEach((r, i) => {
      rules.push({
        direction: "egress",
        action: "allow",
        peers: r?.to?.length ? r.to.map(npPeer) : null,
        ports: r?.ports?.length ? r.ports.map(npPort) : null,
        ref: ruleRef(ctx, src, "egress", "egress", i),
      });
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
