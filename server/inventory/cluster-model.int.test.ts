import { describe, expect, it } from "vitest";
import { testDatabaseKind } from "@/db/testing";
import { useSeededDatabase } from "@/server/testing/database";
import { NotFound } from "@/server/errors";
import { computeReachability, createEvaluator, emptyPolicySet } from "@/server/policy";
import { loadClusterModel } from "./cluster-model";

describe(`cluster model from the inventory on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();

  it("materialises one pod per known IP, with the workload's labels and named ports", async () => {
    const { model, region } = await loadClusterModel(database().db, "prod-eu-1");
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
    const { model } = await loadClusterModel(database().db, "staging-eu-1");
    const evaluator = createEvaluator(model, emptyPolicySet());
    const decision = evaluator.decide({ src: { kind: "pod", namespace: "checkout", name: model.pods.find((p) => p.workload?.name === "checkout-web")!.name }, dst: { kind: "ip", ip: model.pods.find((p) => p.workload?.name === "cart")!.ips[0]! }, port: 8080, protocol: "TCP" });
    expect(decision.ok && decision.value.verdict).toBe("allow");
    const graph = computeReachability(evaluator, { rationale: false });
    expect(graph.nodes.filter((n) => n.kind === "workload").length).toBe(model.workloads.length);
  });

  it("says which cluster does not exist", async () => {
    await expect(loadClusterModel(database().db, "prod-mars-1")).rejects.toThrow(NotFound);
  });
});
