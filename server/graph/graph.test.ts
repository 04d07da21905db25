import { describe, expect, it } from "vitest";
import { PLATFORM_DEFAULT_ALL, type ClusterModel, type PodInfo } from "@/server/policy/model";
import { workload } from "./test-model";
import type { PolicyplaneDocument } from "@/server/policy/documents/schema";
import { computeGraph, type VersionedDocument } from "./compute";
import { edgeRationale, nodeDetails } from "./details";
import { toElements } from "@/lib/graph/elements";
import { EXTERNALS_GROUP, edgeId, namespaceNodeId, parseEdgeId, tenantNodeId, workloadNodeId } from "@/lib/graph/ids";
import { defaultCollapsed, groupContents, project } from "@/lib/graph/islands";
import { graphFor, openIsland } from "./open-island";
import { viewOf } from "./service";
import { TooLarge } from "@/server/errors";
import type { GraphData, GraphNode } from "@/lib/graph/types";

const V = "policyplane.io/v1" as const;
const tcp = (port: number | string) => ({ port, protocol: "TCP" as const });
const app = (namespace: string, name: string) => ({ workloads: { namespaces: [namespace], podSelector: { matchLabels: { app: name } } } });

function model(): ClusterModel {
  const ws = [
    workload("shop", "web", [8080], "shop"),
    workload("shop", "api", [8080], "shop"),
    workload("pay", "gateway", [8443], "pay"),
    workload("pay", "db", [5432], "pay", { tier: "data" }),
    workload("kube-system", "coredns", [53], null),
  ];
  return {
    namespaces: [
      { name: "shop", labels: { tenant: "shop" } },
      { name: "pay", labels: { tenant: "pay" } },
      { name: "kube-system", labels: {} },
    ],
    workloads: ws.map((x) => x.w),
    pods: ws.map((x) => x.pod),
    services: [
      {
        namespace: "kube-system",
        name: "kube-dns",
        selector: { app: "coredns" },
        ports: [{ port: 53, targetPort: 53, protocol: "TCP" }],
        clusterIPs: [],
      },
    ],
    nodes: [],
    externals: [{ kind: "dns", name: "api.stripe.com" }],
  };
}

const doc = (d: PolicyplaneDocument, version = 1): VersionedDocument => ({ document: d, version });

const RELEASE: VersionedDocument[] = [
  doc({
    apiVersion: V,
    kind: "Policy",
    metadata: { name: "shop-api", tenant: "shop" },
    spec: {
      tier: "namespace",
      subject: { namespaces: ["shop"], podSelector: { matchLabels: { app: "api" } } },
      rules: [
        { name: "from-web", direction: "ingress", action: "allow", peers: [app("shop", "web")], ports: [tcp(8080)] },
        { name: "to-gateway", direction: "egress", action: "allow", peers: [app("pay", "gateway")], ports: [tcp(8443)] },
      ],
    },
  }),
  doc({
    apiVersion: V,
    kind: "Policy",
    metadata: { name: "shop-web", tenant: "shop" },
    spec: {
      tier: "namespace",
      subject: { namespaces: ["shop"], podSelector: { matchLabels: { app: "web" } } },
      rules: [
        { name: "to-api", direction: "egress", action: "allow", peers: [app("shop", "api")], ports: [tcp(8080)] },
        { name: "to-db", direction: "egress", action: "allow", peers: [app("pay", "db")], ports: [tcp(5432)] },
      ],
    },
  }),
  doc(
    {
      apiVersion: V,
      kind: "Policy",
      metadata: { name: "pay-gateway", tenant: "pay" },
      spec: {
        tier: "namespace",
        subject: { namespaces: ["pay"], podSelector: { matchLabels: { app: "gateway" } } },
        rules: [{ name: "from-shop-api", direction: "ingress", action: "allow", peers: [app("shop", "api")], ports: [tcp(8443)] }],
      },
    },
    3,
  ),
  doc({
    apiVersion: V,
    kind: "Policy",
    metadata: { name: "global-reporting-db", owner: "platform" },
    spec: {
      tier: "global",
      priority: 10,
      subject: { namespaces: ["pay"], podSelector: { matchLabels: { app: "db" } } },
      rules: [{ name: "web-reads", direction: "ingress", action: "allow", peers: [app("shop", "web")], ports: [tcp(5432)] }],
    },
  }),
  doc({
    apiVersion: V,
    kind: "Exception",
    metadata: { name: "gateway-stripe-trial" },
    spec: {
      subject: { namespaces: ["pay"], podSelector: { matchLabels: { app: "gateway" } } },
      direction: "egress",
      peers: [{ dns: "api.stripe.com" }],
      ports: [tcp(443)],
      justification: "Trial of the new card processor",
      expiresAt: "2099-01-01T00:00:00Z",
    },
  }),
];

const NOW = new Date("2030-01-01T00:00:00Z");
const W = (ns: string, name: string) => workloadNodeId("eu", ns, "Deployment", name);
const cluster = { name: "eu", region: "eu-west", model: model() };

function edge(g: GraphData, source: string, target: string) {
  return g.edges.find((e) => e.id === edgeId(source, target));
}

describe("graph data from the engine's reachability", () => {
  const g = computeGraph({ clusters: [cluster], release: RELEASE, time: NOW, platformDefault: PLATFORM_DEFAULT_ALL });

  it("nests workloads in namespaces and namespaces in tenants, platform namespaces under 'no tenant'", () => {
    const byId = new Map(g.data.nodes.map((n) => [n.id, n]));
    expect(byId.get(W("shop", "api"))?.parent).toBe(namespaceNodeId("eu", "shop"));
    expect(byId.get(namespaceNodeId("eu", "shop"))?.parent).toBe(tenantNodeId("eu", "shop"));
    expect(byId.get(namespaceNodeId("eu", "kube-system"))?.parent).toBe(tenantNodeId("eu", null));
    expect(byId.get(tenantNodeId("eu", "pay"))).toMatchObject({ kind: "tenant", workloads: 2, namespaces: 1 });
    expect(byId.get("x:api.stripe.com")).toMatchObject({ kind: "external", parent: EXTERNALS_GROUP, externalKind: "dns" });
    expect(byId.get("x:world")).toMatchObject({ externalKind: "world" });
  });

  it("draws only the paths the engine allows, secure by default", () => {
    const ids = g.data.edges
      .filter((e) => !e.fronts)
      .map((e) => e.id)
      .sort();
    expect(ids).toEqual(
      [
        edgeId(W("shop", "web"), W("shop", "api")),
        edgeId(W("shop", "api"), W("pay", "gateway")),
        edgeId(W("shop", "web"), W("pay", "db")),
        edgeId(W("pay", "gateway"), "x:api.stripe.com"),
      ].sort(),
    );
    expect(edge(g.data, W("shop", "web"), W("shop", "api"))?.ports).toEqual(["8080/TCP"]);
  });

  it("says where each allowance comes from: namespace policy, admin tier, exception with its expiry", () => {
    expect(edge(g.data, W("shop", "api"), W("pay", "gateway"))?.allowance).toMatchObject({
      layer: "namespace",
      policy: { name: "shop-api", version: "1" },
      rule: 'egress rule 1 "to-gateway"',
    });
    expect(edge(g.data, W("shop", "web"), W("pay", "db"))?.allowance).toMatchObject({
      layer: "admin",
      tier: "global",
      policy: { name: "global-reporting-db" },
    });
    expect(edge(g.data, W("pay", "gateway"), "x:api.stripe.com")?.allowance).toMatchObject({
      layer: "exception",
      expiresAt: "2099-01-01T00:00:00Z",
      policy: { name: "gateway-stripe-trial" },
    });
  });

  it("marks the default allowance when secure-by-default would be off (no policy decides)", () => {
    // Without the baseline everything unselected is denied; with no documents at all nothing is allowed.
    const empty = computeGraph({ clusters: [cluster], release: [], time: NOW, platformDefault: PLATFORM_DEFAULT_ALL });
    expect(empty.data.edges.filter((e) => !e.fronts)).toEqual([]);
  });

  it("shows a Service whose name differs from its workload, linked to it", () => {
    const svc = g.data.nodes.find((n) => n.kind === "service");
    expect(svc).toMatchObject({ label: "kube-dns", parent: namespaceNodeId("eu", "kube-system") });
    expect(g.data.edges.find((e) => e.fronts)).toMatchObject({ source: svc!.id, target: W("kube-system", "coredns") });
  });

  it("stops drawing an exception once it has expired", () => {
    const later = computeGraph({
      clusters: [cluster],
      release: RELEASE,
      time: new Date("2099-06-01T00:00:00Z"),
      platformDefault: PLATFORM_DEFAULT_ALL,
    });
    expect(edge(later.data, W("pay", "gateway"), "x:api.stripe.com")).toBeUndefined();
    expect(g.validUntil).toBe(Date.parse("2099-01-01T00:00:00Z"));
  });
});

describe("Cytoscape elements", () => {
  const g = computeGraph({ clusters: [cluster], release: RELEASE, time: NOW, platformDefault: PLATFORM_DEFAULT_ALL });
  const els = toElements(project(g.data, []));
  const byId = new Map(els.map((e) => [e.data.id, e]));

  it("puts compound parents before their children and keeps the parent link", () => {
    const order = els.map((e) => e.data.id);
    expect(order.indexOf(tenantNodeId("eu", "shop"))).toBeLessThan(order.indexOf(namespaceNodeId("eu", "shop")));
    expect(order.indexOf(namespaceNodeId("eu", "shop"))).toBeLessThan(order.indexOf(W("shop", "api")));
    expect(byId.get(W("shop", "api"))?.data.parent).toBe(namespaceNodeId("eu", "shop"));
    expect(els.findIndex((e) => e.group === "edges")).toBeGreaterThan(els.filter((e) => e.group === "nodes").length - 1);
  });

  it("classes edges by the layer of their allowance and labels them with ports (and an exception's expiry)", () => {
    expect(byId.get(edgeId(W("shop", "api"), W("pay", "gateway")))).toMatchObject({
      classes: "layer-namespace",
      data: { label: "8443/TCP" },
    });
    expect(byId.get(edgeId(W("shop", "web"), W("pay", "db")))?.classes).toBe("layer-admin tier-global");
    expect(byId.get(edgeId(W("pay", "gateway"), "x:api.stripe.com"))).toMatchObject({
      classes: "layer-exception",
      data: { label: "443/TCP · until 2099-01-01" },
    });
    expect(byId.get(W("shop", "web"))?.classes).toBe("workload");
    expect(byId.get("x:world")?.classes).toBe("external ext-world");
  });
});

describe("islands", () => {
  const g = computeGraph({ clusters: [cluster], release: RELEASE, time: NOW, platformDefault: PLATFORM_DEFAULT_ALL });

  it("collapses a tenant into one node with aggregated edges and counts", () => {
    const view = project(g.data, [tenantNodeId("eu", "shop")]);
    const island = view.nodes.find((n) => n.id === tenantNodeId("eu", "shop"));
    expect(island).toMatchObject({ collapsed: true, workloads: 2, internalPaths: 1 });
    expect(view.nodes.some((n) => n.id === W("shop", "api") || n.id === namespaceNodeId("eu", "shop"))).toBe(false);
    const toPay = view.edges.filter((e) => e.source === tenantNodeId("eu", "shop"));
    expect(toPay.map((e) => [e.target, e.aggregate?.paths, e.aggregate?.layers, e.ports])).toEqual(
      expect.arrayContaining([
        [W("pay", "gateway"), 1, ["namespace"], ["8443/TCP"]],
        [W("pay", "db"), 1, ["admin"], ["5432/TCP"]],
      ]),
    );
    expect(toElements(view).find((e) => e.data.id === tenantNodeId("eu", "shop"))).toMatchObject({
      classes: "tenant island",
      data: { label: "shop\n1 namespace · 2 workloads" },
    });
  });

  it("aggregates paths between two islands into one edge with the count", () => {
    const view = project(g.data, [tenantNodeId("eu", "shop"), tenantNodeId("eu", "pay")]);
    const between = view.edges.filter((e) => e.source === tenantNodeId("eu", "shop") && e.target === tenantNodeId("eu", "pay"));
    expect(between).toHaveLength(1);
    expect(between[0]).toMatchObject({ aggregate: { paths: 2, layers: ["admin", "namespace"] }, ports: ["5432/TCP", "8443/TCP"] });
    expect(toElements(view).find((e) => e.data.id === between[0]!.id)?.classes).toBe("aggregate layer-mixed");
  });

  it("re-projects lazily loaded group contents onto an expanded island", () => {
    const collapsed = [tenantNodeId("eu", "shop"), tenantNodeId("eu", "pay")];
    const base = project(g.data, collapsed);
    const groups = g.data.nodes.filter((n) => ["tenant", "namespace", "externals", "cluster"].includes(n.kind));
    const pool: GraphData = {
      nodes: [
        ...groups,
        ...base.nodes.filter((n) => !groups.some((x) => x.id === n.id)).map((n) => ({ ...n, collapsed: undefined }) as GraphNode),
      ],
      edges: base.edges,
    };
    const loaded = groupContents(g.data, tenantNodeId("eu", "shop"));
    const merged = project({ nodes: [...pool.nodes, ...loaded.nodes], edges: [...pool.edges, ...loaded.edges] }, [
      tenantNodeId("eu", "pay"),
    ]);
    // shop is open again: its workloads are drawn, and their paths into the pay island are re-aggregated from the loaded detail.
    expect(merged.nodes.some((n) => n.id === W("shop", "api"))).toBe(true);
    expect(merged.edges.find((e) => e.source === W("shop", "api"))).toMatchObject({
      target: tenantNodeId("eu", "pay"),
      aggregate: { paths: 1 },
    });
    expect(merged.edges.find((e) => e.source === W("shop", "web") && e.target === tenantNodeId("eu", "pay"))).toMatchObject({
      aggregate: { paths: 1, layers: ["admin"] },
    });
    expect(merged.edges.some((e) => e.source === tenantNodeId("eu", "shop"))).toBe(false);
  });

  it("collapses by default only what would not fit", () => {
    expect(defaultCollapsed(g.data.nodes)).toEqual([]);
    const ns = g.data.nodes.filter((n) => n.kind === "namespace").map((n) => n.id);
    // 8 leaves (5 workloads, 1 service, 2 externals): with room for 5, namespaces become islands (and the externals, over a quarter of the budget).
    expect(defaultCollapsed(g.data.nodes, 5).sort()).toEqual([EXTERNALS_GROUP, ...ns].sort());
    expect(defaultCollapsed(g.data.nodes, 3).sort()).toEqual(
      [EXTERNALS_GROUP, ...g.data.nodes.filter((n) => n.kind === "tenant").map((n) => n.id)].sort(),
    );
  });

  it("starts the all-clusters view with its paths bundled per namespace pair, however few workloads there are", () => {
    const two = [cluster, { ...cluster, name: "us", region: "us-east" }];
    const all = computeGraph({ clusters: two, release: RELEASE, time: NOW, allClusters: true, platformDefault: PLATFORM_DEFAULT_ALL });
    const namespaces = all.data.nodes.filter((n) => n.kind === "namespace").map((n) => n.id);
    const view = viewOf(all, "all", { kind: "release" }, false, ["eu", "us"]);
    expect(view.collapsed.sort()).toEqual(namespaces.sort());
    expect(view.nodes.some((n) => n.kind === "workload")).toBe(false);
    // The path from shop to pay is one bundled edge per cluster, counting its workload paths.
    const bundled = view.edges.find((e) => e.source === namespaceNodeId("eu", "shop") && e.target === namespaceNodeId("eu", "pay"));
    expect(bundled?.aggregate?.paths).toBe(2);
    // One cluster alone stays open: everything fits.
    expect(viewOf(g, "eu", { kind: "release" }, false, ["eu"]).collapsed).toEqual([]);
  });
});

/** The release with shop-api also reaching pay/db, which pay-db lets in. */
const changed = RELEASE.map((d) =>
  d.document.metadata.name === "shop-api" && d.document.kind === "Policy"
    ? doc(
        {
          ...d.document,
          spec: {
            ...d.document.spec,
            rules: [
              d.document.spec.rules[0]!,
              { name: "to-db", direction: "egress", action: "allow", peers: [app("pay", "db")], ports: [tcp(5432)] },
            ],
          },
        },
        2,
      )
    : d,
);
const extra = doc({
  apiVersion: V,
  kind: "Policy",
  metadata: { name: "pay-db", tenant: "pay" },
  spec: {
    tier: "namespace",
    subject: { namespaces: ["pay"], podSelector: { matchLabels: { app: "db" } } },
    rules: [{ name: "from-api", direction: "ingress", action: "allow", peers: [app("shop", "api")], ports: [tcp(5432)] }],
  },
});
const PROPOSAL = [...changed, extra];

describe("overlay: a proposal against the release", () => {
  const g = computeGraph({ clusters: [cluster], release: RELEASE, proposal: PROPOSAL, time: NOW, platformDefault: PLATFORM_DEFAULT_ALL });

  it("marks added (green) and removed (red) paths and lists them with readable labels", () => {
    expect(edge(g.data, W("shop", "api"), W("pay", "db"))?.change).toBe("added");
    expect(edge(g.data, W("shop", "api"), W("pay", "gateway"))?.change).toBe("removed");
    expect(edge(g.data, W("shop", "web"), W("shop", "api"))?.change).toBeUndefined();
    expect(g.paths.map((p) => [p.change, p.label])).toEqual([
      ["added", "shop/api → pay/db 5432/TCP"],
      ["removed", "shop/api → pay/gateway 8443/TCP"],
    ]);
    const els = toElements(project(g.data, []));
    expect(els.find((e) => e.data.id === edgeId(W("shop", "api"), W("pay", "db")))?.classes).toBe("layer-namespace added");
    expect(els.find((e) => e.data.id === edgeId(W("shop", "api"), W("pay", "gateway")))?.classes).toBe("layer-namespace removed");
  });

  it("explains an added path with the proposal's rule and the release's deny", () => {
    const r = edgeRationale(g, edgeId(W("shop", "api"), W("pay", "db")), NOW)!;
    expect(r.ports[0]!.proposed).toMatchObject({
      verdict: "allow",
      allowance: { layer: "namespace", policy: { name: "shop-api", version: "2" } },
    });
    expect(r.ports[0]!.current?.verdict).toBe("deny");
    expect(parseEdgeId(r.edgeId)).toEqual({ source: W("shop", "api"), target: W("pay", "db") });
  });

  it("counts additions on an island's aggregated edge", () => {
    const view = project(g.data, [tenantNodeId("eu", "pay")]);
    const agg = view.edges.find((e) => e.source === W("shop", "api") && e.target === tenantNodeId("eu", "pay"));
    expect(agg).toMatchObject({ change: "added", aggregate: { paths: 2, added: 1, removed: 1 } });
  });
});

describe("node details", () => {
  const g = computeGraph({ clusters: [cluster], release: RELEASE, time: NOW, platformDefault: PLATFORM_DEFAULT_ALL });
  it("lists a workload's labels, the policies selecting it and its inbound and outbound paths", () => {
    const d = nodeDetails(g, W("shop", "api"))!;
    expect(d.labels).toEqual({ app: "api", tenant: "shop" });
    expect(d.policies.map((p) => `${p.layer}:${p.name}`)).toEqual(["namespace:shop-api"]);
    expect(d.inbound.map((p) => p.peer.label)).toEqual(["shop/web"]);
    expect(d.outbound.map((p) => [p.peer.label, p.ports])).toEqual([["pay/gateway", ["8443/TCP"]]]);
    const db = nodeDetails(g, W("pay", "db"))!;
    expect(db.policies.map((p) => `${p.layer}:${p.name}`)).toEqual(["admin:global-reporting-db"]);
  });

  it("shows a bare Pod's own labels, the Services and the policies selecting it", () => {
    const m = model();
    const debug: PodInfo = {
      namespace: "kube-system",
      name: "dns-debug",
      labels: { app: "coredns", run: "dns-debug" },
      ports: [],
      ips: [],
      hostNetwork: false,
    };
    const selectsDebug = doc({
      apiVersion: V,
      kind: "Policy",
      metadata: { name: "dns-debug-egress" },
      spec: {
        tier: "namespace",
        subject: { namespaces: ["kube-system"], podSelector: { matchLabels: { run: "dns-debug" } } },
        rules: [{ name: "to-web", direction: "egress", action: "allow", peers: [app("shop", "web")], ports: [tcp(8080)] }],
      },
    });
    const bare = computeGraph({
      clusters: [{ ...cluster, model: { ...m, pods: [...m.pods, debug] } }],
      release: [...RELEASE, selectsDebug],
      time: NOW,
      platformDefault: PLATFORM_DEFAULT_ALL,
    });
    const id = workloadNodeId("eu", "kube-system", "Pod", "dns-debug");
    const d = nodeDetails(bare, id)!;
    expect(d).toMatchObject({
      workloadKind: "Pod",
      pods: 1,
      labels: { app: "coredns", run: "dns-debug" },
      namespaceLabels: {},
      services: ["kube-dns (53/TCP)"],
    });
    expect(d.policies.map((p) => `${p.layer}:${p.name}:${p.directions.join("+")}`)).toEqual(["namespace:dns-debug-egress:egress"]);
  });
});

describe("a workload whose pods differ", () => {
  // Two pods of pay/db; only the second carries the label the admin policy selects. The first pod
  // is the one a "representative" of the workload would be, and nothing allows traffic to it.
  function splitModel(): ClusterModel {
    const m = model();
    const plain = m.pods.find((p) => p.name === "db-0")!;
    const reporting = { ...plain, name: "db-1", labels: { ...plain.labels, reporting: "true" } };
    return { ...m, pods: [...m.pods, reporting] };
  }
  const reportingOnly = doc({
    apiVersion: V,
    kind: "Policy",
    metadata: { name: "global-reporting-replica", owner: "platform" },
    spec: {
      tier: "global",
      priority: 10,
      subject: { namespaces: ["pay"], podSelector: { matchLabels: { app: "db", reporting: "true" } } },
      rules: [{ name: "web-reads-replica", direction: "ingress", action: "allow", peers: [app("shop", "web")], ports: [tcp(5432)] }],
    },
  });
  const release = [...RELEASE.filter((d) => d.document.metadata.name !== "global-reporting-db"), reportingOnly];
  const g = computeGraph({ clusters: [{ ...cluster, model: splitModel() }], release, time: NOW, platformDefault: PLATFORM_DEFAULT_ALL });
  const webToDb = edgeId(W("shop", "web"), W("pay", "db"));

  it("takes the edge's allowance from the pod pair the engine allows, not from the workload's first pod", () => {
    expect(nodeDetails(g, W("pay", "db"))).toMatchObject({ pods: 2, labels: { app: "db", tier: "data" } });
    expect(edge(g.data, W("shop", "web"), W("pay", "db"))?.allowance).toMatchObject({
      layer: "admin",
      tier: "global",
      policy: { name: "global-reporting-replica" },
      rule: 'ingress rule 0 "web-reads-replica"',
    });
  });

  it("lists the policies selecting any of the workload's pods", () => {
    expect(nodeDetails(g, W("pay", "db"))?.policies.map((p) => `${p.layer}:${p.name}`)).toEqual(["admin:global-reporting-replica"]);
  });

  it("explains each port of the edge with an allowed pair", () => {
    const r = edgeRationale(g, webToDb, NOW)!;
    expect(r.ports.map((p) => [p.port, p.current?.verdict, p.current?.allowance?.policy?.name])).toEqual([
      ["5432/TCP", "allow", "global-reporting-replica"],
    ]);
  });

  it("explains both sides of an overlay, each with a pair allowed there", () => {
    const overlay = computeGraph({
      clusters: [{ ...cluster, model: splitModel() }],
      release,
      proposal: RELEASE,
      time: NOW,
      platformDefault: PLATFORM_DEFAULT_ALL,
    });
    const r = edgeRationale(overlay, webToDb, NOW)!;
    expect(r.change).toBeUndefined();
    expect(r.ports[0]).toMatchObject({
      current: { verdict: "allow", allowance: { policy: { name: "global-reporting-replica" } } },
      proposed: { verdict: "allow", allowance: { policy: { name: "global-reporting-db" } } },
    });
  });
});

describe("lowering warnings", () => {
  const missingService = doc({
    apiVersion: V,
    kind: "Policy",
    metadata: { name: "shop-web-ledger", tenant: "shop" },
    spec: {
      tier: "namespace",
      subject: { namespaces: ["shop"], podSelector: { matchLabels: { app: "web" } } },
      rules: [{ name: "to-ledger", direction: "egress", action: "allow", peers: [{ service: "pay/ledger" }], ports: [tcp(8080)] }],
    },
  });
  const us = { name: "us", region: "us-east", model: model() };

  it("carries them into the graph with the document, the field and every cluster they occur in", () => {
    const g = computeGraph({
      clusters: [cluster, us],
      release: [...RELEASE, missingService],
      time: NOW,
      platformDefault: PLATFORM_DEFAULT_ALL,
    });
    expect(g.warnings).toEqual([
      {
        kind: "Policy",
        document: "shop-web-ledger",
        path: "spec.rules[0].peers[0]",
        message: expect.stringContaining("service pay/ledger is not in cluster eu"),
        clusters: ["eu"],
      },
      {
        kind: "Policy",
        document: "shop-web-ledger",
        path: "spec.rules[0].peers[0]",
        message: expect.stringContaining("service pay/ledger is not in cluster us"),
        clusters: ["us"],
      },
    ]);
  });

  it("lists a warning once with all its clusters, and takes an overlay's warnings from the proposal", () => {
    const notIsolating = doc({
      apiVersion: V,
      kind: "Policy",
      metadata: { name: "shop-web-ingress-only", tenant: "shop" },
      spec: {
        tier: "namespace",
        isolate: ["ingress"],
        subject: { namespaces: ["shop"], podSelector: { matchLabels: { app: "web" } } },
        rules: [{ name: "to-api", direction: "egress", action: "allow", peers: [app("shop", "api")], ports: [tcp(8080)] }],
      },
    });
    const g = computeGraph({
      clusters: [cluster, us],
      release: RELEASE,
      proposal: [...RELEASE, notIsolating],
      time: NOW,
      platformDefault: PLATFORM_DEFAULT_ALL,
    });
    expect(g.warnings).toEqual([
      {
        kind: "Policy",
        document: "shop-web-ingress-only",
        path: "spec.rules[0].direction",
        message: expect.stringContaining("does not isolate egress"),
        clusters: ["eu", "us"],
      },
    ]);
    expect(computeGraph({ clusters: [cluster], release: RELEASE, time: NOW, platformDefault: PLATFORM_DEFAULT_ALL }).warnings).toEqual([]);
  });
});

describe("a large cluster at namespace level, islands opened on demand", () => {
  // Limits that make this small cluster "large": its graph is aggregated.
  const limits = { smallWorkloads: 0, fullPaths: 0, islandWorkloads: 10, islandPaths: 1000 };
  const full = computeGraph({
    clusters: [cluster],
    release: RELEASE,
    proposal: PROPOSAL,
    time: NOW,
    platformDefault: PLATFORM_DEFAULT_ALL,
  });
  const agg = computeGraph({
    clusters: [cluster],
    release: RELEASE,
    proposal: PROPOSAL,
    time: NOW,
    platformDefault: PLATFORM_DEFAULT_ALL,
    limits,
  });
  const namespaces = agg.data.nodes.filter((n) => n.kind === "namespace").map((n) => n.id);
  const opened = (open: readonly string[]) => namespaces.map((id) => openIsland(agg, id, open, NOW)!);
  const detailed = (g: GraphData) => new Map(g.edges.filter((e) => e.id.startsWith("e:")).map((e) => [e.id, e]));

  it("holds no workload node or workload-level edge, and counts the paths each namespace edge stands for", () => {
    expect(agg.base[0]!.aggregated).toBe(true);
    expect(agg.data.nodes.filter((n) => n.kind === "workload")).toEqual([]);
    expect(agg.data.edges.every((e) => e.aggregate && !e.source.startsWith("w:") && !e.target.startsWith("w:"))).toBe(true);
    const sameNamespaces = (e: { source: string; target: string }, s: string, t: string) =>
      e.source.startsWith(s) && e.target.startsWith(t);
    const fullPaths = full.base[0]!.data.edges.filter((e) => !e.fronts);
    for (const e of agg.base[0]!.data.edges) {
      const [s, t] = [e.source.replace(/^n:/, "w:"), e.target.replace(/^n:/, "w:")];
      expect(e.aggregate!.paths, e.id).toBe(
        fullPaths.filter((f) => sameNamespaces(f, s.startsWith("w:") ? `${s}/` : s, t.startsWith("w:") ? `${t}/` : t)).length,
      );
    }
  });

  it("opened namespace by namespace (each with the others open), gives exactly the full graph's paths and overlay", () => {
    const union = new Map<string, GraphData["edges"][number]>();
    for (const island of opened(namespaces)) for (const [id, e] of detailed(island.data)) union.set(id, e);
    expect(union).toEqual(detailed(full.data));
    const listed = opened(namespaces).flatMap((i) => i.paths.filter((p) => p.edgeId.startsWith("e:")));
    expect(new Set(listed.map((p) => `${p.change} ${p.label}`))).toEqual(new Set(full.paths.map((p) => `${p.change} ${p.label}`)));
  });

  it("shows the default view with every namespace an island carrying its own paths, and nothing to open for a small cluster", () => {
    const view = viewOf(agg, "eu", { kind: "cr", id: "x" }, false, ["eu"]);
    expect(view.onDemand).toBe(true);
    expect(view.collapsed).toEqual(expect.arrayContaining(namespaces));
    const projected = project({ nodes: view.nodes, edges: agg.data.edges }, view.collapsed);
    const shop = projected.nodes.find((n) => n.id === namespaceNodeId("eu", "shop"))!;
    expect(shop.internalPaths).toBe(
      full.data.edges.filter((e) => !e.fronts && e.source.startsWith(W("shop", "")) && e.target.startsWith(W("shop", ""))).length,
    );
    expect(view.stats.workloads).toBe(viewOf(full, "eu", { kind: "release" }, false, ["eu"]).stats.workloads);
    expect(viewOf(full, "eu", { kind: "release" }, false, ["eu"]).onDemand).toBe(false);
    expect(openIsland(full, namespaceNodeId("eu", "shop"), [], NOW)).toBeNull();
  });

  it("marks a namespace edge whose ports the proposal changes; its pair count changes only by the net difference", () => {
    const e = agg.data.edges.find((x) => x.source === namespaceNodeId("eu", "shop") && x.target === namespaceNodeId("eu", "pay"))!;
    // shop/api → pay/gateway 8443 goes and shop/api → pay/db 5432 comes, next to shop/web → pay/db 5432: as many pairs, one port less.
    expect(e).toMatchObject({ change: "removed", portsRemoved: ["8443/TCP"], aggregate: { paths: 2, added: 0, removed: 0 } });
    expect(agg.paths.map((p) => `${p.change} ${p.label}`)).toEqual(["removed shop → pay 8443/TCP"]);
    // Opening the namespace shows the change pair by pair.
    expect(
      openIsland(agg, namespaceNodeId("eu", "shop"), [namespaceNodeId("eu", "pay")], NOW)!.paths.map((p) => `${p.change} ${p.label}`),
    ).toEqual(["added shop/api → pay/db 5432/TCP", "removed shop/api → pay/gateway 8443/TCP"]);
  });

  it("explains a namespace edge by a named sample pair per port, and a workload from its namespace's island", () => {
    const id = agg.data.edges.find((x) => x.source === namespaceNodeId("eu", "shop") && x.target === namespaceNodeId("eu", "pay"))!.id;
    const r = edgeRationale(graphFor(agg, id, NOW), id, NOW)!;
    // Per port, a pair allowed there (the proposal's where it allows the port, else the release's).
    expect(r.aggregate?.samples).toEqual([
      { port: "5432/TCP", source: "shop/web", target: "pay/db" },
      { port: "8443/TCP", source: "shop/api", target: "pay/gateway" },
    ]);
    expect(r.ports.find((p) => p.port === "5432/TCP")?.proposed?.verdict).toBe("allow");
    const api = W("shop", "api");
    const d = nodeDetails(graphFor(agg, api, NOW), api)!;
    expect(d.policies.map((p) => p.name)).toContain("shop-api");
    expect(d.outbound.map((p) => p.peer.label)).toEqual(expect.arrayContaining(["pay"]));
  });

  it("computes an overlay from the release graph's states exactly as afresh (the service reuses the cached release)", () => {
    const release = computeGraph({ clusters: [cluster], release: RELEASE, time: NOW, platformDefault: PLATFORM_DEFAULT_ALL, limits });
    const reused = computeGraph({
      clusters: [cluster],
      release: RELEASE,
      proposal: PROPOSAL,
      time: NOW,
      platformDefault: PLATFORM_DEFAULT_ALL,
      limits,
      base: release.base,
    });
    expect(reused.data).toEqual(agg.data);
    expect(reused.paths).toEqual(agg.paths);
  });

  it("refuses to draw a namespace past the limit, saying how many workloads and what to do instead", () => {
    const tight = computeGraph({
      clusters: [cluster],
      release: RELEASE,
      time: NOW,
      platformDefault: PLATFORM_DEFAULT_ALL,
      limits: { ...limits, islandWorkloads: 1 },
    });
    expect(() => openIsland(tight, namespaceNodeId("eu", "shop"), [], NOW)).toThrow(
      new TooLarge(
        "shop: 2 workloads, too many to draw (at most 1); list its paths with `policyplane reachability --group-by workload --output jsonl` instead.",
      ),
    );
    expect(openIsland(tight, namespaceNodeId("eu", "kube-system"), [], NOW)?.data.nodes.map((n) => n.id)).toContain(
      workloadNodeId("eu", "kube-system", "Deployment", "coredns"),
    );
  });
});
