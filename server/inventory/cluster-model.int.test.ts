import { describe, expect, it } from "vitest";
import { testDatabaseKind } from "@/db/testing";
import { useSeededDatabase } from "@/server/testing/database";
import { NotFound } from "@/server/errors";
import { computeReachability, createEvaluator, emptyPolicySet } from "@/server/policy";
import type { Queryable } from "@/db/client";
import { loadClusterModels } from "./cluster-model";

const loadOne = async (db: Queryable, name: string) => (await loadClusterModels(db, [name]))[0]!;

describe(`cluster model from the inventory on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();

  it("materialises one pod per known IP, with the workload's labels and named ports", async () => {
    const { model, region } = await loadOne(database().db, "prod-eu-1");
    expect(region).toBe("eu-west");
    const ledger = model.pods.filter((p) => p.namespace === "payments" && p.workload?.name === "ledger");
    expect(ledger).toHaveLength(3);
    expect(new Set(ledger.flatMap((p) => p.ips)).size).toBe(3);
    expect(ledger[0]!.ports).toContainEqual({ name: "grpc", port: 9090, protocol: "TCP" });
    expect(model.namespaces.find((n) => n.name === "payments")?.labels).toMatchObject({ tenant: "payments", pci: "true" });
    expect(model.pods.find((p) => p.workload?.name === "coredns")?.labels).toMatchObject({ "k8s-app": "kube-dns" });
    expect(model.externals).toContainEqual({ kind: "dns", name: "api.stripe.com" });
  });

  it("feeds the engine: with no policies every workload reaches every other", async () => {
    const { model } = await loadOne(database().db, "staging-eu-1");
    const evaluator = createEvaluator(model, emptyPolicySet());
    const decision = evaluator.decide({
      src: { kind: "pod", namespace: "checkout", name: model.pods.find((p) => p.workload?.name === "checkout-web")!.name },
      dst: { kind: "ip", ip: model.pods.find((p) => p.workload?.name === "cart")!.ips[0]! },
      port: 8080,
      protocol: "TCP",
    });
    expect(decision.ok && decision.value.verdict).toBe("allow");
    const graph = computeReachability(evaluator, { rationale: false });
    expect(graph.nodes.filter((n) => n.kind === "workload").length).toBe(model.workloads.length);
  });

  it("says which cluster does not exist", async () => {
    await expect(loadOne(database().db, "prod-mars-1")).rejects.toThrow(NotFound);
    await expect(loadClusterModels(database().db, ["prod-eu-1", "prod-mars-1", "prod-venus-1"])).rejects.toThrow(
      'No cluster named "prod-mars-1", "prod-venus-1".',
    );
  });

  it("loads every cluster (or the ones named) in name order, each as the single-cluster loader does", async () => {
    const db = database().db;
    const all = await loadClusterModels(db);
    expect(all.map((c) => c.name)).toEqual(["prod-eu-1", "prod-us-1", "staging-eu-1"]);
    for (const c of all) expect(c).toEqual(await loadOne(db, c.name));
    // Every cluster's own inventory, nothing of the others'.
    const counts = all.map((c) => c.model.workloads.length);
    expect(counts.every((n) => n > 0)).toBe(true);
    expect(new Set(all.map((c) => c.model.pods[0]!.ips[0])).size).toBe(all.length);
    expect((await loadClusterModels(db, ["staging-eu-1", "prod-eu-1"])).map((c) => c.name)).toEqual(["prod-eu-1", "staging-eu-1"]);
    expect(await loadClusterModels(db, [])).toEqual([]);
  });

  it("reads all clusters in as many queries as one cluster", async () => {
    const db = database().db;
    let selects = 0;
    const counting = new Proxy(db, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (prop !== "select" || typeof value !== "function") return value;
        return (...args: unknown[]) => {
          selects++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    }) as Queryable;
    await loadClusterModels(counting, ["prod-eu-1"]);
    const forOne = selects;
    selects = 0;
    await loadClusterModels(counting);
    expect(selects).toBe(forOne);
    expect(forOne).toBe(5);
  });
});
