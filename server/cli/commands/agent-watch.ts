/**
 * What `policyplane agent` keeps of a cluster, and how it keeps it current: one reflector per
 * resource (an initial list, then a watch from the list's resourceVersion), each holding an
 * in-memory cache trimmed to what the engine needs. A watch that ends is re-opened from the last
 * resourceVersion seen; a 410 Gone (the version was compacted away) re-lists; a watch or list that
 * fails waits 1 s, 2 s, 4 s, … (at most `maxBackoffMs`) before trying again. Every change to a
 * cache calls `onChange` (the agent debounces the push).
 */
import type { V1CustomResourceDefinition } from "@kubernetes/client-node";
import type { AdminPolicyApi, Cni } from "@/lib/clusters";
import type { ObservedObject } from "@/db/schema/clusters";
import { normalizeObject } from "@/server/clusters/drift";
import { MANAGED_BY } from "@/server/policy/compile/managed-by";
import { kubeRequest, kubeWatch, type KubeConfig, type KubeWatch } from "./kube-http";

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown> & { name: string; namespace?: string };
} & Record<string, unknown>;

export interface Capabilities {
  cni: Cni;
  adminPolicyApi: AdminPolicyApi;
  istio: boolean;
}

/**
 * A policy resource the agent lists when the cluster serves it (NetworkPolicy is built in): through
 * its CRD, or through an extension API server that API discovery shows (Calico's projectcalico.org/v3,
 * served by the Calico API server through an APIService: no CRD declares it).
 */
interface PolicyResource {
  group: string;
  plural: string;
  kind: string;
  /** Only these versions (the API version matters: v1alpha1 ANP, v1alpha2 CNP); default any served. */
  versions?: string[];
  /** Only the objects Policyplane renders (Istio routing: the apps' own are none of its business). */
  managedOnly?: boolean;
  /** Only on a cluster with this CNI. */
  cni?: Cni;
  /** Objects the server shows that are another kind's, converted (left out: they are reported as that kind). */
  mirrored?: (name: string) => boolean;
}

/**
 * The Calico API server shows the cluster's Kubernetes NetworkPolicies among its own NetworkPolicies
 * (named `knp.default.<name>`), and AdminNetworkPolicies / BaselineAdminNetworkPolicies among its
 * GlobalNetworkPolicies (`kanp.adminnetworkpolicy.<name>`, `kbanp.baselineadminnetworkpolicy.<name>`):
 * the agent reports those as what they are, once.
 */
const calicoMirror = (name: string) => /^(knp|kanp|kbanp)\./.test(name);

export const POLICY_RESOURCES: readonly PolicyResource[] = [
  { group: "policy.networking.k8s.io", plural: "adminnetworkpolicies", kind: "AdminNetworkPolicy" },
  { group: "policy.networking.k8s.io", plural: "baselineadminnetworkpolicies", kind: "BaselineAdminNetworkPolicy" },
  { group: "policy.networking.k8s.io", plural: "clusternetworkpolicies", kind: "ClusterNetworkPolicy" },
  { group: "cilium.io", plural: "ciliumnetworkpolicies", kind: "CiliumNetworkPolicy" },
  { group: "cilium.io", plural: "ciliumclusterwidenetworkpolicies", kind: "CiliumClusterwideNetworkPolicy" },
  { group: "security.istio.io", plural: "authorizationpolicies", kind: "AuthorizationPolicy" },
  // The egress-gateway routing Policyplane renders for `via` rules.
  ...(
    [
      ["serviceentries", "ServiceEntry"],
      ["virtualservices", "VirtualService"],
      ["destinationrules", "DestinationRule"],
      ["gateways", "Gateway"],
    ] as const
  ).map(([plural, kind]) => ({ group: "networking.istio.io", plural, kind, managedOnly: true })),
  // Calico's own policies (a hand-applied one is drift), through its API server.
  { group: "projectcalico.org", plural: "networkpolicies", kind: "NetworkPolicy", cni: "calico", mirrored: calicoMirror },
  { group: "projectcalico.org", plural: "globalnetworkpolicies", kind: "GlobalNetworkPolicy", cni: "calico", mirrored: calicoMirror },
  // Staged (audit-only) versions of a staged change request, as Policyplane renders them on Calico.
  { group: "projectcalico.org", plural: "stagednetworkpolicies", kind: "StagedNetworkPolicy", cni: "calico" },
  { group: "projectcalico.org", plural: "stagedglobalnetworkpolicies", kind: "StagedGlobalNetworkPolicy", cni: "calico" },
];

/** The plural (URL segment) of each policy kind the agent may apply or delete, by `group|kind`. */
export const PLURALS = new Map<string, string>([
  ["networking.k8s.io|NetworkPolicy", "networkpolicies"],
  ...POLICY_RESOURCES.map((r) => [`${r.group}|${r.kind}`, r.plural] as [string, string]),
]);

export const MANAGED_SELECTOR = Object.entries(MANAGED_BY)
  .map(([k, v]) => `${k}=${v}`)
  .join(",");

export const isManaged = (o: { metadata: Record<string, unknown> }) =>
  Object.entries(MANAGED_BY).every(([k, v]) => (o.metadata.labels as Record<string, string> | undefined)?.[k] === v);

/** The version to list a CRD at: its storage version if served, else the first served one. */
function servedVersion(crd: V1CustomResourceDefinition, only?: readonly string[]): string | null {
  const served = crd.spec.versions.filter((v) => v.served && (!only || only.includes(v.name)));
  return (served.find((v) => v.storage) ?? served[0])?.name ?? null;
}

/**
 * What the CRDs, kube-system's daemonsets and the API groups served (API discovery: aggregated APIs
 * such as Calico's projectcalico.org have no CRD) say the cluster can do.
 */
export function detectCapabilities(
  crds: readonly V1CustomResourceDefinition[],
  daemonSets: readonly string[],
  apiGroups: readonly string[] = [],
): Capabilities {
  const groups = new Set([...crds.map((c) => c.spec.group), ...apiGroups]);
  const crd = (plural: string, group: string) => crds.find((c) => c.spec.group === group && c.spec.names.plural === plural);
  const cnp = crd("clusternetworkpolicies", "policy.networking.k8s.io");
  const anp = crd("adminnetworkpolicies", "policy.networking.k8s.io");
  const adminPolicyApi: AdminPolicyApi =
    cnp && servedVersion(cnp, ["v1alpha2"]) ? "v1alpha2" : anp && servedVersion(anp, ["v1alpha1"]) ? "v1alpha1" : "none";
  const ds = daemonSets.join(" ");
  const cni: Cni =
    /\bcilium\b/.test(ds) || (!/\bcalico/.test(ds) && groups.has("cilium.io"))
      ? "cilium"
      : /\bcalico/.test(ds) || groups.has("crd.projectcalico.org") || groups.has("projectcalico.org")
        ? "calico"
        : "other";
  const istio = [...groups].some((g) => g === "istio.io" || g.endsWith(".istio.io"));
  return { cni, adminPolicyApi, istio };
}

type Raw = Record<string, unknown> & { metadata?: Record<string, unknown> };

const labelsOf = (meta: Raw["metadata"]) => {
  const labels = meta?.labels as Record<string, string> | undefined;
  return labels && Object.keys(labels).length ? { labels } : {};
};

/** A resource the agent lists and watches, and how it trims what it gets. */
export interface WatchedResource {
  /** `group|kind` (group "" for the core kinds). */
  id: string;
  /** The list and watch path (all namespaces). */
  path: string;
  apiVersion: string;
  kind: string;
  labelSelector?: string;
  /** Whether the agent may apply and delete these (policy kinds only, never the inventory). */
  policy: boolean;
  /** Items not to keep (another kind's objects the server shows converted). */
  mirrored?: (name: string) => boolean;
  trim(item: Raw): KubeObject;
}

const name = (item: Raw) => String(item.metadata?.name ?? "");
const namespaceOf = (item: Raw) => (item.metadata?.namespace ? { namespace: String(item.metadata.namespace) } : {});

/** The inventory: names, labels, pod IPs, service selectors and ports; nothing else is kept. */
export const INVENTORY: readonly WatchedResource[] = [
  {
    id: "|Namespace",
    path: "/api/v1/namespaces",
    apiVersion: "v1",
    kind: "Namespace",
    policy: false,
    trim: (n) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name: name(n), ...labelsOf(n.metadata) } }),
  },
  {
    id: "|Pod",
    path: "/api/v1/pods",
    apiVersion: "v1",
    kind: "Pod",
    policy: false,
    trim: (p) => {
      const status = p.status as { podIP?: string; phase?: string } | undefined;
      return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: name(p), ...namespaceOf(p), ...labelsOf(p.metadata) },
        ...(status?.podIP ? { status: { podIP: status.podIP, phase: status.phase } } : {}),
      };
    },
  },
  {
    id: "|Service",
    path: "/api/v1/services",
    apiVersion: "v1",
    kind: "Service",
    policy: false,
    trim: (s) => {
      const spec = s.spec as
        | {
            selector?: Record<string, string>;
            clusterIP?: string;
            ports?: { name?: string; port: number; protocol?: string; targetPort?: unknown }[];
          }
        | undefined;
      return {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: name(s), ...namespaceOf(s), ...labelsOf(s.metadata) },
        spec: {
          ...(spec?.selector ? { selector: spec.selector } : {}),
          ...(spec?.clusterIP ? { clusterIP: spec.clusterIP } : {}),
          ports: (spec?.ports ?? []).map((p) => ({
            ...(p.name ? { name: p.name } : {}),
            port: p.port,
            protocol: p.protocol ?? "TCP",
            ...(p.targetPort !== undefined ? { targetPort: p.targetPort } : {}),
          })),
        },
      };
    },
  },
];

/**
 * A policy object as kept and pushed: as the server compares it (normalizeObject: no managed fields,
 * status, server bookkeeping or kubectl's last-applied annotation, a second copy of the object).
 */
function policyTrim(apiVersion: string, kind: string) {
  return (item: Raw): KubeObject => normalizeObject({ ...item, apiVersion, kind } as ObservedObject) as KubeObject;
}

const NETWORK_POLICIES: WatchedResource = {
  id: "networking.k8s.io|NetworkPolicy",
  path: "/apis/networking.k8s.io/v1/networkpolicies",
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  policy: true,
  trim: policyTrim("networking.k8s.io/v1", "NetworkPolicy"),
};

/** A kind an extension API server serves (through an APIService, not a CRD), as API discovery lists it. */
export interface DiscoveredResource {
  group: string;
  version: string;
  plural: string;
  kind: string;
}

/** Every resource the cluster serves that the agent reports, given its CRDs, the aggregated kinds discovered and its CNI. */
export function watchedResources(
  crds: readonly V1CustomResourceDefinition[],
  cni: Cni,
  discovered: readonly DiscoveredResource[] = [],
): WatchedResource[] {
  const out: WatchedResource[] = [...INVENTORY, NETWORK_POLICIES];
  for (const r of POLICY_RESOURCES) {
    if (r.cni && r.cni !== cni) continue;
    const crd = crds.find((c) => c.spec.group === r.group && c.spec.names.plural === r.plural);
    const version = crd
      ? servedVersion(crd, r.versions)
      : discovered.find((d) => d.group === r.group && d.plural === r.plural && (!r.versions || r.versions.includes(d.version)))?.version;
    if (!version) continue;
    const apiVersion = `${r.group}/${version}`;
    out.push({
      id: `${r.group}|${r.kind}`,
      path: `/apis/${apiVersion}/${r.plural}`,
      apiVersion,
      kind: r.kind,
      policy: true,
      ...(r.managedOnly ? { labelSelector: MANAGED_SELECTOR } : {}),
      ...(r.mirrored ? { mirrored: r.mirrored } : {}),
      trim: policyTrim(apiVersion, r.kind),
    });
  }
  return out;
}

/**
 * Items per page of a list: the whole list is never held at once, only one page and the trimmed
 * cache. Small pages keep the agent's memory small: a page's objects all live until it is trimmed,
 * and a page's text is one string; from 128 KB up a string goes to V8's large-object space, which
 * only a full GC frees, so pages of 100 pods (~300 KB each, 50 of them) left ~15 MB more committed
 * after the initial list. 25 pods of ~3 KB (what a pod with managed fields and statuses takes) make a
 * page of ~75 KB, collected young.
 */
export const LIST_PAGE = 25;

/**
 * Lists one resource page by page (limit/continue), handing each raw item to `onItem` (which keeps
 * its trimmed form); answers the list's resourceVersion, from which the watch starts.
 */
export async function listResource(kc: KubeConfig, r: WatchedResource, onItem: (item: Raw) => void): Promise<string> {
  type List = { items: Raw[]; metadata?: { resourceVersion?: string; continue?: string } };
  let next: string | undefined;
  let resourceVersion = "";
  do {
    const list = await kubeRequest<List>(kc, {
      path: r.path,
      query: { limit: LIST_PAGE, continue: next, labelSelector: r.labelSelector },
    });
    for (const item of list.items) if (!r.mirrored?.(name(item))) onItem(item);
    next = list.metadata?.continue || undefined;
    if (!resourceVersion) resourceVersion = list.metadata?.resourceVersion ?? "";
  } while (next);
  return resourceVersion;
}

type ApiGroupList = { groups?: { name: string; versions?: { version: string }[]; preferredVersion?: { version: string } }[] };
type ApiResourceList = { resources?: { name: string; kind: string }[] };

/**
 * What the cluster serves and runs (what the capabilities and the resources to watch come from): its
 * CRDs, kube-system's daemonset names, the API groups discovery lists (GET /apis) and, for a group the
 * agent reports that no CRD declares (an aggregated API), the kinds of its version (GET /apis/<group>/<version>).
 * An extension API server that does not answer (the Calico API server down: 503) is `unavailable`, not a
 * failure of the whole: the rest of the cluster is still reported.
 */
export async function listClusterShape(kc: KubeConfig) {
  const [crds, daemonSets, apis] = await Promise.all([
    kubeRequest<{ items: V1CustomResourceDefinition[] }>(kc, { path: "/apis/apiextensions.k8s.io/v1/customresourcedefinitions" }),
    kubeRequest<{ items: { metadata?: { name?: string } }[] }>(kc, { path: "/apis/apps/v1/namespaces/kube-system/daemonsets" }),
    kubeRequest<ApiGroupList>(kc, { path: "/apis" }),
  ]);
  const crdGroups = new Set(crds.items.map((c) => c.spec.group));
  const wanted = new Set(POLICY_RESOURCES.map((r) => r.group).filter((g) => !crdGroups.has(g)));
  const aggregated = (apis.groups ?? []).filter((g) => wanted.has(g.name));
  const unavailable: { group: string; message: string }[] = [];
  const discovered = await Promise.all(
    aggregated.flatMap((g) =>
      (g.versions ?? []).map(async ({ version }): Promise<DiscoveredResource[]> => {
        try {
          const list = await kubeRequest<ApiResourceList>(kc, { path: `/apis/${g.name}/${version}` });
          // Subresources (`networkpolicies/status`) are not kinds to list.
          return (list.resources ?? [])
            .filter((r) => !r.name.includes("/"))
            .map((r) => ({ group: g.name, version, plural: r.name, kind: r.kind }));
        } catch (e) {
          unavailable.push({ group: g.name, message: (e as Error).message });
          return [];
        }
      }),
    ),
  );
  // The preferred version first: it is the one listed when several serve a kind.
  const preferred = (d: DiscoveredResource) => aggregated.find((g) => g.name === d.group)?.preferredVersion?.version === d.version;
  return {
    crds: crds.items,
    daemonSets: daemonSets.items.map((d) => d.metadata?.name ?? ""),
    apiGroups: (apis.groups ?? []).map((g) => g.name),
    discovered: discovered.flat().sort((a, b) => Number(preferred(b)) - Number(preferred(a))),
    unavailable,
  };
}

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ""}/${o.metadata.name}`;

export type ReflectorLog = (line: string) => void;

/** Sleeps `ms`, or less if `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** How long the API server keeps a watch open before it ends it (the reflector then watches again from where it was). */
const WATCH_TIMEOUT_SECONDS = 300;
/** Past its timeout, how long a watch may stay silent before the agent takes it for stalled and watches again. */
const WATCH_IDLE_GRACE_SECONDS = 60;

/**
 * One resource's cache, kept by list-then-watch. `synced` turns true after the first list and
 * stays true (a re-list replaces the cache at once, so a reader never sees it half filled).
 */
export class Reflector {
  readonly cache = new Map<string, KubeObject>();
  synced = false;
  /** Lists done (the first, then one per 410 Gone or failed re-watch). */
  lists = 0;
  private resourceVersion = "";
  private readonly stop = new AbortController();
  private watch: KubeWatch | null = null;

  constructor(
    private readonly kc: KubeConfig,
    readonly resource: WatchedResource,
    private readonly onChange: () => void,
    private readonly log: ReflectorLog,
    private readonly maxBackoffMs: number,
  ) {}

  start(): Promise<void> {
    return this.loop();
  }

  close() {
    this.stop.abort();
    this.watch?.abort();
  }

  private async loop() {
    let failures = 0;
    let relist = true;
    while (!this.stop.signal.aborted) {
      try {
        const justListed = relist;
        if (relist) {
          await this.list();
          relist = false;
        }
        const started = Date.now();
        const outcome = await this.watchOnce();
        if (outcome.kind === "gone") {
          this.log(`${this.resource.kind}: watch from resourceVersion ${this.resourceVersion} is gone (410): listing again`);
          relist = true;
          // A 410 right after a list (a server whose lists answer a version it cannot watch from) backs off.
          if (justListed) {
            failures++;
            await sleep(Math.min(this.maxBackoffMs, 1000 * 2 ** (failures - 1)), this.stop.signal);
          }
          continue;
        }
        if (outcome.kind === "error") throw outcome.error;
        // The server ended the watch (its timeout): re-open from where it stopped. One that ends at once
        // without any event counts as a failure, so a server that keeps cutting is not hammered.
        if (outcome.events > 0 || Date.now() - started > 5_000) failures = 0;
        else failures++;
        if (failures > 0) await sleep(Math.min(this.maxBackoffMs, 1000 * 2 ** (failures - 1)), this.stop.signal);
      } catch (e) {
        if (this.stop.signal.aborted) return;
        failures++;
        const status = (e as { code?: number; statusCode?: number }).code ?? (e as { statusCode?: number }).statusCode;
        if (status === 410) relist = true;
        const wait = Math.min(this.maxBackoffMs, 1000 * 2 ** (failures - 1));
        this.log(
          `${this.resource.kind}: ${relist ? "list" : "watch"} failed (${failures} in a row, next try in ${wait} ms): ${(e as Error).message}`,
        );
        await sleep(wait, this.stop.signal);
      }
    }
  }

  private async list() {
    const next = new Map<string, KubeObject>();
    const resourceVersion = await listResource(this.kc, this.resource, (item) => {
      const o = this.resource.trim(item);
      next.set(keyOf(o), o);
    });
    this.lists++;
    let changed = next.size !== this.cache.size || !this.synced;
    if (!changed)
      for (const [k, o] of next)
        if (JSON.stringify(this.cache.get(k)) !== JSON.stringify(o)) {
          changed = true;
          break;
        }
    this.cache.clear();
    for (const [k, o] of next) this.cache.set(k, o);
    this.resourceVersion = resourceVersion;
    this.synced = true;
    if (changed) this.onChange();
  }

  private watchOnce(): Promise<{ kind: "closed"; events: number } | { kind: "gone" } | { kind: "error"; error: Error }> {
    return new Promise((resolve) => {
      let settled = false;
      let events = 0;
      const settle = (r: { kind: "closed"; events: number } | { kind: "gone" } | { kind: "error"; error: Error }) => {
        if (settled) return;
        settled = true;
        this.stop.signal.removeEventListener("abort", onStop);
        this.watch?.abort();
        this.watch = null;
        resolve(r);
      };
      const onStop = () => settle({ kind: "closed", events });
      this.stop.signal.addEventListener("abort", onStop, { once: true });
      const query: Record<string, string | boolean | number> = {
        resourceVersion: this.resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: WATCH_TIMEOUT_SECONDS,
      };
      if (this.resource.labelSelector) query.labelSelector = this.resource.labelSelector;
      kubeWatch<Raw>(
        this.kc,
        this.resource.path,
        query,
        (type, object) => {
          if (settled) return;
          if (type === "ERROR") {
            const code = (object as { code?: number }).code;
            if (code === 410) return settle({ kind: "gone" });
            return settle({
              kind: "error",
              error: new Error(`watch error ${code}: ${String((object as { message?: string }).message)}`),
            });
          }
          events++;
          const rv = object.metadata?.resourceVersion;
          if (typeof rv === "string" && rv) this.resourceVersion = rv;
          if (type === "BOOKMARK" || this.resource.mirrored?.(name(object))) return;
          const o = this.resource.trim(object);
          const k = keyOf(o);
          if (type === "DELETED") {
            if (this.cache.delete(k)) this.onChange();
            return;
          }
          const before = this.cache.get(k);
          this.cache.set(k, o);
          // A pod's status churn that leaves what the engine needs unchanged is no change.
          if (!before || JSON.stringify(before) !== JSON.stringify(o)) this.onChange();
        },
        (err: unknown) => {
          const status = (err as { statusCode?: number } | null)?.statusCode;
          if (status === 410) return settle({ kind: "gone" });
          if (err && (err as Error).name !== "AbortError") return settle({ kind: "error", error: err as Error });
          settle({ kind: "closed", events });
        },
        (WATCH_TIMEOUT_SECONDS + WATCH_IDLE_GRACE_SECONDS) * 1000,
      ).then(
        (controller) => {
          if (settled) controller.abort();
          else this.watch = controller;
        },
        (err: unknown) => settle({ kind: "error", error: err as Error }),
      );
    });
  }
}

/**
 * The cluster as the agent knows it: the capabilities (re-read at each resync) and one reflector
 * per resource it serves. A CRD installed or removed later starts or stops its reflector at the
 * next refresh.
 */
export class ClusterCache {
  capabilities: Capabilities | null = null;
  readonly reflectors = new Map<string, Reflector>();

  constructor(
    private readonly kc: KubeConfig,
    private readonly onChange: () => void,
    private readonly log: ReflectorLog,
    private readonly maxBackoffMs: number,
  ) {}

  /** Re-reads the CRDs and daemonsets: the capabilities, and which resources to watch. */
  async refresh(): Promise<Capabilities> {
    const { crds, daemonSets, apiGroups, discovered, unavailable } = await listClusterShape(this.kc);
    // The kinds of an extension API server that did not answer stay watched as they were (their watches
    // retry on their own) rather than dropped from the observed state until it is back.
    for (const u of unavailable) this.log(`${u.group}: API discovery failed, its kinds stay as they were: ${u.message}`);
    const keep = new Set(unavailable.map((u) => u.group));
    this.capabilities = detectCapabilities(crds, daemonSets, apiGroups);
    const wanted = watchedResources(crds, this.capabilities.cni, discovered);
    const ids = new Set(wanted.map((r) => `${r.id}@${r.path}`));
    for (const [id, reflector] of this.reflectors)
      if (!ids.has(id) && !keep.has(reflector.resource.id.split("|")[0]!)) {
        reflector.close();
        this.reflectors.delete(id);
        this.onChange();
      }
    for (const r of wanted) {
      const id = `${r.id}@${r.path}`;
      if (this.reflectors.has(id)) continue;
      const reflector = new Reflector(this.kc, r, this.onChange, this.log, this.maxBackoffMs);
      this.reflectors.set(id, reflector);
      void reflector.start();
    }
    return this.capabilities;
  }

  /** Every reflector has listed at least once (pushing before would report half a cluster). */
  get synced(): boolean {
    return this.capabilities !== null && [...this.reflectors.values()].every((r) => r.synced);
  }

  /** Everything the agent reports, inventory first. */
  objects(): KubeObject[] {
    const out: KubeObject[] = [];
    for (const r of this.reflectors.values()) for (const o of r.cache.values()) out.push(o);
    return out;
  }

  /** The policy objects carrying Policyplane's managed-by label, with the resource they were listed from. */
  managed(): { object: KubeObject; resource: WatchedResource }[] {
    const out: { object: KubeObject; resource: WatchedResource }[] = [];
    for (const r of this.reflectors.values())
      if (r.resource.policy) for (const o of r.cache.values()) if (isManaged(o)) out.push({ object: o, resource: r.resource });
    return out;
  }

  close() {
    for (const r of this.reflectors.values()) r.close();
    this.reflectors.clear();
  }
}
