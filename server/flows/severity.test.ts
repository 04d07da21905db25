import { describe, expect, it } from "vitest";
import { CriticalityIndex, severityOf } from "./severity";

const constraint = { layer: "constraint", reason: "pci" };
const admin = { layer: "admin", tier: "global", reason: "deny" };
const ns = { layer: "namespace", reason: "no rule allows" };
const baseline = { layer: "default", reason: "secure by default" };

describe("severity of an observed flow", () => {
  it("is the layer's weight when the destination has no criticality: constraint critical, admin high, namespace medium, default low", () => {
    expect(severityOf("violation", null, constraint)).toBe("critical");
    expect(severityOf("violation", null, admin)).toBe("high");
    expect(severityOf("violation", null, ns)).toBe("medium");
    expect(severityOf("violation", null, baseline)).toBe("low");
    expect(severityOf("violation", null, null)).toBe("low");
  });

  it("rises to the destination's criticality, never falls below the layer's weight", () => {
    expect(severityOf("violation", "critical", baseline)).toBe("critical");
    expect(severityOf("enforcement-gap", "high", ns)).toBe("high");
    expect(severityOf("violation", "low", admin)).toBe("high");
  });

  it("rates a near-miss low and gives an allowed flow none", () => {
    expect(severityOf("near-miss", "critical", constraint)).toBe("low");
    expect(severityOf("allowed", "critical", constraint)).toBeNull();
  });
});

describe("criticality of a destination", () => {
  const index = new CriticalityIndex(
    [
      { dnsName: "api.stripe.com", cidr: null, criticality: "critical" },
      { dnsName: "*.twilio.com", cidr: null, criticality: "high" },
      { dnsName: null, cidr: "10.20.0.0/16", criticality: "medium" },
    ],
    new Map([["payments", "critical"]]),
  );

  it("finds an external destination by DNS name, wildcard or CIDR", () => {
    expect(index.of("API.stripe.com.", null)).toBe("critical");
    expect(index.of("eu.api.twilio.com", null)).toBe("high");
    expect(index.of("twilio.com", null)).toBeNull();
    expect(index.of("10.20.3.4", null)).toBe("medium");
    expect(index.of("10.21.3.4", null)).toBeNull();
  });

  it("gives a pod its namespace's criticality, and none to a namespace without the label", () => {
    expect(index.of("payments/api", "payments")).toBe("critical");
    expect(index.of("checkout/web", "checkout")).toBeNull();
  });
});
