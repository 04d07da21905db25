import { describe, expect, it } from "vitest";
import { observedDenialElements } from "./observed";
import type { GraphNode } from "./types";

const nodes: GraphNode[] = [
  { id: "n:eu/checkout", kind: "namespace", label: "checkout", cluster: "eu" },
  { id: "w:eu/checkout/Deployment/cart", kind: "workload", label: "cart", namespace: "checkout", cluster: "eu" },
  { id: "n:eu/payments", kind: "namespace", label: "payments", cluster: "eu", collapsed: true },
  { id: "x:api.stripe.com", kind: "external", label: "api.stripe.com" },
];

describe("observed denials on the graph", () => {
  it("draws one red edge per pair of shown ends, summing flows and listing ports", () => {
    const { elements, unplaced } = observedDenialElements(nodes, [
      { cluster: "eu", source: "checkout/cart", destination: "payments/ledger", port: 9090, protocol: "TCP", count: 2 },
      { cluster: "eu", source: "checkout/cart", destination: "payments/payments-db", port: 5432, protocol: "TCP", count: 3 },
      { cluster: "eu", source: "checkout/cart", destination: "API.stripe.com", port: 443, protocol: "TCP", count: 1 },
    ]);
    expect(unplaced).toBe(0);
    expect(elements).toEqual([
      {
        group: "edges",
        data: {
          id: "deny:w:eu/checkout/Deployment/cart->n:eu/payments",
          source: "w:eu/checkout/Deployment/cart",
          target: "n:eu/payments",
          label: "5 denied · 5432/TCP, 9090/TCP",
          layers: "observed",
        },
        classes: "observed-denial",
      },
      expect.objectContaining({ data: expect.objectContaining({ target: "x:api.stripe.com", label: "1 denied · 443/TCP" }) }),
    ]);
  });

  it("counts flows whose ends the view does not show (another cluster, an unknown namespace or address)", () => {
    const { elements, unplaced } = observedDenialElements(nodes, [
      { cluster: "us", source: "checkout/cart", destination: "payments/ledger", port: 1, protocol: "TCP", count: 4 },
      { cluster: "eu", source: "search/api", destination: "payments/ledger", port: 1, protocol: "TCP", count: 2 },
      { cluster: "eu", source: "checkout/cart", destination: "10.1.2.3", port: 1, protocol: "TCP", count: 1 },
    ]);
    expect(elements).toEqual([]);
    expect(unplaced).toBe(7);
  });
});
