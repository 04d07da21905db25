// Cilium `enableDefaultDeny: false`: the policy's rules apply, but it does not
// isolate its endpoints on its own.
import { describe, expect, it } from "vitest";
import { computeReachability, createEvaluator, readManifestSources } from "@/server/policy";

const cluster = `
apiVersion: v1
kind: Namespace
metadata: { name: shop, labels: { kubernetes.io/metadata.name: shop } }
---
apiVersion: v1
kind: Pod
metadata: { name: web, namespace: shop, labels: { app: web } }
status: { podIP: 10.0.0.1 }
---
apiVersion: v1
kind: Pod
metadata: { name: db, namespace: shop, labels: { app: db } }
status: { podIP: 10.0.0.2 }
---
apiVersion: v1
kind: Pod
metadata: { name: cache, namespace: shop, labels: { app: cache } }
status: { podIP: 10.0.0.3 }
`;

const nonIsolatingDeny = `
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: { name: no-web-to-db, namespace: shop }
spec:
  endpointSelector: { matchLabels: { app: web } }
  enableDefaultDeny: { egress: false }
  egressDeny:
    - toEndpoints: [{ matchLabels: { app: db } }]
`;

function evaluator(...extra: string[]) {
  const read = readManifestSources([{ file: "cluster.yaml", text: [cluster, ...extra].join("\n---\n") }]);
  expect(read.errors).toEqual([]);
  return createEvaluator(read.cluster, read.policies);
}

const verdict = (ev: ReturnType<typeof evaluator>, dst: string) => {
  const d = ev.decide({
    src: { kind: "pod", namespace: "shop", name: "web" },
    dst: { kind: "pod", namespace: "shop", name: dst },
    port: 80,
    protocol: "TCP",
  });
  if (!d.ok) throw d.error;
  return d.value.verdict;
};

describe("Cilium policies that do not enable default deny", () => {
  it("still deny what their deny rules match", () => {
    expect(verdict(evaluator(nonIsolatingDeny), "db")).toBe("deny");
  });

  it("do not isolate the endpoint for traffic their rules do not match", () => {
    expect(verdict(evaluator(nonIsolatingDeny), "cache")).toBe("allow");
  });

  it("agree with reachability", () => {
    const graph = computeReachability(evaluator(nonIsolatingDeny), { rationale: false });
    const targets = graph.edges.filter((e) => e.from.includes("web")).map((e) => e.to);
    expect(targets.some((t) => t.includes("cache"))).toBe(true);
    expect(targets.some((t) => t.includes("db"))).toBe(false);
  });
});
