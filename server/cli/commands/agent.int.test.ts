// `policyplane agent` between a Kubernetes API (a small HTTP server answering the
// list, watch, server-side apply and delete endpoints with the cluster's objects)
// and the real REST app (`policyplane serve` on the test database): it lists once
// and then watches, pushes the observed state and the detected capabilities, the
// drift appears, a 410 Gone re-lists, it outlasts the cluster and the server being
// away, and with --apply it applies the desired state, deletes the managed objects
// no longer desired (an expired exception's) and reports the release's status.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { moveTestClock, serverNow } from "@/server/clock";
import { exceptionObjectsIn } from "@/server/exceptions/in-force";
import { cartReadsLedger } from "@/server/testing/exceptions";
import { parseAllDocuments } from "yaml";
import { auditEvents, clusterDriftPoints, clusterObserved, clusterProfiles, clusters, releaseClusterRollouts } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { loadClusterModels } from "@/server/inventory/cluster-model";
import { callerFor, DEMO_PEOPLE } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { startFakeKubeApi, type FakeKubeApi, type KubeObject } from "@/server/testing/kube-api";
import { paymentsEgressYaml } from "@/server/testing/policies";
import { releaseToCanary } from "@/server/testing/releases";
import { serveApi } from "./serve";
import { detectCapabilities, loadKubeConfig, runAgent, syncOnce, type AgentOptions } from "./agent";

vi.hoisted(() => {
  // A movable clock, as on the e2e test server (env() reads this once): the exception expiry test moves it.
  process.env.POLICYPLANE_TEST_CLOCK = "on";
});

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

  it("refuses a token of another cluster (403) and says so", async () => {
    const other = await syncOnce(loadKubeConfig({ kubeconfig }), { server: url, token, cluster: "prod-eu-1" }, new Set()).then(
      () => null,
      (e: Error) => e.message,
    );
    expect(other).toMatch(/HTTP 403: This token speaks for another cluster/);
  });

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
  /** Runs the long-lived agent (watches, debounced pushes) with its stdout and stderr captured. */
  function startAgent(extra: Partial<AgentOptions> = {}) {
    const out: string[] = [];
    const err: string[] = [];
    const e = vi.spyOn(process.stderr, "write").mockImplementation((s) => (err.push(String(s)), true));
    const o = vi.spyOn(process.stdout, "write").mockImplementation((s) => (out.push(String(s)), true));
    const stop = new AbortController();
    const running = runAgent({ server: url, token, cluster: CLUSTER, kubeconfig, interval: 60, debounceMs: 100, ...extra }, stop.signal);
    type Line = {
      observed?: { drift: { missing: number; unmanaged: number; modified: number } };
      apply?: { release: number; applied: number; deleted: string[]; failed: { object: string; reason: string }[]; status: string | null };
    };
    return {
      err,
      lines: () => out.map((l) => JSON.parse(l) as Line),
      pushes: () => out.map((l) => JSON.parse(l) as Line).filter((l) => l.observed),
      applies: () => out.map((l) => JSON.parse(l) as Line).filter((l) => l.apply),
      async stop() {
        stop.abort();
        await running;
        e.mockRestore();
        o.mockRestore();
      },
    };
  }
  const stagingId = async () => (await db().select().from(clusters).where(eq(clusters.name, CLUSTER)))[0]!.id;
  /** The objects the server holds as the cluster's observed state. */
  const observedObjects = async () =>
    (
      await db()
        .select()
        .from(clusterObserved)
        .where(eq(clusterObserved.clusterId, await stagingId()))
    )[0]?.objects ?? [];
  const observedNames = async (kind: string) =>
    (await observedObjects()).filter((o) => o.kind === kind).map((o) => `${o.metadata.namespace ?? ""}/${o.metadata.name}`);
  /** Lists of a resource made (a list is paged: counted by its first page). */
  const listed = (path: string) => kube.pages.filter((p) => p.path === path && p.offset === 0).length;
  const rollout = async () => (await db().select().from(releaseClusterRollouts).where(eq(releaseClusterRollouts.clusterName, CLUSTER)))[0]!;

  it("lists once, then watches from the list's resourceVersion: ADDED, MODIFIED and DELETED reach the observed state without any re-list", async () => {
    kube.setObjects([...inventory, ...daemonSets, ...desired]);
    const podLists = listed("/api/v1/pods");
    const agent = startAgent();
    try {
      await vi.waitFor(() => expect(agent.pushes()).toHaveLength(1), { timeout: 10_000 });
      expect(agent.pushes()[0]!.observed!.drift).toEqual({ missing: 0, unmanaged: 0, modified: 0 });
      // Every resource watched from the resourceVersion its list answered.
      const watchedPaths = kube.watches.map((w) => w.path);
      for (const path of ["/api/v1/namespaces", "/api/v1/pods", "/api/v1/services", "/apis/networking.k8s.io/v1/networkpolicies"])
        expect(watchedPaths).toContain(path);
      expect(kube.watches.find((w) => w.path === "/api/v1/pods")!.resourceVersion).toMatch(/^\d+$/);
      // Listed in pages (limit set), never as one unbounded list.
      expect(kube.pages.some((p) => p.path === "/api/v1/pods" && p.offset === 0)).toBe(true);

      kube.emit("ADDED", hotfix);
      await vi.waitFor(() => expect(agent.pushes().at(-1)!.observed!.drift.unmanaged).toBe(1), { timeout: 5000 });
      expect(await observedNames("NetworkPolicy")).toContain("payments/allow-all-hotfix");

      const pod = inventory.find((o) => o.kind === "Pod")!;
      const relabelled = { ...pod, metadata: { ...pod.metadata, labels: { ...(pod.metadata.labels as object), rollout: "canary-7" } } };
      kube.emit("MODIFIED", relabelled);
      await vi.waitFor(
        async () => {
          const seen = (await observedObjects()).find((o) => o.kind === "Pod" && o.metadata.name === pod.metadata.name);
          expect(seen?.metadata.labels).toMatchObject({ rollout: "canary-7" });
        },
        { timeout: 5000 },
      );

      kube.emit("DELETED", hotfix);
      await vi.waitFor(() => expect(agent.pushes().at(-1)!.observed!.drift).toEqual({ missing: 0, unmanaged: 0, modified: 0 }), {
        timeout: 5000,
      });
      expect(await observedNames("NetworkPolicy")).not.toContain("payments/allow-all-hotfix");
      // Only the first list: the rest came from the watch.
      expect(listed("/api/v1/pods")).toBe(podLists + 1);
      // A pod's status churn that changes nothing the engine reads pushes nothing.
      const quiet = agent.pushes().length;
      kube.emit("MODIFIED", {
        ...relabelled,
        metadata: { ...relabelled.metadata, annotations: { "kubectl.kubernetes.io/restartedAt": "now" } },
      });
      await new Promise((r) => setTimeout(r, 600));
      expect(agent.pushes().length).toBe(quiet);

      // The API server ends every watch (its timeout): each is re-opened from the last resourceVersion seen, no re-list.
      const opened = kube.watches.length;
      kube.dropWatches();
      await vi.waitFor(() => expect(kube.openWatches()).toBeGreaterThanOrEqual(4), { timeout: 10_000 });
      expect(kube.watches.length).toBeGreaterThan(opened);
      for (const w of kube.watches.slice(opened)) expect(Number(w.resourceVersion)).toBeGreaterThan(0);
      kube.emit("ADDED", hotfix);
      await vi.waitFor(() => expect(agent.pushes().at(-1)!.observed!.drift.unmanaged).toBe(1), { timeout: 5000 });
      expect(listed("/api/v1/pods")).toBe(podLists + 1);
    } finally {
      await agent.stop();
    }
  }, 30_000);

  it("re-lists after a 410 Gone (the watch's resourceVersion compacted away) and pushes what changed meanwhile", async () => {
    kube.setObjects([...inventory, ...daemonSets, ...desired]);
    const agent = startAgent();
    try {
      await vi.waitFor(() => expect(agent.pushes()).toHaveLength(1), { timeout: 10_000 });
      await vi.waitFor(() => expect(kube.openWatches()).toBeGreaterThanOrEqual(4), { timeout: 5000 });
      const podLists = listed("/api/v1/pods");
      const policyLists = listed("/apis/networking.k8s.io/v1/networkpolicies");
      // The hotfix arrives while the history is compacted: no event for it survives; only a re-list can see it.
      kube.setObjects([...inventory, ...daemonSets, ...desired, hotfix]);
      kube.compact();
      await vi.waitFor(() => expect(agent.pushes().at(-1)!.observed!.drift.unmanaged).toBe(1), { timeout: 10_000 });
      expect(listed("/api/v1/pods")).toBe(podLists + 1);
      expect(listed("/apis/networking.k8s.io/v1/networkpolicies")).toBe(policyLists + 1);
      expect(agent.err.join("")).toMatch(/NetworkPolicy: watch from resourceVersion \d+ is gone \(410\): listing again/);
      // And watching again afterwards.
      await vi.waitFor(() => expect(kube.openWatches()).toBeGreaterThanOrEqual(4), { timeout: 5000 });
    } finally {
      await agent.stop();
    }
  }, 30_000);

  it("outlasts the API server being away (reconnects with backoff, catches up) and the Policyplane server being away (retries the push)", async () => {
    kube.setObjects([...inventory, ...daemonSets, ...desired, hotfix]);
    const agent = startAgent({ interval: 4 });
    try {
      await vi.waitFor(() => expect(agent.pushes()).toHaveLength(1), { timeout: 10_000 });
      kube.setAway(true);
      await vi.waitFor(() => expect(agent.err.join("")).toMatch(/watch failed \(1 in a row/), { timeout: 5000 });
      // The hotfix is removed while the agent cannot see the cluster.
      kube.setObjects([...inventory, ...daemonSets, ...desired]);
      await new Promise((r) => setTimeout(r, 1500));
      expect(agent.err.join("")).toMatch(/failed \(2 in a row, next try in 2000 ms\)/);
      kube.setAway(false);
      await vi.waitFor(() => expect(agent.pushes().at(-1)!.observed!.drift.unmanaged).toBe(0), { timeout: 10_000 });
      await vi.waitFor(() => expect(kube.openWatches()).toBeGreaterThanOrEqual(4), { timeout: 10_000 });

      // The Policyplane server away: the push fails and is retried until it is back.
      const port = (server.address() as AddressInfo).port;
      // Its connections cut first: close() alone waits for a request in flight (a push the server is
      // still answering under a full run's load once kept it waiting past the test's timeout).
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      await closed;
      try {
        const pushed = agent.pushes().length;
        kube.emit("ADDED", hotfix);
        await vi.waitFor(() => expect(agent.err.join("")).toMatch(/sync failed \(2 in a row/), { timeout: 10_000 });
        ({ server } = await serveApi(async () => db(), port, "127.0.0.1"));
        await vi.waitFor(() => expect(agent.pushes().length).toBeGreaterThan(pushed), { timeout: 10_000 });
        expect(agent.pushes().at(-1)!.observed!.drift.unmanaged).toBe(1);
      } finally {
        // Back on its port whatever happened here, so the tests after this one find it.
        if (!server.listening) ({ server } = await serveApi(async () => db(), port, "127.0.0.1"));
      }
    } finally {
      await agent.stop();
    }
    // Its waits add up to a minute when each runs long, as under a full run's load (where 40 s was seen to run out).
  }, 90_000);

  it("--apply: server-side applies each desired object, deletes a managed object no longer desired, never an unmanaged one, and reports the release applied", async () => {
    const stale: KubeObject = {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "pp-retired-rule", namespace: "payments", labels: { "app.kubernetes.io/managed-by": "policyplane" } },
      spec: { podSelector: {}, policyTypes: ["Ingress"] },
    };
    // One desired object missing, one stale managed one, one hand-made one.
    const [missing, ...present] = desired;
    kube.setObjects([...inventory, ...daemonSets, ...present, stale, hotfix, appRoute]);
    const writesBefore = kube.writes.length;
    const agent = startAgent({ apply: true, applyInterval: 0.3 });
    try {
      await vi.waitFor(() => expect(agent.applies()).toHaveLength(1), { timeout: 10_000 });
      const result = agent.applies()[0]!.apply!;
      expect(result).toMatchObject({ release, applied: desired.length, failed: [], status: "applied" });
      expect(result.deleted).toEqual(["NetworkPolicy payments/pp-retired-rule"]);
      const writes = kube.writes.slice(writesBefore);
      const patches = writes.filter((w) => w.method === "PATCH");
      expect(patches).toHaveLength(desired.length);
      for (const p of patches)
        expect(p).toMatchObject({ contentType: "application/apply-patch+yaml", fieldManager: "policyplane", force: "true" });
      expect(patches.map((p) => (p.body as KubeObject).metadata.name).sort()).toEqual(desired.map((d) => d.metadata.name).sort());
      expect(patches.some((p) => p.path.endsWith(`/${missing!.metadata.name}`) && p.status === 201)).toBe(true);
      const deletes = writes.filter((w) => w.method === "DELETE");
      expect(deletes.map((d) => d.path)).toEqual(["/apis/networking.k8s.io/v1/namespaces/payments/networkpolicies/pp-retired-rule"]);
      // The cluster now runs exactly the desired state plus what Policyplane does not manage.
      const names = kube.objects().map((o) => o.metadata.name);
      expect(names).toContain(missing!.metadata.name);
      expect(names).toContain("allow-all-hotfix");
      expect(names).toContain("storefront");
      expect(names).not.toContain("pp-retired-rule");
      expect(await rollout()).toMatchObject({
        status: "applied",
        message: expect.stringMatching(/applied \(server-side apply\), 1 deleted/),
      });

      // An unchanged desired state costs a 304 and applies nothing.
      const after = kube.writes.length;
      await new Promise((r) => setTimeout(r, 1200));
      expect(kube.writes.length).toBe(after);
      expect(agent.applies()).toHaveLength(1);
    } finally {
      await agent.stop();
    }
    const first = await fetch(`${url}/api/v1/clusters/${CLUSTER}/desired`, { headers: { authorization: `Bearer ${token}` } });
    expect(first.headers.get("x-policyplane-release")).toBe(String(release));
    const etag = first.headers.get("etag")!;
    const again = await fetch(`${url}/api/v1/clusters/${CLUSTER}/desired`, {
      headers: { authorization: `Bearer ${token}`, "if-none-match": etag },
    });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
  }, 30_000);

  it("--apply: one object the API server refuses is reported failed with its reason; the others are still applied", async () => {
    kube.setObjects([...inventory, ...daemonSets]);
    const refused = desired[0]!.metadata.name;
    kube.refuseApply(refused, 'admission webhook "policy-guard" denied the request');
    const writesBefore = kube.writes.length;
    const err: string[] = [];
    const out: string[] = [];
    const e = vi.spyOn(process.stderr, "write").mockImplementation((s) => (err.push(String(s)), true));
    const o = vi.spyOn(process.stdout, "write").mockImplementation((s) => (out.push(String(s)), true));
    let code: number;
    try {
      code = await runAgent({ server: url, token, cluster: CLUSTER, kubeconfig, interval: 60, once: true, apply: true });
    } finally {
      e.mockRestore();
      o.mockRestore();
      kube.refuseApply(refused, null);
    }
    expect(code).toBe(1);
    const apply = out
      .map((l) => JSON.parse(l) as { apply?: { applied: number; failed: { object: string; reason: string }[]; status: string } })
      .find((l) => l.apply)!.apply!;
    expect(apply.applied).toBe(desired.length - 1);
    expect(apply.failed).toEqual([
      { object: expect.stringContaining(refused), reason: expect.stringMatching(/HTTP 422: admission webhook "policy-guard" denied/) },
    ]);
    expect(apply.status).toBe("failed");
    const names = kube.objects().map((x) => x.metadata.name);
    for (const d of desired.slice(1)) expect(names).toContain(d.metadata.name);
    expect(names).not.toContain(refused);
    expect(kube.writes.slice(writesBefore).filter((w) => w.method === "PATCH")).toHaveLength(desired.length);
    expect(await rollout()).toMatchObject({ status: "failed", message: expect.stringMatching(/1 failed: .*policy-guard/) });
  }, 30_000);

  it("--apply: an exception that expires (server clock) leaves the desired state and the agent deletes its object from the cluster", async () => {
    const HOUR = 3_600_000;
    const expiresAt = serverNow().getTime() + 2 * HOUR;
    const r = await (
      await callerFor(db(), "carlos.checkout@acme.example")
    ).exceptions.request(cartReadsLedger("Cart reads ledger while prices move", { startsAt: serverNow().getTime() - HOUR, expiresAt }));
    const approved = await (
      await callerFor(db(), "sam.security@acme.example")
    ).exceptions.approve({
      number: r.number,
      contentHash: r.contentHash,
      comment: "",
    });
    expect(approved.state).toBe("approved");
    kube.setObjects([...inventory, ...daemonSets, ...desired]);
    const agent = startAgent({ apply: true, applyInterval: 0.5 });
    try {
      // The exception's objects are applied (they are desired while the exception is in force).
      await vi.waitFor(() => expect(agent.applies().length).toBeGreaterThan(0), { timeout: 10_000 });
      expect(agent.applies()[0]!.apply).toMatchObject({ release, failed: [], status: "applied" });
      const objects = exceptionObjectsIn(kube.objects(), r.number);
      expect(objects.length).toBeGreaterThan(0);
      for (const o of objects) expect(o.metadata.labels).toMatchObject({ "app.kubernetes.io/managed-by": "policyplane" });
      const applies = agent.applies().length;

      moveTestClock(new Date(expiresAt + 1000));
      const movedAt = Date.now();
      await vi.waitFor(() => expect(exceptionObjectsIn(kube.objects(), r.number)).toEqual([]), { timeout: 10_000 });
      // Well within the stated delay (the apply interval plus the apply).
      // (The machine runs other suites: the bound is loose; the stated delay is about 10 s with the default interval.)
      expect(Date.now() - movedAt).toBeLessThan(15_000);
      for (const o of objects) {
        const deletes = kube.writes.filter((w) => w.method === "DELETE" && w.path.endsWith(`/${o.metadata.name}`));
        expect(deletes).toHaveLength(1);
        expect(deletes[0]!.path).toMatch(/^\/apis\/policy\.networking\.k8s\.io\/v1alpha1\/(baseline)?adminnetworkpolicies\//);
      }
      const removal = () =>
        agent
          .applies()
          .slice(applies)
          .find((l) => l.apply!.deleted.length > 0)?.apply;
      await vi.waitFor(() => expect(removal()).toBeDefined(), { timeout: 5000 });
      expect(removal()).toMatchObject({ release, failed: [], status: "applied" });
      expect(removal()!.deleted.sort()).toEqual(objects.map((o) => `${o.kind} ${o.metadata.name}`).sort());
      expect(await rollout()).toMatchObject({ status: "applied", message: expect.stringMatching(/ 2 deleted/) });
      // Everything else the release wants is still there.
      const names = kube.objects().map((x) => x.metadata.name);
      for (const d of desired) expect(names).toContain(d.metadata.name);
    } finally {
      await agent.stop();
    }
  }, 40_000);
});
