import { describe, expect, it } from "vitest";
import type { AlertRuleRow } from "@/db/schema";
import { ruleCanBeAffected, type TouchedFlows } from "./on-ingest";

const violation: TouchedFlows = { cluster: "prod-eu-1", flowClass: "violation", severity: "high", destinationCriticality: "critical" };
const rule = (kind: AlertRuleRow["kind"], params: AlertRuleRow["params"]) => ({ kind, params });

describe("which alert rules a flow batch can affect", () => {
  it("matches a rule's class: threshold rules count violations unless they name another class", () => {
    expect(ruleCanBeAffected(rule("threshold", { windowMinutes: 5, threshold: 0 }), violation)).toBe(true);
    expect(ruleCanBeAffected(rule("threshold", { windowMinutes: 5, threshold: 0, flowClass: "near-miss" }), violation)).toBe(false);
    expect(ruleCanBeAffected(rule("new-denied-path", { windowMinutes: 5 }), violation)).toBe(true);
    expect(ruleCanBeAffected(rule("enforcement-gap", { windowMinutes: 5 }), violation)).toBe(false);
    expect(ruleCanBeAffected(rule("enforcement-gap", { windowMinutes: 5 }), { ...violation, flowClass: "enforcement-gap" })).toBe(true);
  });

  it("leaves out rules of another cluster, another destination criticality or a higher least severity", () => {
    expect(ruleCanBeAffected(rule("threshold", { windowMinutes: 5, threshold: 0, cluster: "prod-us-1" }), violation)).toBe(false);
    expect(ruleCanBeAffected(rule("threshold", { windowMinutes: 5, threshold: 0, cluster: "prod-eu-1" }), violation)).toBe(true);
    expect(ruleCanBeAffected(rule("threshold", { windowMinutes: 5, threshold: 0, destinationCriticality: "high" }), violation)).toBe(false);
    expect(ruleCanBeAffected(rule("threshold", { windowMinutes: 5, threshold: 0, minSeverity: "critical" }), violation)).toBe(false);
    expect(ruleCanBeAffected(rule("threshold", { windowMinutes: 5, threshold: 0, minSeverity: "medium" }), violation)).toBe(true);
    expect(
      ruleCanBeAffected(rule("threshold", { windowMinutes: 5, threshold: 0, minSeverity: "low" }), { ...violation, severity: null }),
    ).toBe(false);
  });
});
