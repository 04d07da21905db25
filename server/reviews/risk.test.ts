import { describe, expect, it } from "vitest";
import { tierRisk } from "./risk";

const policy = (tier: string) => ({ kind: "Policy" as const, tier, loosensConstraint: false });

describe("tierRisk", () => {
  it("rates namespace-only changes low, platform tiers or large changes medium, admin tiers and constraints high", () => {
    expect(tierRisk([policy("namespace")])).toEqual({ level: "low", reasons: ["namespace policies only"] });
    expect(tierRisk([policy("namespace"), policy("cluster")])).toEqual({ level: "medium", reasons: ["touches the cluster tier"] });
    expect(tierRisk(Array.from({ length: 21 }, () => policy("namespace")))).toEqual({ level: "medium", reasons: ["21 policies at once"] });
    expect(tierRisk([policy("global"), policy("regional")])).toEqual({ level: "high", reasons: ["touches the global and regional tiers"] });
    expect(tierRisk([{ kind: "ComplianceConstraint", tier: "global", loosensConstraint: true }])).toEqual({
      level: "high",
      reasons: ["loosens a compliance constraint"],
    });
  });
});
