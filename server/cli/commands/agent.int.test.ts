// `policyplane agent` between a Kubernetes API (a small HTTP server answering the
// list endpoints with the cluster's objects) and the real REST app (`policyplane
// serve` on the test database): it pushes the observed state and the detected
// capabilities, the drift appears, the release is reported applied once nothing
// is missing, and it outlasts the server being away.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parseAllDocuments } from "yaml";
import { auditEvents, clusterDriftPoints, clusterProfiles, clusters, releaseClusterRollouts } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { loadClusterModels } from "@/server/inventory/cluster-model";
import { callerFor, DEMO_PEOPLE } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { startFakeKubeApi, type FakeKubeApi, type KubeObject } from "@/server/testing/kube-api";
import { paymentsEgressYaml } from "@/server/testing/policies";
import { releaseToCanary } from "@/server/testing/releases";
import { serveApi } from "./serve";
import { detectCapabilities, loadKubeConfig, runAgent, syncOnce } from "./agent";

const CLUSTER = "staging-eu-1";

const CRDS = [
  {
    group: "policy.networking.k8s.io",
    plural: "adminnetworkpolicies",
    kind: "AdminNetworkPolicy",
    versions: ["v1alpha1"],
    scope: "Cluster" as const,
  },
  {
    group: "policy.networking.k8s.io",
    plural: "baselineadminnetworkpolicies",
    kind: "BaselineAdminNetworkPolicy",
    versions: ["v1alpha1"],
    scope: "Cluster" as const,
  },
  { group: "cilium.io", plural: "ciliumnetworkpolicies", kind: "CiliumNetworkPolicy", versions: ["v2"] },
  {
    group: "cilium.io",
    plural: "ciliumclusterwidenetworkpolicies",
    kind: "CiliumClusterwideNetworkPolicy",
    versions: ["v2"],
    scope: "Cluster" as const,
  },
  { group: "security.istio.io", plural: "authorizationpolicies", kind: "AuthorizationPolicy", versions: ["v1", "v1beta1"] },
  ...(
    [
      ["serviceentries", "ServiceEntry"],
      ["virtualservices", "VirtualService"],
      ["destinationrules", "DestinationRule"],
      ["gateways", "Gateway"],
    ] as const
  ).map(([plural, kind]) => ({ group: "networking.istio.io", plural, kind, versions: ["v1"] })),
];

describe(`policyplane agent against a Kubernetes API and the REST app on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;
  let server: Server;
  let url = "";
  let token = "";
  let kube: FakeKubeApi;
  let kubeconfig = "";
  let desired: KubeObject[] = [];
  let inventory: KubeObject[] = [];
  let release = 0;
  const hotfix: KubeObject = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "allow-all-hotfix", namespace: "payments", managedFields: [{ manager: "kubectl" }] },
    spec: { podSelector: {}, ingress: [{}], policyTypes: ["Ingress"] },
  };
  const cilium: KubeObject = {
    apiVersion: "cilium.io/v2",
    kind: "CiliumNetworkPolicy",
    metadata: { name: "hand-made-fqdn", namespace: "payments" },
    spec: { endpointSelector: {}, egress: [{ toFQDNs: [{ matchName: "api.example.com" }] }] },
  };
  /** The application's own routing: not Policyplane's, so the agent leaves it out (no drift). */
  const appRoute: KubeObject = {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name: "storefront", namespace: "checkout" },
    spec: { hosts: ["storefront"], http: [{ route: [{ destination: { host: "storefront" } }] }] },
  };
  const daemonSets: KubeObject[] = ["cilium", "kube-proxy"].map((name) => ({
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name, namespace: "kube-system" },
  }));

  beforeAll(async () => {
    // One release, rendered for the canary wave (staging-eu-1).
    ({ release } = await releaseToCanary(db(), "agent-egress"));
    const admin = await callerFor(db(), DEMO_PEOPLE.admin);
    const [staging] = await db().select().from(clusters).where(eq(clusters.name, CLUSTER));
    ({ token } = await admin.settings.createToken({
      name: "agent",
      role: "admin",
      tenantId: null,
      scopes: ["observed-state", "manifests"],
      clusterId: staging!.id,
      expiresInDays: 1,
    }));
    ({ server, url } = await serveApi(async () => db(), 0, "127.0.0.1"));
    const res = await fetch(`${url}/api/v1/clusters/${CLUSTER}/desired`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    desired = parseAllDocuments(await res.text()).map((d) => d.toJSON() as KubeObject);
    // The cluster's inventory as its API server would list it.
    const [model] = (await loadClusterModels(db(), [CLUSTER])).map((c) => c.model);
    inventory = [
      ...model!.namespaces.map((n) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name: n.name, labels: n.labels } })),
      ...model!.pods.map((p) => ({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: p.name, namespace: p.namespace, labels: p.labels },
        spec: { containers: [{ name: "app", image: "registry.example/app:1" }] },
        status: { phase: "Running", podIP: p.ips[0] },
      })),
      ...model!.services.map((s) => ({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: s.name, namespace: s.namespace },
        spec: { selector: s.selector, clusterIP: s.clusterIPs[0], ports: s.ports.map((p) => ({ port: p.port, protocol: p.protocol })) },
      })),
    ];
    kube = await startFakeKubeApi({ crds: CRDS, objects: [] });
    kubeconfig = kube.kubeconfig(mkdtempSync(`${tmpdir()}/pp-agent-`));
  });
  afterAll(async () => {
    await kube?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it("detects the CNI, the admin policy API and Istio from the CRDs and kube-system's daemonsets", () => {
    const crd = (group: string, plural: string, versions: string[]) => ({
      spec: {
        group,
        names: { plural, kind: "X" },
        scope: "Cluster",
        versions: versions.map((name) => ({ name, served: true, storage: true })),
      },
    });
    const anp = crd("policy.networking.k8s.io", "adminnetworkpolicies", ["v1alpha1"]);
    const cnp = crd("policy.networking.k8s.io", "clusternetworkpolicies", ["v1alpha2"]);
    expect(detectCapabilities([], ["kube-proxy"])).toEqual({ cni: "other", adminPolicyApi: "none", istio: false });
    expect(detectCapabilities([anp], ["calico-node"])).toEqual({ cni: "calico", adminPolicyApi: "v1alpha1", istio: false });
    expect(detectCapabilities([anp, cnp, crd("cilium.io", "ciliumnetworkpolicies", ["v2"])], [])).toEqual({
      cni: "cilium",
      adminPolicyApi: "v1alpha2",
      istio: false,
    });
    expect(detectCapabilities([crd("security.istio.io", "authorizationpolicies", ["v1"])], ["cilium"])).toMatchObject({
      cni: "cilium",
      istio: true,
    });
  });

  it("pushes the observed state and capabilities; a hand-applied policy and a deleted one show as drift", async () => {
    const [gone, ...kept] = desired;
    kube.setObjects([...inventory, ...daemonSets, ...kept, hotfix, cilium, appRoute]);
    const reported = new Set<number>();
    const result = await syncOnce(loadKubeConfig({ kubeconfig }), { server: url, token, cluster: CLUSTER }, reported);
    expect(result.capabilities).toEqual({ cni: "cilium", adminPolicyApi: "v1alpha1", istio: true });
    expect(result.objects).toBe(inventory.length + kept.length + 2);
    expect(result.observed).toMatchObject({ release, rejectedCount: 0, drift: { missing: 1, unmanaged: 2, modified: 0 } });
    // Something is missing: the release is not applied yet.
    expect(result.applied).toBeNull();
    expect(kube.requests).toContain("/apis/cilium.io/v2/ciliumnetworkpolicies");
    expect(kube.requests).toContain("/apis/security.istio.io/v1/authorizationpolicies");

    const viewer = await callerFor(db(), DEMO_PEOPLE.admin);
    const drift = await viewer.clusters.drift({ name: CLUSTER });
    expect(drift.observed).toMatchObject({ source: "agent", release });
    const byName = new Map(drift.drifts.map((d) => [`${d.type} ${d.name}`, d]));
    expect(byName.get(`missing ${gone!.metadata.name}`)).toBeDefined();
    // Server-set and managed fields are never drift; the agent pushed the object as it is enforced.
    expect(byName.get("unmanaged allow-all-hotfix")?.observed).toMatchObject({ spec: hotfix.spec });
    expect(byName.get("unmanaged allow-all-hotfix")?.effect?.openedCount).toBeGreaterThan(0);
    expect(byName.get("unmanaged hand-made-fqdn")?.kind).toBe("CiliumNetworkPolicy");

    const [staging] = await db().select().from(clusters).where(eq(clusters.name, CLUSTER));
    const [profile] = await db().select().from(clusterProfiles).where(eq(clusterProfiles.clusterId, staging!.id));
    expect(profile).toMatchObject({ cni: "cilium", adminPolicyApi: "v1alpha1", istio: true });
    const events = await db()
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "cluster.capabilities_reported"), eq(auditEvents.targetId, staging!.id)));
    expect(events).toHaveLength(1);
    expect(events[0]!.after).toMatchObject({ cni: "cilium", adminPolicyApi: "v1alpha1", istio: true, policyApi: "anp" });
  });

  it("reports the release applied once every desired object is there, once, and an unchanged capability report writes nothing", async () => {
    kube.setObjects([...inventory, ...daemonSets, ...desired]);
    const reported = new Set<number>();
    const first = await syncOnce(loadKubeConfig({ kubeconfig }), { server: url, token, cluster: CLUSTER }, reported);
    expect(first.observed.drift).toEqual({ missing: 0, unmanaged: 0, modified: 0 });
    expect(first.applied).toBe(release);
    const second = await syncOnce(loadKubeConfig({ kubeconfig }), { server: url, token, cluster: CLUSTER }, reported);
    expect(second.applied).toBeNull();
    const [row] = await db().select().from(releaseClusterRollouts).where(eq(releaseClusterRollouts.clusterName, CLUSTER));
    expect(row).toMatchObject({ status: "applied" });
    const [staging] = await db().select().from(clusters).where(eq(clusters.name, CLUSTER));
    const events = await db()
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "cluster.capabilities_reported"), eq(auditEvents.targetId, staging!.id)));
    expect(events).toHaveLength(1);
  });

  it("refuses a token of another cluster (403) and says so; keeps going through the server and the cluster being away", async () => {
    const other = await syncOnce(loadKubeConfig({ kubeconfig }), { server: url, token, cluster: "prod-eu-1" }, new Set()).then(
      () => null,
      (e: Error) => e.message,
    );
    expect(other).toMatch(/HTTP 403: This token speaks for another cluster/);

    const port = (server.address() as AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    kube.setAway(true);
    const err: string[] = [];
    const out: string[] = [];
    const e = vi.spyOn(process.stderr, "write").mockImplementation((s) => (err.push(String(s)), true));
    const o = vi.spyOn(process.stdout, "write").mockImplementation((s) => (out.push(String(s)), true));
    const stop = new AbortController();
    const running = runAgent({ server: url, token, cluster: CLUSTER, kubeconfig, interval: 0.2 }, stop.signal);
    try {
      await vi.waitFor(() => expect(err.length).toBeGreaterThanOrEqual(1), { timeout: 5000 });
      kube.setAway(false);
      await vi.waitFor(() => expect(err.length).toBeGreaterThanOrEqual(2), { timeout: 5000 });
      ({ server } = await serveApi(async () => db(), port, "127.0.0.1"));
      await vi.waitFor(() => expect(out.length).toBeGreaterThanOrEqual(1), { timeout: 10_000 });
    } finally {
      stop.abort();
      await running;
      e.mockRestore();
      o.mockRestore();
    }
    expect(err[0]).toMatch(/sync failed \(1 in a row\)/);
    expect(err.join("")).toMatch(/sync failed \(2 in a row\)/);
    expect(JSON.parse(out[0]!)).toMatchObject({ observed: { release, drift: { missing: 0, unmanaged: 0, modified: 0 } } });
  }, 30_000);

  it("a CNI the agent reports turns up in the lint: DNS-name egress warns for a cluster without Cilium", async () => {
    const author = await callerFor(db(), DEMO_PEOPLE.author);
    const capability = async () =>
      (await author.policies.analyse({ yaml: paymentsEgressYaml("dns-out") })).findings
        .filter((f) => f.id === "capability")
        .map((f) => f.message);
    expect(await capability()).toEqual([]);
    const calico = daemonSets.map((d) => (d.metadata.name === "cilium" ? { ...d, metadata: { ...d.metadata, name: "calico-node" } } : d));
    kube.setObjects([...inventory, ...calico, ...desired]);
    const result = await syncOnce(loadKubeConfig({ kubeconfig }), { server: url, token, cluster: CLUSTER }, new Set());
    expect(result.capabilities.cni).toBe("calico");
    expect(await capability()).toEqual([expect.stringMatching(/api\.stripe\.com needs Cilium .* staging-eu-1 \(CNI calico\)/)]);
  });

  it("leaves a drift trend point per recompute, oldest first, within the window asked for", async () => {
    const admin = await callerFor(db(), DEMO_PEOPLE.admin);
    const [staging] = await db().select().from(clusters).where(eq(clusters.name, CLUSTER));
    const old = new Date(Date.now() - 40 * 86_400_000);
    await db().insert(clusterDriftPoints).values({ clusterId: staging!.id, at: old, missing: 7, unmanaged: 0, modified: 0 });
    const month = await admin.clusters.driftTrend({ name: CLUSTER, days: 30 });
    expect(month[0]).toMatchObject({ missing: 1, unmanaged: 2, modified: 0, total: 3 });
    expect(month.at(-1)).toMatchObject({ total: 0 });
    expect(month.length).toBeGreaterThanOrEqual(4);
    expect(month.map((p) => p.at.getTime())).toEqual([...month.map((p) => p.at.getTime())].sort((a, b) => a - b));
    const quarter = await admin.clusters.driftTrend({ name: CLUSTER, days: 90 });
    expect(quarter[0]).toMatchObject({ at: old, missing: 7, total: 7 });
    expect(quarter).toHaveLength(month.length + 1);
  });
});
