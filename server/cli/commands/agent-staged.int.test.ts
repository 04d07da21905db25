// Calico's own policies (projectcalico.org/v3) are served by the Calico API server through an
// aggregated APIService, not CRDs: the agent finds them by API discovery (GET /apis, then
// /apis/projectcalico.org/v3). Staged change requests render on Calico as StagedNetworkPolicy /
// StagedGlobalNetworkPolicy (audit-only). The agent lists Calico's policies and their staged versions
// where the cluster is Calico (so the drift compares them), and `--apply` applies and prunes the
// staged ones like the other managed kinds. Against the test Kubernetes API (discovery, list, watch,
// server-side apply, delete).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MANAGED_BY } from "@/server/policy/compile/managed-by";
import { STAGED_ANNOTATION } from "@/server/policy/compile/calico-staged";
import { startFakeKubeApi, type FakeCrd, type FakeKubeApi, type KubeObject } from "@/server/testing/kube-api";
import { loadKubeConfig, snapshotCluster } from "./agent";
import { applyDesired, FIELD_MANAGER } from "./agent-apply";
import { ClusterCache, sleep } from "./agent-watch";

/** What the Calico API server serves (aggregated: no CRD declares these). */
const CALICO_API: FakeCrd[] = [
  { group: "projectcalico.org", plural: "networkpolicies", kind: "NetworkPolicy", versions: ["v3"], aggregated: true },
  {
    group: "projectcalico.org",
    plural: "globalnetworkpolicies",
    kind: "GlobalNetworkPolicy",
    versions: ["v3"],
    scope: "Cluster",
    aggregated: true,
  },
  { group: "projectcalico.org", plural: "stagednetworkpolicies", kind: "StagedNetworkPolicy", versions: ["v3"], aggregated: true },
  {
    group: "projectcalico.org",
    plural: "stagedglobalnetworkpolicies",
    kind: "StagedGlobalNetworkPolicy",
    versions: ["v3"],
    scope: "Cluster",
    aggregated: true,
  },
];

const calicoPolicy = (kind: "NetworkPolicy" | "GlobalNetworkPolicy", name: string): KubeObject => ({
  apiVersion: "projectcalico.org/v3",
  kind,
  metadata: { name, ...(kind === "NetworkPolicy" ? { namespace: "shop" } : {}) },
  spec: { order: 10, selector: "all()", types: ["Ingress"], ingress: [{ action: "Allow" }] },
});

const staged = (kind: "StagedNetworkPolicy" | "StagedGlobalNetworkPolicy", name: string, managed = true): KubeObject => ({
  apiVersion: "projectcalico.org/v3",
  kind,
  metadata: {
    name,
    ...(kind === "StagedNetworkPolicy" ? { namespace: "shop" } : {}),
    ...(managed ? { labels: { ...MANAGED_BY }, annotations: { [STAGED_ANNOTATION]: "audit-only" } } : {}),
  },
  spec: { stagedAction: "Set", tier: "default", order: 1000, selector: "app == 'web'", types: ["Ingress"], ingress: [] },
});

const daemonSet = (name: string): KubeObject => ({
  apiVersion: "apps/v1",
  kind: "DaemonSet",
  metadata: { name, namespace: "kube-system" },
});
const namespace: KubeObject = { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } };

describe("the agent and Calico's staged policies", () => {
  let kube: FakeKubeApi | null = null;
  afterEach(async () => {
    await kube?.close();
    kube = null;
  });
  const start = async (cni: string, objects: KubeObject[]) => {
    kube = await startFakeKubeApi({ crds: CALICO_API, objects: [namespace, daemonSet(cni), ...objects] });
    return loadKubeConfig({ kubeconfig: kube.kubeconfig(mkdtempSync(join(tmpdir(), "pp-agent-staged-"))) });
  };

  it("lists the staged policies on a Calico cluster, managed or hand-applied, and not elsewhere", async () => {
    const objects = [staged("StagedNetworkPolicy", "default.web"), staged("StagedGlobalNetworkPolicy", "default.by-hand", false)];
    const calico = await snapshotCluster(await start("calico-node", objects));
    expect(calico.capabilities.cni).toBe("calico");
    expect(calico.objects.filter((o) => o.kind.startsWith("Staged")).map((o) => `${o.kind} ${o.metadata.name}`)).toEqual([
      "StagedNetworkPolicy default.web",
      "StagedGlobalNetworkPolicy default.by-hand",
    ]);
    await kube!.close();
    // The same kinds on a Cilium cluster: Policyplane renders no staged objects there, and the agent does not watch them.
    const cilium = await snapshotCluster(await start("cilium", objects));
    expect(cilium.capabilities.cni).toBe("cilium");
    expect(cilium.objects.filter((o) => o.kind.startsWith("Staged"))).toEqual([]);
  });

  it("--apply: server-side applies the desired staged policies and deletes a managed one no longer desired, never a hand-applied one", async () => {
    const kc = await start("calico-node", [
      staged("StagedNetworkPolicy", "default.old"),
      staged("StagedGlobalNetworkPolicy", "default.by-hand", false),
    ]);
    const cache = new ClusterCache(
      kc,
      () => {},
      () => {},
      1000,
    );
    try {
      await cache.refresh();
      while (!cache.synced) await sleep(20);
      const desired = [staged("StagedNetworkPolicy", "default.web"), staged("StagedGlobalNetworkPolicy", "default.baseline")];
      const result = await applyDesired(kc, cache, desired);
      expect(result).toEqual({
        applied: 2,
        deleted: ["StagedNetworkPolicy shop/default.old"],
        failed: [],
      });
      expect(kube!.writes.map((w) => `${w.method} ${w.path} ${w.status}`)).toEqual([
        "PATCH /apis/projectcalico.org/v3/namespaces/shop/stagednetworkpolicies/default.web 201",
        "PATCH /apis/projectcalico.org/v3/stagedglobalnetworkpolicies/default.baseline 201",
        "DELETE /apis/projectcalico.org/v3/namespaces/shop/stagednetworkpolicies/default.old 200",
      ]);
      for (const w of kube!.writes.filter((w) => w.method === "PATCH")) {
        expect(w.contentType).toBe("application/apply-patch+yaml");
        expect(w.fieldManager).toBe(FIELD_MANAGER);
        expect(w.force).toBe("true");
      }
      expect(
        kube!
          .objects()
          .filter((o) => o.kind.startsWith("Staged"))
          .map((o) => o.metadata.name)
          .sort(),
      ).toEqual(["default.baseline", "default.by-hand", "default.web"]);
    } finally {
      cache.close();
    }
  });

  it("the test API server answers discovery for an aggregated group, and declares no CRD for it", async () => {
    await start("calico-node", []);
    const get = async (path: string) =>
      (await fetch(`${kube!.url}${path}`, { headers: { authorization: "Bearer kube-token" } })).json() as Promise<Record<string, unknown>>;
    const groups = (await get("/apis")).groups as { name: string; preferredVersion: { groupVersion: string } }[];
    expect(groups.find((g) => g.name === "projectcalico.org")?.preferredVersion.groupVersion).toBe("projectcalico.org/v3");
    const resources = (await get("/apis/projectcalico.org/v3")).resources as { name: string; kind: string; namespaced: boolean }[];
    expect(resources.map((r) => `${r.name} ${r.kind} ${r.namespaced}`)).toEqual([
      "networkpolicies NetworkPolicy true",
      "globalnetworkpolicies GlobalNetworkPolicy false",
      "stagednetworkpolicies StagedNetworkPolicy true",
      "stagedglobalnetworkpolicies StagedGlobalNetworkPolicy false",
    ]);
    expect((await get("/apis/projectcalico.org/v1")).code).toBe(404);
    const crds = (await get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions")).items as { spec: { group: string } }[];
    expect(crds.filter((c) => c.spec.group === "projectcalico.org")).toEqual([]);
  });

  it("finds Calico by its aggregated API and lists Calico's policies through it, not Calico's copies of Kubernetes policies", async () => {
    // An operator install: calico-node runs in calico-system, so kube-system's daemonsets say nothing.
    const kc = await start("kube-proxy", [
      calicoPolicy("NetworkPolicy", "allow-all-by-hand"),
      calicoPolicy("GlobalNetworkPolicy", "deny-egress"),
      // How the Calico API server shows a Kubernetes NetworkPolicy and an AdminNetworkPolicy.
      calicoPolicy("NetworkPolicy", "knp.default.web"),
      calicoPolicy("GlobalNetworkPolicy", "kanp.adminnetworkpolicy.platform"),
    ]);
    const snapshot = await snapshotCluster(kc);
    expect(snapshot.capabilities.cni).toBe("calico");
    expect(kube!.requests).toEqual(expect.arrayContaining(["/apis", "/apis/projectcalico.org/v3"]));
    const calico = (o: KubeObject) => o.apiVersion === "projectcalico.org/v3";
    expect(snapshot.objects.filter(calico).map((o) => `${o.kind} ${o.metadata.name}`)).toEqual([
      "NetworkPolicy allow-all-by-hand",
      "GlobalNetworkPolicy deny-egress",
    ]);

    // Watched too: a policy applied later is reported, a Kubernetes policy's copy is not.
    let changes = 0;
    const cache = new ClusterCache(
      kc,
      () => changes++,
      () => {},
      1000,
    );
    try {
      await cache.refresh();
      while (!cache.synced) await sleep(20);
      while (kube!.openWatches() < cache.reflectors.size) await sleep(20);
      const before = changes;
      // On one watch, in order: the copy, then a policy; the copy, had it been kept, would be in the cache first.
      kube!.emit("ADDED", calicoPolicy("NetworkPolicy", "knp.default.api"));
      kube!.emit("ADDED", calicoPolicy("NetworkPolicy", "allow-web"));
      kube!.emit("ADDED", calicoPolicy("GlobalNetworkPolicy", "allow-dns"));
      const names = () => cache.objects().map((o) => o.metadata.name);
      while (!names().includes("allow-dns") || !names().includes("allow-web")) await sleep(20);
      expect(changes).toBe(before + 2);
      expect(
        cache
          .objects()
          .filter(calico)
          .map((o) => o.metadata.name),
      ).toEqual(["allow-all-by-hand", "allow-web", "deny-egress", "allow-dns"]);
    } finally {
      cache.close();
    }
  });

  it("the Calico API server down: the rest of the cluster is still reported, and Calico's kinds already watched stay", async () => {
    const kc = await start("calico-node", [calicoPolicy("GlobalNetworkPolicy", "deny-egress")]);
    // Down from the start (--once): everything else is listed; Calico is still known by its group.
    kube!.refuseDiscovery("projectcalico.org");
    const snapshot = await snapshotCluster(kc);
    expect(snapshot.capabilities.cni).toBe("calico");
    expect(snapshot.objects.map((o) => `${o.kind} ${o.metadata.name}`)).toEqual(["Namespace shop"]);

    // Down after the first refresh: its watches are kept (not dropped from the observed state).
    kube!.refuseDiscovery(null);
    const logs: string[] = [];
    const cache = new ClusterCache(
      kc,
      () => {},
      (line) => logs.push(line),
      1000,
    );
    try {
      await cache.refresh();
      while (!cache.synced) await sleep(20);
      const watched = [...cache.reflectors.keys()];
      kube!.refuseDiscovery("projectcalico.org");
      await cache.refresh();
      expect([...cache.reflectors.keys()]).toEqual(watched);
      expect(cache.objects().map((o) => o.metadata.name)).toContain("deny-egress");
      expect(logs).toEqual([expect.stringMatching(/^projectcalico\.org: API discovery failed, its kinds stay as they were: .*HTTP 503/)]);
    } finally {
      cache.close();
    }
  });
});
