import { describe, expect, it } from "vitest";
import { draftPolicyUrl, exceptionRequestUrl, graphFocusUrl, readViolationsUrl, violationsUrl, type ViolationsUrlState } from "./url-state";

describe("the violations dashboard's URL", () => {
  it("round-trips filters and a selected path, leaving defaults out", () => {
    const state: ViolationsUrlState = {
      range: "7d",
      cluster: "prod-eu-1",
      tenant: "payments",
      severity: "critical",
      path: { flowClass: "violation", cluster: "prod-eu-1", source: "checkout/cart", destination: "fe80::1", port: 5432, protocol: "TCP" },
    };
    const url = violationsUrl(state);
    expect(readViolationsUrl(new URL(url, "http://x").searchParams)).toEqual(state);
    expect(violationsUrl({ range: "24h", cluster: null, tenant: null, severity: null, path: null })).toBe("/violations");
  });

  it("ignores a range or a path it cannot read", () => {
    const read = readViolationsUrl(new URLSearchParams({ range: "2y", severity: "dire", path: '["violation","c","a","b",70000,"TCP"]' }));
    expect(read).toEqual({ range: "24h", cluster: null, tenant: null, severity: null, path: null });
    expect(readViolationsUrl(new URLSearchParams({ path: "{not json" })).path).toBeNull();
    expect(readViolationsUrl(new URLSearchParams({ path: '["other","c","a","b",80,"TCP"]' })).path).toBeNull();
  });

  it("links a workload path to the prefilled policy editor, and always to the graph", () => {
    expect(draftPolicyUrl({ source: "checkout/cart", destination: "payments/payments-db" })).toBe(
      "/policies/new?from=checkout%2Fcart&to=payments%2Fpayments-db",
    );
    expect(draftPolicyUrl({ source: "checkout/cart", destination: "api.stripe.com" })).toBe(
      "/policies/new?from=checkout%2Fcart&to=dns%3Aapi.stripe.com",
    );
    // An address is no policy peer the editor can prefill: the source alone.
    expect(draftPolicyUrl({ source: "checkout/cart", destination: "10.0.0.1" })).toBe("/policies/new?from=checkout%2Fcart");
    expect(draftPolicyUrl({ source: "10.0.0.1", destination: "checkout/cart" })).toBeNull();
    expect(graphFocusUrl({ cluster: "prod-eu-1", source: "checkout/cart" })).toBe(
      "/graph?cluster=prod-eu-1&focus=checkout%2Fcart&denials=24h",
    );
  });

  it("links a denied path to the exception form, an address as a /32", () => {
    expect(exceptionRequestUrl({ source: "checkout/cart", destination: "payments/ledger" })).toBe(
      "/exceptions?from=checkout%2Fcart&to=payments%2Fledger",
    );
    expect(exceptionRequestUrl({ source: "checkout/cart", destination: "api.stripe.com" })).toBe(
      "/exceptions?from=checkout%2Fcart&to=dns%3Aapi.stripe.com",
    );
    expect(exceptionRequestUrl({ source: "checkout/cart", destination: "10.0.0.1" })).toBe(
      "/exceptions?from=checkout%2Fcart&to=cidr%3A10.0.0.1%2F32",
    );
    expect(exceptionRequestUrl({ source: "10.0.0.1", destination: "checkout/cart" })).toBeNull();
    expect(exceptionRequestUrl({ source: "checkout/cart", destination: "reserved:host" })).toBeNull();
  });
});
