/**
 * Record endpoints to engine endpoints, against one inventory. A pod is found by name in the
 * inventory (a workload's generated pod names included); else by its address; else, when the
 * record carries the pod's labels (Hubble does), it joins the inventory as an observed pod with
 * those labels, so policies select it as they would select the real pod. Only what the record
 * cannot place (an unknown pod without labels or address) is an error.
 */
import {
  NS_NAME_LABEL,
  workloadNamesPod,
  type ClusterModel,
  type FlowEndpoint,
  type NamespaceInfo,
  type PodInfo,
  type WorkloadInfo,
} from "../policy/model";
import type { RecordEndpoint } from "./records";

export type ResolvedEndpoint = { ok: true; endpoint: FlowEndpoint; path: string } | { ok: false; error: string };

export interface ObservedInventory {
  /** The inventory with the observed pods (and their namespaces) added. */
  model: ClusterModel;
  /** One per record endpoint, in the order given. */
  endpoints: ResolvedEndpoint[];
}

/** The inventory's pods and workloads by namespace, for lookups by name. */
class InventoryIndex {
  private readonly pods = new Map<string, Map<string, PodInfo>>();
  private readonly workloads = new Map<string, WorkloadInfo[]>();
  readonly addresses: Set<string>;
  readonly namespaces: Set<string>;

  constructor(inventory: ClusterModel) {
    for (const p of inventory.pods) this.addPod(p);
    for (const w of inventory.workloads) this.workloads.set(w.namespace, [...(this.workloads.get(w.namespace) ?? []), w]);
    this.addresses = new Set([...inventory.pods.flatMap((p) => p.ips), ...inventory.nodes.flatMap((n) => n.ips)]);
    this.namespaces = new Set(inventory.namespaces.map((n) => n.name));
  }

  addPod(p: PodInfo): void {
    let inNs = this.pods.get(p.namespace);
    if (!inNs) this.pods.set(p.namespace, (inNs = new Map()));
    inNs.set(p.name, p);
  }

  pod(namespace: string, name: string): PodInfo | undefined {
    return this.pods.get(namespace)?.get(name);
  }

  /** The workload whose controller names pods this way (the longest such name). */
  owner(namespace: string, podName: string): WorkloadInfo | undefined {
    let best: WorkloadInfo | undefined;
    for (const w of this.workloads.get(namespace) ?? [])
      if (workloadNamesPod(w.name, podName) && (!best || w.name.length > best.name.length)) best = w;
    return best;
  }
}

/** A generated pod name's workload: ReplicaSet hash and pod suffix (Deployments), or the pod suffix alone (DaemonSets, Jobs). */
const GENERATED_SUFFIX = /-(?:[a-z0-9]{6,10}-)?[a-z0-9]{5}$/;

/** The workload an observed pod belongs to: its name without the generated suffix, or (no name) its app label. */
function observedWorkload(ep: Extract<RecordEndpoint, { kind: "pod" }>): string {
  if (!ep.unnamed) return ep.name.replace(GENERATED_SUFFIX, "");
  const app = ep.labels?.["app.kubernetes.io/name"] ?? ep.labels?.app ?? ep.labels?.["k8s-app"];
  return app ?? ep.name;
}

/**
 * Resolve record endpoints against an inventory. Each endpoint also gets the label its paths are
 * grouped by: "namespace/workload" for a pod (the inventory's workload when it names the pod, else
 * the name without its generated suffix), the address or DNS name otherwise.
 */
export function resolveRecordEndpoints(inventory: ClusterModel, endpoints: readonly RecordEndpoint[]): ObservedInventory {
  const index = new InventoryIndex(inventory);
  const observedPods: PodInfo[] = [];
  const observedNamespaces: NamespaceInfo[] = [];
  const resolve = (ep: RecordEndpoint): ResolvedEndpoint => {
    if (ep.kind === "ip") return { ok: true, endpoint: ep, path: ep.ip };
    if (ep.kind === "dns") return { ok: true, endpoint: ep, path: ep.name };
    const asPod: FlowEndpoint = { kind: "pod", namespace: ep.namespace, name: ep.name };
    const pod = index.pod(ep.namespace, ep.name);
    const owner = pod ? undefined : index.owner(ep.namespace, ep.name);
    const path = `${ep.namespace}/${pod ? (pod.workload?.name ?? pod.name) : (owner?.name ?? observedWorkload(ep))}`;
    if (pod || owner) return { ok: true, endpoint: asPod, path };
    if (ep.ip && index.addresses.has(ep.ip)) return { ok: true, endpoint: { kind: "ip", ip: ep.ip }, path };
    if (ep.labels) {
      if (!index.namespaces.has(ep.namespace)) {
        const { [NS_NAME_LABEL]: _name, ...labels } = ep.nsLabels ?? {};
        observedNamespaces.push({ name: ep.namespace, labels });
        index.namespaces.add(ep.namespace);
      }
      const observed: PodInfo = {
        namespace: ep.namespace,
        name: ep.name,
        labels: ep.labels,
        ports: [],
        ips: ep.ip ? [ep.ip] : [],
        hostNetwork: false,
      };
      observedPods.push(observed);
      index.addPod(observed);
      return { ok: true, endpoint: asPod, path };
    }
    if (ep.ip) return { ok: true, endpoint: { kind: "ip", ip: ep.ip }, path };
    return {
      ok: false,
      error: `pod ${ep.namespace}/${ep.name} is not in the inventory and the record carries neither its labels nor its address`,
    };
  };
  const resolved = endpoints.map(resolve);
  const model =
    observedPods.length === 0
      ? inventory
      : { ...inventory, namespaces: [...inventory.namespaces, ...observedNamespaces], pods: [...inventory.pods, ...observedPods] };
  return { model, endpoints: resolved };
}
