// Staged change requests render on Calico as StagedNetworkPolicy / StagedGlobalNetworkPolicy
// (projectcalico.org/v3, audit-only). The agent lists them where the cluster is Calico and their
// CRDs are served (so the drift compares them), and `--apply` applies and prunes them like the other
// managed kinds. Against the test Kubernetes API (list, watch, server-side apply, delete).
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

const STAGED_CRDS: FakeCrd[] = [
  { group: "projectcalico.org", plural: "stagednetworkpolicies", kind: "StagedNetworkPolicy", versions: ["v3"] },
  {
    group: "projectcalico.org",
    plural: "stagedglobalnetworkpolicies",
    kind: "StagedGlobalNetworkPolicy",
    versions: ["v3"],
    scope: "Cluster",
  },
];

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
    kube = await startFakeKubeApi({ crds: STAGED_CRDS, objects: [namespace, daemonSet(cni), ...objects] });
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
    // The same CRDs on a Cilium cluster: Policyplane renders no staged objects there, and the agent does not watch them.
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
});
