import { describe, expect, it } from "vitest";
import { queueRisk } from "./risk";

const policy = (tier: string, name = `p-${tier}`) => ({ policy: name, kind: "Policy" as const, tier, loosensConstraint: false });
const constraint = (name: string, loosensConstraint: boolean) => ({
  policy: name,
  kind: "ComplianceConstraint" as const,
  tier: "global",
  loosensConstraint,
});

describe("queueRisk", () => {
  it("rates a change from its edits as the impact does: namespace low, platform tiers medium, admin tiers high, a loosened constraint critical", () => {
    expect(queueRisk([policy("namespace")])).toEqual({
      level: "low",
      reasons: ["touches the namespace tier (p-namespace)"],
      basis: "edits",
    });
    expect(queueRisk([policy("namespace"), policy("cluster")])).toMatchObject({
      level: "medium",
      reasons: ["touches the cluster tier (p-cluster)", "touches the namespace tier (p-namespace)"],
    });
    expect(queueRisk([policy("global", "a"), policy("regional", "b")])).toMatchObject({
      level: "high",
      reasons: ["touches the global tier (a)", "touches the regional tier (b)"],
    });
    expect(queueRisk([constraint("pci", true)])).toMatchObject({ level: "critical", reasons: ["loosens compliance constraint pci"] });
    expect(queueRisk([constraint("pci", false)])).toMatchObject({
      level: "medium",
      reasons: ["adds or tightens compliance constraint pci"],
    });
  });
});
