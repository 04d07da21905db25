import { describe, expect, it } from "vitest";
import type { ObservedObject } from "@/db/schema/clusters";
import { computeDrift, diffFields, normalizeObject } from "./drift";
import { parseObserved, withEffects } from "./engine";
import { readManifestSources } from "@/server/policy/read/manifests";

const np = (name: string, spec: unknown, extra: Record<string, unknown> = {}): ObservedObject => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name, namespace: "shop", ...extra },
  spec,
});

describe("drift", () => {
  it("ignores what the API server sets, and kubectl's last-applied annotation", () => {
    const served = np(
      "a",
      { podSelector: {} },
      {
        uid: "u",
        resourceVersion: "7",
        generation: 2,
        creationTimestamp: "2026-01-01T00:00:00Z",
        managedFields: [{ manager: "kubectl" }],
        annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}" },
      },
    );
    expect(normalizeObject({ ...served, status: { x: 1 } })).toEqual(np("a", { podSelector: {} }));
    expect(computeDrift([np("a", { podSelector: {} })], [served])).toEqual([]);
  });

  it("finds missing, unmanaged and modified objects, and leaves inventory kinds alone", () => {
    const desired = [
      np("keep", { podSelector: {} }),
      np("gone", { podSelector: {} }),
      np("edit", { podSelector: {}, ingress: [{ ports: [{ port: 80 }] }] }),
    ];
    const observed = [
      np("keep", { podSelector: {} }),
      np("edit", { podSelector: {}, ingress: [{ ports: [{ port: 8080 }] }] }),
      np("extra", { podSelector: {}, ingress: [{}] }),
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } } as ObservedObject,
    ];
    const drift = computeDrift(desired, observed);
    // Sorted by object: same kind and namespace here, so by name.
    expect(drift.map((d) => `${d.type} ${d.name}`)).toEqual(["modified edit", "unmanaged extra", "missing gone"]);
    expect(drift.find((d) => d.type === "modified")!.diff).toEqual([
      { path: "spec.ingress[0].ports[0].port", desired: 80, observed: 8080 },
    ]);
  });

  it("reports a list of another length whole, and a key that is no identifier quoted", () => {
    expect(diffFields({ a: [1, 2] }, { a: [1] })).toEqual([{ path: "a", desired: [1, 2], observed: [1] }]);
    expect(diffFields({ m: { "x y": 1 } }, { m: {} })).toEqual([{ path: 'm["x y"]', desired: 1, observed: null }]);
  });

  it("keeps the good objects of a kubectl List and names each bad one by its place and line", () => {
    const text = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata: {name: shop}
- kind: NetworkPolicy
  metadata: {name: no-api-version}
- 42
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata: {name: Bad_Name}
`;
    const { objects, rejected } = parseObserved({ text });
    expect(objects.map((o) => o.metadata.name)).toEqual(["shop"]);
    expect(rejected).toEqual([
      { index: 1, line: 7, message: expect.stringContaining("apiVersion is missing") },
      { index: 2, line: 9, message: expect.stringContaining("got number") },
      { index: 3, line: 10, message: expect.stringContaining("metadata.name must be a Kubernetes name") },
    ]);
  });

  it("refuses hostile nesting without blowing the stack", () => {
    const { objects, rejected } = parseObserved({ text: "[".repeat(5000) });
    expect(objects).toEqual([]);
    expect(rejected[0]!.message).toMatch(/deeper|nest/i);
  });
});

describe("a drift's effect", () => {
  const cluster = readManifestSources([
    {
      file: "inventory.yaml",
      text: `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web, ports: [{containerPort: 80}]}]}
`,
    },
  ]).cluster;
  const egressAll = np("egress-all", { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }] });
  const denyMetadata = {
    apiVersion: "policy.networking.k8s.io/v1alpha1",
    kind: "AdminNetworkPolicy",
    metadata: { name: "no-metadata" },
    spec: {
      priority: 10,
      subject: { namespaces: {} },
      egress: [{ name: "metadata", action: "Deny", to: [{ networks: ["169.254.169.254/32"] }] }],
    },
  } as ObservedObject;

  it("names the paths a missing deny opens, though only that object names the destination", () => {
    const drifts = computeDrift([egressAll, denyMetadata], [egressAll]);
    const [missing] = withEffects(cluster, [egressAll, denyMetadata], drifts);
    expect(missing!.type).toBe("missing");
    expect(missing!.effect!.closedCount).toBe(0);
    expect(missing!.effect!.opened.some((p) => p.startsWith("shop/web → 169.254.169.254/32"))).toBe(true);
  });

  it("finds no path change in a policy's label", () => {
    const labelled = { ...egressAll, metadata: { ...egressAll.metadata, labels: { by: "hand" } } };
    const [modified] = withEffects(cluster, [egressAll], computeDrift([egressAll], [labelled]));
    expect(modified).toMatchObject({ type: "modified", effect: { openedCount: 0, closedCount: 0 } });
  });
});
