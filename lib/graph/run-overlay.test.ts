import { describe, expect, it } from "vitest";
import { runOverlayElements, type RunOverlayPath } from "./run-overlay";
import type { GraphNode } from "./types";

const nodes: GraphNode[] = [
  { id: "w:eu/payments/Deployment/ledger", kind: "workload", label: "ledger", namespace: "payments", cluster: "eu" },
  { id: "w:eu/payments/Deployment/payments-db", kind: "workload", label: "payments-db", namespace: "payments", cluster: "eu" },
  { id: "w:eu/payments/Deployment/psp-adapter", kind: "workload", label: "psp-adapter", namespace: "payments", cluster: "eu" },
  { id: "n:eu/checkout", kind: "namespace", label: "checkout", cluster: "eu", collapsed: true },
];
const path = (src: string, change: RunOverlayPath["change"], flows: number, port = 5432, cluster = "eu"): RunOverlayPath => ({
  cluster,
  src,
  dst: "payments/payments-db",
  port,
  protocol: "TCP",
  change,
  flows,
});

describe("a replay run's changed paths on the graph", () => {
  it("draws newly denied paths red and newly allowed ones green, one edge per pair of shown ends per change", () => {
    const overlay = runOverlayElements(nodes, [
      path("payments/ledger", "newly-denied", 2),
      path("payments/ledger", "newly-denied", 3, 9187),
      path("payments/psp-adapter", "newly-allowed", 1),
      // Two checkout workloads land on their collapsed namespace: one edge, flows summed.
      path("checkout/cart", "newly-allowed", 4),
      path("checkout/checkout-api", "newly-allowed", 5),
    ]);
    expect(overlay.elements).toEqual([
      {
        group: "edges",
        data: {
          id: "newly-denied:w:eu/payments/Deployment/ledger->w:eu/payments/Deployment/payments-db",
          source: "w:eu/payments/Deployment/ledger",
          target: "w:eu/payments/Deployment/payments-db",
          label: "5 newly denied · 5432/TCP, 9187/TCP",
          layers: "replay",
        },
        classes: "run-denied",
      },
      {
        group: "edges",
        data: {
          id: "newly-allowed:n:eu/checkout->w:eu/payments/Deployment/payments-db",
          source: "n:eu/checkout",
          target: "w:eu/payments/Deployment/payments-db",
          label: "9 newly allowed · 5432/TCP",
          layers: "replay",
        },
        classes: "run-allowed",
      },
      expect.objectContaining({
        data: expect.objectContaining({ source: "w:eu/payments/Deployment/psp-adapter", label: "1 newly allowed · 5432/TCP" }),
        classes: "run-allowed",
      }),
    ]);
    expect(overlay.counts).toEqual({ "newly-denied": { edges: 1, unplaced: 0 }, "newly-allowed": { edges: 2, unplaced: 0 } });
  });

  it("counts the flows of paths whose ends the view does not show, per change, and draws nothing for them", () => {
    const overlay = runOverlayElements(nodes, [
      path("payments/ledger", "newly-denied", 7, 5432, "us"),
      path("search/api", "newly-allowed", 2),
      path("10.0.0.9", "newly-allowed", 1),
    ]);
    expect(overlay.elements).toEqual([]);
    expect(overlay.counts).toEqual({ "newly-denied": { edges: 0, unplaced: 7 }, "newly-allowed": { edges: 0, unplaced: 3 } });
  });
});
