import { describe, expect, it } from "vitest";
import { PLATFORM_DEFAULT_ALL, type ClusterModel } from "@/server/policy/model";
import { workload } from "./test-model";
import type { PolicyplaneDocument } from "@/server/policy/documents/schema";
import { computeGraph, type VersionedDocument } from "./compute";
import { edgeRationale } from "./details";
import { edgeId, workloadNodeId } from "@/lib/graph/ids";

// A `via` rule: the engine decides the hop to the egress gateway; the graph
// continues it to the hosts the rule names (server/graph/routes.ts).

const V = "policyplane.io/v1" as const;
const NOW = new Date("2030-01-01T00:00:00Z");

function model(): ClusterModel {
  const ws = [
    workload("pay", "psp", [8080], "pay"),
    workload("pay", "ledger", [8080], "pay"),
    workload("istio-system", "pci-egress", [443], null),
  ];
  return {
    namespaces: [
      { name: "pay", labels: { tenant: "pay" } },
      { name: "istio-system", labels: {} },
    ],
    workloads: ws.map((x) => x.w),
    pods: ws.map((x) => x.pod),
    services: [],
    nodes: [],
    externals: [],
  };
}

const doc = (document: PolicyplaneDocument, version = 1): VersionedDocument => ({ document, version });

const GATEWAY_INGRESS = doc({
  apiVersion: V,
  kind: "Policy",
  metadata: { name: "gateways", owner: "platform" },
  spec: {
    tier: "global",
    priority: 10,
    subject: { namespaces: ["istio-system"] },
    rules: [
      {
        name: "from-workloads",
        direction: "ingress",
        action: "allow",
        peers: [{ workloads: { namespaceSelector: {} } }],
        ports: [{ port: 443, protocol: "TCP" }],
      },
    ],
  },
});

const viaRule = (name: string, subject: string, hosts: { dns?: string; cidr?: string }[], version = 1) =>
  doc(
    {
      apiVersion: V,
      kind: "Policy",
      metadata: { name, tenant: "pay" },
      spec: {
        tier: "namespace",
        subject: { namespaces: ["pay"], podSelector: { matchLabels: { app: subject } } },
        rules: [
          {
            name: "card-processors",
            direction: "egress",
            action: "allow",
            peers: hosts.map((h) => (h.dns ? { dns: h.dns } : { cidr: h.cidr! })),
            ports: [{ port: 443, protocol: "TCP" }],
            via: "pci-egress",
          },
        ],
      },
    },
    version,
  );

const cluster = { name: "eu", model: model() };
const PSP = workloadNodeId("eu", "pay", "Deployment", "psp");
const GATEWAY = workloadNodeId("eu", "istio-system", "Deployment", "pci-egress");

describe("the routed leg of a via rule", () => {
  const release = [GATEWAY_INGRESS, viaRule("psp-egress", "psp", [{ dns: "api.stripe.com" }, { cidr: "203.0.113.0/24" }])];
  const g = computeGraph({ clusters: [cluster], release, time: NOW, platformDefault: PLATFORM_DEFAULT_ALL });

  it("continues the hop to the gateway to each host and CIDR the rule names, with the rule that routes it", () => {
    const byId = new Map(g.data.nodes.map((n) => [n.id, n]));
    expect(g.data.edges.find((e) => e.id === edgeId(PSP, GATEWAY))?.ports).toEqual(["443/TCP"]);
    expect(byId.get("x:api.stripe.com")).toMatchObject({ kind: "external", externalKind: "dns" });
    expect(byId.get("x:203.0.113.0/24")).toMatchObject({ kind: "external", externalKind: "cidr" });
    const leg = g.data.edges.find((e) => e.id === edgeId(GATEWAY, "x:api.stripe.com"));
    expect(leg).toMatchObject({
      via: "pci-egress",
      ports: ["443/TCP"],
      allowance: { layer: "namespace", policy: { name: "psp-egress", version: "1" }, rule: 'egress rule 0 "card-processors"' },
    });
    expect(g.data.edges.some((e) => e.id === edgeId(GATEWAY, "x:203.0.113.0/24") && e.via === "pci-egress")).toBe(true);
  });

  it("draws no leg where no subject of the rule reaches the gateway", () => {
    const nobody = viaRule("psp-egress", "no-such-app", [{ dns: "api.stripe.com" }]);
    const without = computeGraph({
      clusters: [cluster],
      release: [GATEWAY_INGRESS, nobody],
      time: NOW,
      platformDefault: PLATFORM_DEFAULT_ALL,
    });
    expect(without.data.edges.filter((e) => e.via)).toEqual([]);
    expect(without.data.nodes.some((n) => n.id === "x:api.stripe.com")).toBe(false);
  });

  it("explains the leg as the gateway's routing by its rule, not as an engine verdict", () => {
    const r = edgeRationale(g, edgeId(GATEWAY, "x:api.stripe.com"), NOW)!;
    expect(r.route).toEqual({
      gateway: "pci-egress",
      policy: { name: "psp-egress", kind: "Policy", version: "1" },
      rule: 'egress rule 0 "card-processors"',
    });
    expect(r.ports).toEqual([{ port: "443/TCP" }]);
  });

  it("in an overlay, marks the host a draft routes through a gateway the release already reaches as added", () => {
    // The hop psp → gateway exists in both; only the leg to the new host is new.
    const draft = viaRule("psp-egress", "psp", [{ dns: "api.stripe.com" }, { cidr: "203.0.113.0/24" }, { dns: "*.adyen.com" }], 2);
    const overlay = computeGraph({
      clusters: [cluster],
      release,
      proposal: [GATEWAY_INGRESS, draft],
      time: NOW,
      platformDefault: PLATFORM_DEFAULT_ALL,
    });
    expect(overlay.paths.map((p) => [p.change, p.label])).toEqual([["added", "istio-system/pci-egress → *.adyen.com 443/TCP"]]);
    expect(overlay.data.edges.find((e) => e.id === edgeId(PSP, GATEWAY))?.change).toBeUndefined();
    expect(overlay.data.nodes.some((n) => n.id === "x:*.adyen.com")).toBe(true);
  });
});
