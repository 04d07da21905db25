/**
 * `policyplane agent`: runs beside a cluster (or anywhere its kubeconfig reaches) and keeps
 * Policyplane's view of it current. Each sync lists, through @kubernetes/client-node:
 *   - the inventory: Namespaces, Pods and Services, kept to what the engine needs (names, labels,
 *     pod IPs, service selectors and ports), so a 5,000-pod cluster fits one push;
 *   - the policy objects: NetworkPolicies, and, where their CRDs are installed,
 *     AdminNetworkPolicies, BaselineAdminNetworkPolicies, ClusterNetworkPolicies, Cilium policies
 *     and Istio AuthorizationPolicies, and the Istio egress routing Policyplane renders (its label);
 *   - the capabilities: the CNI (kube-system's daemonsets, else the CRD groups), the admin policy
 *     API (which CRDs are served) and Istio (its CRD groups);
 * and pushes them: the objects as observed state (the server computes the drift), the capabilities,
 * and "applied" for the release the server compared with once nothing it wants is missing or
 * modified. A sync that fails (the server or the cluster away) is retried with a doubling backoff
 * up to the interval; the agent never exits on its own.
 */
import {
  ApiextensionsV1Api,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  type V1CustomResourceDefinition,
} from "@kubernetes/client-node";
import type { AdminPolicyApi, Cni } from "@/lib/clusters";
import { MANAGED_BY } from "@/server/policy/compile/compile";
import { apiUrl, refusalMessage } from "../usage";

export interface AgentOptions {
  server: string;
  token: string;
  cluster: string;
  kubeconfig?: string;
  context?: string;
  /** Seconds between syncs. */
  interval: number;
  /** One sync, then exit (0 when it succeeded). */
  once?: boolean;
}

type KubeObject = { apiVersion: string; kind: string; metadata: Record<string, unknown> & { name: string; namespace?: string } } & Record<
  string,
  unknown
>;

export interface Capabilities {
  cni: Cni;
  adminPolicyApi: AdminPolicyApi;
  istio: boolean;
}

/** A policy resource the agent lists when its CRD is served (NetworkPolicy is built in). */
interface PolicyResource {
  group: string;
  plural: string;
  kind: string;
  /** Only these versions (the API version matters: v1alpha1 ANP, v1alpha2 CNP); default any served. */
  versions?: string[];
  /** Only the objects Policyplane renders (Istio routing: the apps' own are none of its business). */
  managedOnly?: boolean;
}

const POLICY_RESOURCES: readonly PolicyResource[] = [
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
];

const MANAGED_SELECTOR = Object.entries(MANAGED_BY)
  .map(([k, v]) => `${k}=${v}`)
  .join(",");

export interface ClusterSnapshot {
  objects: KubeObject[];
  capabilities: Capabilities;
}

const labelsOf = (meta: { labels?: Record<string, string> } | undefined) =>
  meta?.labels && Object.keys(meta.labels).length ? { labels: meta.labels } : {};

/** The version to list a CRD at: its storage version if served, else the first served one. */
function servedVersion(crd: V1CustomResourceDefinition, only?: readonly string[]): string | null {
  const served = crd.spec.versions.filter((v) => v.served && (!only || only.includes(v.name)));
  return (served.find((v) => v.storage) ?? served[0])?.name ?? null;
}

/** What the CRDs and kube-system's daemonsets say the cluster can do. */
export function detectCapabilities(crds: readonly V1CustomResourceDefinition[], daemonSets: readonly string[]): Capabilities {
  const groups = new Set(crds.map((c) => c.spec.group));
  const crd = (plural: string, group: string) => crds.find((c) => c.spec.group === group && c.spec.names.plural === plural);
  const cnp = crd("clusternetworkpolicies", "policy.networking.k8s.io");
  const anp = crd("adminnetworkpolicies", "policy.networking.k8s.io");
  const adminPolicyApi: AdminPolicyApi =
    cnp && servedVersion(cnp, ["v1alpha2"]) ? "v1alpha2" : anp && servedVersion(anp, ["v1alpha1"]) ? "v1alpha1" : "none";
  const ds = daemonSets.join(" ");
  const cni: Cni =
    /\bcilium\b/.test(ds) || (!/\bcalico/.test(ds) && groups.has("cilium.io"))
      ? "cilium"
      : /\bcalico/.test(ds) || groups.has("crd.projectcalico.org")
        ? "calico"
        : "other";
  const istio = [...groups].some((g) => g === "istio.io" || g.endsWith(".istio.io"));
  return { cni, adminPolicyApi, istio };
}

/** A policy object as pushed: as stored, less the managed fields (large, and never drift). */
function policyObject(item: Record<string, unknown>, apiVersion: string, kind: string): KubeObject {
  const metadata = { ...(item.metadata as KubeObject["metadata"]) };
  delete metadata.managedFields;
  return { ...item, apiVersion, kind, metadata };
}

/** Lists everything the agent reports, from the cluster `kc` points at. */
export async function snapshotCluster(kc: KubeConfig): Promise<ClusterSnapshot> {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const [crds, daemonSets, namespaces, pods, services, networkPolicies] = await Promise.all([
    kc.makeApiClient(ApiextensionsV1Api).listCustomResourceDefinition(),
    kc.makeApiClient(AppsV1Api).listNamespacedDaemonSet({ namespace: "kube-system" }),
    core.listNamespace(),
    core.listPodForAllNamespaces(),
    core.listServiceForAllNamespaces(),
    custom.listClusterCustomObject({ group: "networking.k8s.io", version: "v1", plural: "networkpolicies" }) as Promise<{
      items: Record<string, unknown>[];
    }>,
  ]);
  const capabilities = detectCapabilities(
    crds.items,
    daemonSets.items.map((d) => d.metadata?.name ?? ""),
  );
  const objects: KubeObject[] = [
    ...namespaces.items.map((n) => ({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: n.metadata!.name!, ...labelsOf(n.metadata) },
    })),
    ...pods.items.map((p) => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: p.metadata!.name!, namespace: p.metadata!.namespace!, ...labelsOf(p.metadata) },
      ...(p.status?.podIP ? { status: { podIP: p.status.podIP, phase: p.status.phase } } : {}),
    })),
    ...services.items.map((s) => ({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: s.metadata!.name!, namespace: s.metadata!.namespace!, ...labelsOf(s.metadata) },
      spec: {
        ...(s.spec?.selector ? { selector: s.spec.selector } : {}),
        ...(s.spec?.clusterIP ? { clusterIP: s.spec.clusterIP } : {}),
        ports: (s.spec?.ports ?? []).map((p) => ({
          ...(p.name ? { name: p.name } : {}),
          port: p.port,
          protocol: p.protocol ?? "TCP",
          ...(p.targetPort !== undefined ? { targetPort: p.targetPort } : {}),
        })),
      },
    })),
    ...networkPolicies.items.map((o) => policyObject(o, "networking.k8s.io/v1", "NetworkPolicy")),
  ];
  for (const r of POLICY_RESOURCES) {
    const crd = crds.items.find((c) => c.spec.group === r.group && c.spec.names.plural === r.plural);
    const version = crd && servedVersion(crd, r.versions);
    if (!version) continue;
    const list = (await custom.listClusterCustomObject({
      group: r.group,
      version,
      plural: r.plural,
      ...(r.managedOnly ? { labelSelector: MANAGED_SELECTOR } : {}),
    })) as { items: Record<string, unknown>[] };
    objects.push(...list.items.map((o) => policyObject(o, `${r.group}/${version}`, r.kind)));
  }
  return { objects, capabilities };
}

export interface ObservedReply {
  kept: number;
  rejectedCount: number;
  release: number | null;
  drift: { missing: number; unmanaged: number; modified: number };
}

async function call(url: URL, token: string, init: RequestInit): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    ...init,
    headers: { authorization: `Bearer ${token}`, "user-agent": "policyplane-agent/1", ...(init.headers as Record<string, string>) },
  });
  const text = await response.text();
  if (!response.ok)
    throw new AgentRefusal(response.status, `${init.method} ${url.pathname}: HTTP ${response.status}: ${refusalMessage(text)}`);
  return { status: response.status, body: JSON.parse(text) as unknown };
}

/** The server answered with a refusal (4xx/5xx); a network failure is a plain error. */
export class AgentRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** What one sync did. */
export interface SyncResult {
  objects: number;
  capabilities: Capabilities;
  observed: ObservedReply;
  /** The release reported applied by this sync, if any. */
  applied: number | null;
}

/**
 * One sync: snapshot the cluster, push capabilities and observed state, and report the release
 * applied when the cluster runs all of it (no missing or modified object). `reported` remembers
 * the releases already reported, across syncs.
 */
export async function syncOnce(
  kc: KubeConfig,
  opts: Pick<AgentOptions, "server" | "token" | "cluster">,
  reported: Set<number>,
): Promise<SyncResult> {
  const snapshot = await snapshotCluster(kc);
  const cluster = encodeURIComponent(opts.cluster);
  await call(apiUrl(opts.server, `clusters/${cluster}/capabilities`), opts.token, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(snapshot.capabilities),
  });
  const { body } = await call(apiUrl(opts.server, `clusters/${cluster}/observed`), opts.token, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ apiVersion: "v1", kind: "List", items: snapshot.objects }),
  });
  const observed = body as ObservedReply;
  let applied: number | null = null;
  const release = observed.release;
  if (release !== null && !reported.has(release) && observed.drift.missing === 0 && observed.drift.modified === 0) {
    try {
      await call(apiUrl(opts.server, `releases/${release}/clusters/${cluster}/status`), opts.token, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ status: "applied", message: `policyplane agent: all ${release} objects present and unmodified` }),
      });
      applied = release;
      reported.add(release);
    } catch (e) {
      // Not this cluster's release yet (its wave has not started), or superseded: nothing to report.
      if (!(e instanceof AgentRefusal && (e.status === 404 || e.status === 409))) throw e;
      reported.add(release);
    }
  }
  return { objects: snapshot.objects.length, capabilities: snapshot.capabilities, observed, applied };
}

export function loadKubeConfig(opts: Pick<AgentOptions, "kubeconfig" | "context">): KubeConfig {
  const kc = new KubeConfig();
  if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
  else kc.loadFromDefault();
  if (opts.context) kc.setCurrentContext(opts.context);
  return kc;
}

const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);

/**
 * Syncs every `interval` seconds until `signal` aborts. A failed sync waits 1 s, 2 s, 4 s, … (at
 * most the interval) and tries again; a success goes back to the interval.
 */
export async function runAgent(opts: AgentOptions, signal?: AbortSignal): Promise<number> {
  apiUrl(opts.server, "");
  const kc = loadKubeConfig(opts);
  const reported = new Set<number>();
  const intervalMs = opts.interval * 1000;
  let failures = 0;
  while (!signal?.aborted) {
    try {
      const r = await syncOnce(kc, opts, reported);
      failures = 0;
      process.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), ...r })}\n`);
      if (opts.once) return 0;
    } catch (e) {
      failures++;
      log(`sync failed (${failures} in a row): ${(e as Error).message}`);
      if (opts.once) return 1;
    }
    const wait = failures === 0 ? intervalMs : Math.min(intervalMs, 1000 * 2 ** (failures - 1));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, wait);
      signal?.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
  return 0;
}
