// The graph service over a large, mostly open cluster (issue 9 §3): the default
// view is computed at namespace level without one workload-level edge, and an
// opened namespace's workload edges agree with the engine's decisions.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "@/db/client";
import * as t from "@/db/schema";
import { openTestDatabase, testDatabaseKind } from "@/db/testing";
import { contentHash } from "@/server/lib/canonical";
import { demoActor } from "@/server/testing/actors";
import { insertPasswordUser } from "@/server/users/credentials";
import { openClusterDocuments, openClusterLayout } from "@/bench/lib/graph-open-cluster";
import { aggregateEdgeId, edgeId, namespaceNodeId, workloadNodeId } from "@/lib/graph/ids";
import { graphEdge, graphGroup, graphNode, graphView, loadGraph } from "./service";

const ADMIN = { name: "Scale Admin", email: "scale.admin@example.com", password: "a-good-password" };
const CLUSTER = "open-1";
const RELEASE = { kind: "release" } as const;
// 2,000 single-pod workloads in 200 namespaces of 20 tenants (tenant tK holds ns-K, ns-K+20, …).
const layout = openClusterLayout(200, 20);
const ns = (name: string) => namespaceNodeId(CLUSTER, name);
const wl = (namespace: string, name: string) => workloadNodeId(CLUSTER, namespace, "Deployment", name);

describe(`graph of a large, mostly open cluster on ${testDatabaseKind()}`, () => {
  // Its own organisation, without the demo's (whose default-deny baseline would close this cluster).
  let handle: DatabaseHandle | undefined;
  const database = () => handle!;
  const viewer = async () => ({ db: database().db, actor: await demoActor(database().db, ADMIN.email), requestId: "scale-test" });
  afterAll(async () => {
    await handle?.close();
  });

  beforeAll(async () => {
    handle = await openTestDatabase();
    await database().db.transaction(async (q) => {
      const userId = await insertPasswordUser(q, ADMIN);
      await q.insert(t.memberships).values({ userId, tenantId: null, role: "admin" });
      const [cluster] = await q
        .insert(t.clusters)
        .values({ name: CLUSTER, region: "eu-west", environment: "production", labels: {} })
        .returning();
      for (const n of layout) {
        const [row] = await q
          .insert(t.namespaces)
          .values({
            clusterId: cluster!.id,
            tenantId: null,
            name: n.name,
            labels: { "kubernetes.io/metadata.name": n.name, tenant: n.tenant },
          })
          .returning();
        await q.insert(t.workloads).values(
          n.pods.map((p) => ({
            namespaceId: row!.id,
            name: p.name,
            kind: "Deployment",
            labels: { app: p.app },
            ports: [p.port],
            ips: [p.ip],
            replicas: 1,
          })),
        );
      }
      for (const { document } of openClusterDocuments(CLUSTER, layout)) {
        if (document.kind !== "Policy") throw new Error(`the open cluster is made of policies, not ${document.kind}`);
        const tier = document.spec.tier;
        const [policy] = await q
          .insert(t.policies)
          .values({
            kind: "Policy",
            name: document.metadata.name,
            tier,
            tenantId: null,
            owner: "platform",
            releasedVersion: 1,
            latestVersion: 1,
          })
          .returning();
        await q.insert(t.policyVersions).values({
          policyId: policy!.id,
          version: 1,
          document,
          contentHash: contentHash(document),
          authorId: null,
          authorLabel: "test",
          message: "large open cluster",
        });
      }
    });
  });

  it("shows namespaces and tenants as islands without building one workload-level edge, with every pair counted", async () => {
    const v = await viewer();
    const view = await graphView({ ctx: v, input: { cluster: CLUSTER } });
    expect(view.onDemand).toBe(true);
    expect(view.stats.workloads).toBe(2000);
    expect(view.nodes.filter((n) => n.kind === "workload")).toEqual([]);
    expect(view.collapsed).toEqual(expect.arrayContaining(layout.map((n) => ns(n.name))));

    const { graph } = await loadGraph(v.db, CLUSTER, RELEASE, v.actor);
    const [state] = graph.base;
    expect(state!.aggregated).toBe(true);
    // What was materialised: at most one edge per pair of namespaces and external destinations, none at workload level.
    const ends = graph.data.nodes.filter((n) => n.kind === "namespace" || n.kind === "external").length;
    expect(state!.data.edges.length).toBeLessThanOrEqual(ends * ends);
    expect(state!.data.edges.filter((e) => e.source.startsWith("w:") || e.target.startsWith("w:"))).toEqual([]);
    // Mostly open: over a million workload pairs behind them.
    expect(view.stats.paths).toBeGreaterThan(1_000_000);
    expect(view.stats.paths).toBe(state!.data.edges.reduce((s, e) => s + e.aggregate!.paths, 0));
  });

  it("opens one namespace into its workloads' edges, which agree with the engine's decisions and with the namespace counts", async () => {
    const v = await viewer();
    const island = await graphGroup({ ctx: v, input: { cluster: CLUSTER, group: ns("ns-7") } });
    const inside = layout.find((n) => n.name === "ns-7")!;
    expect(
      island.nodes
        .filter((n) => n.kind === "workload")
        .map((n) => n.label)
        .sort(),
    ).toEqual(inside.pods.map((p) => p.name).sort());
    const edges = new Map(island.edges.map((e) => [e.id, e]));
    const { graph } = await loadGraph(v.db, CLUSTER, RELEASE, v.actor);
    const ev = graph.base[0]!.evaluator;
    const podOf = (namespace: string, workload: string) =>
      ev.podEntries.find((p) => p.pod.namespace === namespace && p.pod.workload?.name === workload)!.pod.name;
    const allowed = (from: [string, string], to: [string, string], port: number) => {
      const d = ev.decide({
        src: { kind: "pod", namespace: from[0], name: podOf(...from) },
        dst: { kind: "pod", namespace: to[0], name: podOf(...to) },
        port,
        protocol: "TCP",
      });
      if (!d.ok) throw new Error(d.error.message);
      return d.value.verdict === "allow";
    };
    // Every ordered pair inside the namespace, on the destination's port: an edge exactly when the engine allows it.
    let detailed = 0;
    for (const a of inside.pods)
      for (const b of inside.pods) {
        const edge = edges.get(edgeId(wl("ns-7", a.name), wl("ns-7", b.name)));
        if (edge) detailed++;
        expect(Boolean(edge?.ports.includes(`${b.port.port}/TCP`)), `${a.name} → ${b.name}`).toBe(
          allowed(["ns-7", a.name], ["ns-7", b.name], b.port.port),
        );
      }
    const aggregated = graph.data.edges.find((e) => e.id === aggregateEdgeId(ns("ns-7"), ns("ns-7")))!;
    expect(aggregated.aggregate!.paths).toBe(detailed);
    // Across namespaces the paths are folded to the other namespace: api takes 8443 from its own tenant only.
    expect(edges.get(aggregateEdgeId(ns("ns-27"), wl("ns-7", "api-0")))?.aggregate?.paths).toBe(10);
    expect(allowed(["ns-27", "frontend-0"], ["ns-7", "api-0"], 8443)).toBe(true);
    expect(edges.has(aggregateEdgeId(ns("ns-8"), wl("ns-7", "api-0")))).toBe(false);
    expect(allowed(["ns-8", "frontend-0"], ["ns-7", "api-0"], 8443)).toBe(false);
    const folded = island.edges
      .filter((e) => e.target === ns("ns-8") && e.source.startsWith("w:"))
      .reduce((s, e) => s + e.aggregate!.paths, 0);
    expect(folded).toBe(graph.data.edges.find((e) => e.id === aggregateEdgeId(ns("ns-7"), ns("ns-8")))!.aggregate!.paths);

    // Opened together with ns-27, the paths between them are workload to workload.
    const both = await graphGroup({ ctx: v, input: { cluster: CLUSTER, group: ns("ns-7"), open: [ns("ns-27")] } });
    expect(both.edges.find((e) => e.id === edgeId(wl("ns-27", "frontend-0"), wl("ns-7", "api-0")))?.ports).toEqual(["8443/TCP"]);
  });

  it("explains an aggregated path by a named sample pair and a workload of a closed namespace by its own policies", async () => {
    const v = await viewer();
    const r = await graphEdge({ ctx: v, input: { cluster: CLUSTER, edge: aggregateEdgeId(ns("ns-27"), ns("ns-7")) } });
    expect(r.aggregate!.paths).toBeGreaterThan(0);
    const api = r.ports.find((p) => p.port === "8443/TCP")!;
    expect(api.current?.verdict).toBe("allow");
    expect(r.aggregate!.samples.find((s) => s.port === "8443/TCP")).toEqual({
      port: "8443/TCP",
      source: expect.stringMatching(/^ns-27\//),
      target: "ns-7/api-0",
    });

    const node = await graphNode({ ctx: v, input: { cluster: CLUSTER, node: wl("ns-7", "db-0") } });
    expect(node.policies.map((p) => p.name)).toContain("ns-7-db-from-api");
    expect(node.inbound.map((p) => p.peer.label).sort()).toEqual(["ns-7/api-0", "ns-7/api-1", "ns-7/api-2"]);
  });
});
