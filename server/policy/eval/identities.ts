/**
 * Identities: endpoints grouped into classes that every policy treats alike, and the lookup of a
 * flow's endpoint (a pod by name, an address, a DNS name) to its identity.
 *
 * A pod identity is keyed by its namespace, the values of the label keys some policy selects on,
 * its named ports, whether it is on the host network, and which IP blocks and Services contain
 * it. Nodes and external endpoints are interned when a flow first names them.
 */
import {
  NS_NAME_LABEL,
  platformDefaultCovers,
  type ClusterModel,
  type FlowEndpoint,
  type Labels,
  type NamedPort,
  type NodeInfo,
  type PlatformDefault,
  type PodInfo,
  type Policy,
  workloadNamesPod,
} from "../model";
import { FlowError, type Result } from "../errors";
import { parseIp } from "../util/ip";
import { dnsMatches } from "./selectors";
import type { PeerRegistry } from "./matchers";
import { emptySubjectIndex, type SubjectIndex } from "./targets";

interface IdentityBase {
  id: number;
  labels: Labels;
  ports: readonly NamedPort[];
  hostNetwork: boolean;
  /** DNS names the endpoint is known by (externals). */
  dnsNames: readonly string[];
  /** Ids of ipBlock matchers that contain one of the endpoint's addresses. */
  ipBlocks: ReadonlySet<number>;
  /** True when no address is known (ipBlock matching falls back to whole-range blocks). */
  ipUnknown: boolean;
  /** Ids of services that select this pod or whose cluster IP this is. */
  services: ReadonlySet<number>;
  /** A readable example member, e.g. "default/web" or "203.0.113.7". */
  example: string;
}

/** Pods (on the pod network, or host-network pods, which as peers look like their node). */
export interface PodIdentity extends IdentityBase {
  kind: "pod";
  namespace: string;
  /** The namespace's number in this evaluator (0, 1, …): per-namespace memos index arrays by it. */
  nsIndex: number;
  nsLabels: Labels;
  /** Labels of the node (host-network pods). */
  nodeLabels?: Labels;
}

/** A node, by one of its addresses. */
export interface NodeIdentity extends IdentityBase {
  kind: "node";
  nodeLabels: Labels;
}

/** Anything outside the cluster: an address or a DNS name (the API server's cluster IP is one, labelled). */
export interface ExternalIdentity extends IdentityBase {
  kind: "external";
}

/** An equivalence class of endpoints that every policy treats the same way. */
export type Identity = PodIdentity | NodeIdentity | ExternalIdentity;
export type IdentityKind = Identity["kind"];

/** An identity with the rules attached to it (see ./targets.ts). */
export interface IdentityState<I extends Identity = Identity> {
  identity: I;
  egress: SubjectIndex;
  ingress: SubjectIndex;
}

export interface PodEntry {
  pod: PodInfo;
  identity: PodIdentity;
}

/** Labels as text, keys in order; only the keys of `sortedKeys` when given (then no sort per object). */
function labelsKey(l: Labels, sortedKeys?: readonly string[]): string {
  let s = "";
  for (const k of sortedKeys ?? Object.keys(l).sort()) if (Object.hasOwn(l, k)) s += `${k}=${l[k]}\u0001`;
  return s;
}

function portsKey(ports: readonly NamedPort[]): string {
  return ports
    .map((p) => `${p.name ?? ""}:${p.port}/${p.protocol}`)
    .sort()
    .join(",");
}

/** Pod label keys the built-in entities look at (see the entity matchers). */
const ENTITY_LABEL_KEYS = ["k8s-app", "component"];

/**
 * Every pod label key some policy selector mentions. Pods that agree on these keys (and on
 * everything else in the identity key) are treated alike by every policy, so they can share an
 * identity even when other labels differ (e.g. the per-replica statefulset.kubernetes.io/pod-name).
 */
export function selectedPodLabelKeys(policies: readonly Policy[]): Set<string> {
  const keys = new Set<string>(ENTITY_LABEL_KEYS);
  const add = (sel: { matchLabels: Labels; matchExpressions: readonly { key: string }[] }) => {
    for (const k of Object.keys(sel.matchLabels)) keys.add(k);
    for (const e of sel.matchExpressions) keys.add(e.key);
  };
  for (const p of policies) {
    add(p.subject.pods);
    for (const r of p.rules) for (const peer of r.peers ?? []) if (peer.kind === "workloads") add(peer.selector.pods);
  }
  return keys;
}

/** Concrete pods plus one pod per workload without any (a StatefulSet's replicas by ordinal). */
function materialisePods(cluster: ClusterModel): readonly PodInfo[] {
  if (cluster.workloads.length === 0) return cluster.pods;
  const pods = [...cluster.pods];
  const owned = new Set(pods.flatMap((p) => (p.workload ? [`${p.namespace}/${p.workload.kind}/${p.workload.name}`] : [])));
  for (const w of cluster.workloads) {
    if (owned.has(`${w.namespace}/${w.kind}/${w.name}`)) continue;
    const base = {
      namespace: w.namespace,
      labels: w.labels,
      ports: w.ports,
      ips: [],
      hostNetwork: w.hostNetwork,
      workload: { kind: w.kind, name: w.name },
      fromTemplate: true,
      ...(w.source ? { source: w.source } : {}),
    };
    if (w.kind === "StatefulSet") {
      const n = Math.max(1, w.replicas ?? 1);
      // The StatefulSet controller labels each pod with its name and ordinal; policies select single replicas by them.
      for (let i = 0; i < n; i++) {
        const name = `${w.name}-${i}`;
        pods.push({
          ...base,
          name,
          labels: { ...w.labels, "statefulset.kubernetes.io/pod-name": name, "apps.kubernetes.io/pod-index": String(i) },
        });
      }
    } else {
      pods.push({ ...base, name: w.name });
    }
  }
  return pods;
}

/**
 * The identity table: every identity interned so far (pods at build time, nodes and externals when
 * a flow names them) and the maps from a flow's endpoint to its identity.
 */
export class Identities {
  readonly states: IdentityState[] = [];
  readonly podEntries: PodEntry[] = [];
  /** Namespace labels (with kubernetes.io/metadata.name) by namespace name. */
  readonly nsLabels = new Map<string, Labels>();
  /** Namespaces numbered in the order their first pod was interned (see PodIdentity.nsIndex). */
  private readonly nsIndexes = new Map<string, number>();
  readonly nodesByIp = new Map<string, NodeInfo>();
  readonly podsByIp = new Map<string, PodEntry>();
  private readonly byKey = new Map<string, IdentityState>();
  /** Pods by namespace, then name (the hit path of resolution reads it directly). */
  readonly podByName = new Map<string, Map<string, PodEntry>>();
  private readonly nodeByName = new Map<string, NodeInfo>();
  /** External addresses seen before. */
  readonly externalByIp = new Map<string, IdentityState>();
  private readonly externalByName = new Map<string, IdentityState>();
  private readonly dnsNamesByIp = new Map<string, string[]>();
  private readonly workloadPods = new Map<string, PodEntry[]>();
  /** Pod label keys that take part in the identity key (see selectedPodLabelKeys). */
  private readonly podLabelKeys: readonly string[];

  constructor(
    private readonly cluster: ClusterModel,
    policies: readonly Policy[],
    /** Every peer already compiled: identities record which blocks and services contain them. */
    private readonly peers: PeerRegistry,
    private readonly platformDefault: PlatformDefault,
  ) {
    for (const ns of cluster.namespaces) this.nsLabels.set(ns.name, { [NS_NAME_LABEL]: ns.name, ...ns.labels });
    for (const n of cluster.nodes) {
      this.nodeByName.set(n.name, n);
      for (const ip of n.ips) this.nodesByIp.set(ip, n);
    }
    for (const ext of cluster.externals) {
      if (ext.kind === "dns") for (const ip of ext.ips ?? []) this.dnsNamesByIp.set(ip, [...(this.dnsNamesByIp.get(ip) ?? []), ext.name]);
    }
    this.podLabelKeys = [...selectedPodLabelKeys(policies)].sort();
    for (const pod of materialisePods(cluster)) {
      const entry: PodEntry = { pod, identity: this.internPod(pod).identity };
      this.podEntries.push(entry);
      let inNs = this.podByName.get(pod.namespace);
      if (!inNs) this.podByName.set(pod.namespace, (inNs = new Map()));
      inNs.set(pod.name, entry);
      for (const ip of pod.ips) {
        const prev = this.podsByIp.get(ip);
        if (!prev || (prev.pod.hostNetwork && !pod.hostNetwork)) this.podsByIp.set(ip, entry);
      }
      if (pod.workload) {
        const wk = `${pod.namespace}/${pod.workload.kind}/${pod.workload.name}`;
        const list = this.workloadPods.get(wk);
        if (list) list.push(entry);
        else this.workloadPods.set(wk, [entry]);
      }
    }
  }

  // -------------------------------------------------------------------------
  // Interning

  private intern<I extends Identity>(key: string, identity: Omit<I, "id">): IdentityState<I> {
    const existing = this.byKey.get(key);
    if (existing) return existing as IdentityState<I>;
    // Host-network pods, nodes and externals are no policy subjects: the platform default never applies to them.
    const defaultDeny =
      identity.kind === "pod" &&
      !identity.hostNetwork &&
      platformDefaultCovers(this.platformDefault, (identity as Omit<PodIdentity, "id">).namespace);
    const st = {
      identity: { ...identity, id: this.states.length } as I,
      egress: emptySubjectIndex(defaultDeny),
      ingress: emptySubjectIndex(defaultDeny),
    };
    this.states.push(st);
    this.byKey.set(key, st);
    return st;
  }

  private internPod(pod: PodInfo): IdentityState<PodIdentity> {
    const nsLabels = this.nsLabels.get(pod.namespace) ?? { [NS_NAME_LABEL]: pod.namespace };
    const blocks = this.peers.ipBlocksFor(pod.ips);
    const services = new Set<number>();
    for (const s of this.peers.services)
      if (s.namespace === pod.namespace && s.selector && !pod.hostNetwork && s.selector(pod.labels)) services.add(s.id);
    const node = pod.hostNetwork && pod.nodeName ? this.nodeByName.get(pod.nodeName) : undefined;
    const key = [
      "pod",
      pod.namespace,
      labelsKey(pod.labels, this.podLabelKeys),
      portsKey(pod.ports),
      pod.hostNetwork ? `host:${pod.nodeName ?? ""}` : "",
      [...blocks.set].join(","),
      blocks.unknown ? "?" : "",
      [...services].join(","),
    ].join("\u0002");
    // A pod like one interned before (same namespace, selected labels, ports, blocks, services) shares its identity.
    const existing = this.byKey.get(key);
    if (existing) return existing as IdentityState<PodIdentity>;
    let nsIndex = this.nsIndexes.get(pod.namespace);
    if (nsIndex === undefined) this.nsIndexes.set(pod.namespace, (nsIndex = this.nsIndexes.size));
    return this.intern<PodIdentity>(key, {
      kind: "pod",
      namespace: pod.namespace,
      nsIndex,
      nsLabels,
      labels: pod.labels,
      ports: pod.ports,
      hostNetwork: pod.hostNetwork,
      ...(node ? { nodeLabels: node.labels } : pod.hostNetwork ? { nodeLabels: {} } : {}),
      dnsNames: [],
      ipBlocks: blocks.set,
      ipUnknown: blocks.unknown,
      services,
      example: `${pod.namespace}/${pod.name}`,
    });
  }

  private internNode(node: NodeInfo, viaIp: string): IdentityState<NodeIdentity> {
    const blocks = this.peers.ipBlocksFor(node.ips.length ? node.ips : [viaIp]);
    const key = ["node", labelsKey(node.labels), [...blocks.set].join(",")].join("\u0002");
    return this.intern<NodeIdentity>(key, {
      kind: "node",
      labels: {},
      nodeLabels: node.labels,
      ports: [],
      hostNetwork: true,
      dnsNames: [],
      ipBlocks: blocks.set,
      ipUnknown: blocks.unknown,
      services: new Set(),
      example: `node/${node.name}`,
    });
  }

  private internExternal(ip: string | undefined, name: string | undefined): IdentityState<ExternalIdentity> {
    const names = [...new Set([...(name ? [name] : []), ...(ip ? (this.dnsNamesByIp.get(ip) ?? []) : [])])];
    let ips: string[] = ip ? [ip] : [];
    if (!ip && name) {
      const ext = this.cluster.externals.find((e) => e.kind === "dns" && e.name.toLowerCase() === name.toLowerCase());
      if (ext && ext.kind === "dns") ips = [...(ext.ips ?? [])];
    }
    const blocks = this.peers.ipBlocksFor(ips);
    const services = new Set<number>();
    if (ip) for (const s of this.peers.services) if (s.ips.has(ip)) services.add(s.id);
    const dnsSig = [...this.peers.dnsPatterns].filter((p) => names.some((n) => dnsMatches(p, n))).join(",");
    const apiserver = ip !== undefined && this.peers.apiserverIps.has(ip);
    const key = ["ext", [...blocks.set].join(","), blocks.unknown ? "?" : "", dnsSig, [...services].join(","), apiserver ? "api" : ""].join(
      "\u0002",
    );
    return this.intern<ExternalIdentity>(key, {
      kind: "external",
      labels: apiserver ? { "policyplane.io/kube-apiserver": "true" } : {},
      ports: [],
      hostNetwork: false,
      dnsNames: names,
      ipBlocks: blocks.set,
      ipUnknown: blocks.unknown,
      services,
      example: name ?? ip ?? "external",
    });
  }

  // -------------------------------------------------------------------------
  // Endpoints

  /** Find a pod by namespace/name; falls back to a workload's materialised pod (Deployment name, StatefulSet ordinal, or a generated pod name with the workload's prefix). */
  findPod(namespace: string, name: string): PodEntry | undefined {
    const exact = this.podByName.get(namespace)?.get(name);
    if (exact) return exact;
    let best: { len: number; entry: PodEntry } | undefined;
    for (const w of this.cluster.workloads) {
      if (w.namespace !== namespace) continue;
      if (workloadNamesPod(w.name, name)) {
        const entries = this.workloadPods.get(`${namespace}/${w.kind}/${w.name}`);
        if (entries?.[0] && (!best || w.name.length > best.len)) best = { len: w.name.length, entry: entries[0] };
      }
    }
    return best?.entry;
  }

  /** Addresses and DNS names resolved on demand and remembered (each map bounded by MAX_REMEMBERED_ENDPOINTS). */
  get rememberedEndpoints(): number {
    return this.externalByIp.size + this.externalByName.size;
  }

  /** What the maps of known pods and addresses do not answer: workload pods by prefix, nodes, Service IPs, new addresses and DNS names. */
  resolveSlow(ep: FlowEndpoint, field: string): Result<Identity, FlowError> {
    switch (ep.kind) {
      case "pod": {
        const e = this.findPod(ep.namespace, ep.name);
        return e
          ? { ok: true, value: e.identity }
          : { ok: false, error: new FlowError(field, `no pod ${ep.namespace}/${ep.name} in the manifests`) };
      }
      case "ip": {
        // Known addresses were looked up in podsByIp / externalByIp: parsing (bigint) is only needed for a new address.
        const parsed = parseIp(ep.ip);
        if (!parsed)
          return { ok: false, error: new FlowError(field, `expected "<namespace>/<pod>" or an IP address, got ${JSON.stringify(ep.ip)}`) };
        const node = this.nodesByIp.get(ep.ip);
        if (node) return { ok: true, value: this.internNode(node, ep.ip).identity };
        // A Service cluster IP is translated to a backend pod before policy applies.
        for (const s of this.peers.services) {
          const selector = s.selector;
          if (s.ips.has(ep.ip) && selector) {
            const backend = this.podEntries.find((p) => p.pod.namespace === s.namespace && !p.pod.hostNetwork && selector(p.pod.labels));
            if (backend) return { ok: true, value: backend.identity };
          }
        }
        const st = this.internExternal(ep.ip, undefined);
        remember(this.externalByIp, ep.ip, st);
        return { ok: true, value: st.identity };
      }
      case "dns": {
        const key = ep.name.toLowerCase();
        let st = this.externalByName.get(key);
        if (!st) {
          st = this.internExternal(undefined, ep.name);
          remember(this.externalByName, key, st);
        }
        return { ok: true, value: st.identity };
      }
    }
  }
}

/**
 * Addresses and names resolved on demand are remembered up to this many each; past it the map
 * starts over. Flows from the internet bring ever new addresses, and every one of them belongs to
 * an interned identity (its class: ipBlocks, Services, DNS patterns), which a new lookup finds again.
 */
export const MAX_REMEMBERED_ENDPOINTS = 1 << 16;

function remember<K>(map: Map<K, IdentityState>, key: K, state: IdentityState): void {
  if (map.size >= MAX_REMEMBERED_ENDPOINTS) map.clear();
  map.set(key, state);
}
