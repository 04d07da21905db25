import { describe, expect, it } from "vitest";
import type { Approver } from "./rules";
import { unsatisfiableReason } from "./rules";

const person = (id: string, ...grants: [fn: "security" | "networking" | "platform" | "application", tenantId?: string][]): Approver => ({
  id,
  label: id,
  grants: grants.map(([committeeFunction, tenantId = null]) => ({ role: "approver" as const, committeeFunction, tenantId })),
});
const TENANTS = [
  { id: "t-pay", name: "payments" },
  { id: "t-shop", name: "checkout" },
];
const PEOPLE = [person("sam", ["security"]), person("nina", ["networking"]), person("dana", ["application", "t-pay"])];

describe("unsatisfiableReason: an approval rule no one can ever satisfy", () => {
  it("accepts the default namespace rule when one tenant has its committee member", () => {
    const rule = {
      match: { tiers: ["namespace" as const], kinds: ["Policy" as const] },
      requirements: [
        { function: "application" as const, count: 1, scope: "owning-tenant" as const },
        { function: "security" as const, count: 1, scope: "organisation" as const },
      ],
    };
    expect(unsatisfiableReason(rule, PEOPLE, TENANTS)).toBeNull();
  });

  it("refuses more approvers of a function than people hold it, naming who does", () => {
    const rule = {
      match: { tiers: ["global" as const] },
      requirements: [{ function: "networking" as const, count: 3, scope: "organisation" as const }],
    };
    expect(unsatisfiableReason(rule, PEOPLE, TENANTS)).toBe(
      "It needs 3 × networking, but only 1 person holds that organisation-wide committee function (nina).",
    );
  });

  it("counts one person once even when they hold every function the rule asks for", () => {
    const both = [person("pat", ["security"], ["networking"])];
    const rule = {
      match: { tiers: ["cluster" as const] },
      requirements: [
        { function: "security" as const, count: 1, scope: "organisation" as const },
        { function: "networking" as const, count: 1, scope: "organisation" as const },
      ],
    };
    expect(unsatisfiableReason(rule, both, TENANTS)).toMatch(/needs 2 distinct people, but .* fill only 1 of its slots at once/);
    expect(unsatisfiableReason(rule, [...both, person("sam", ["security"])], TENANTS)).toBeNull();
  });

  it("does not let a tenant-scoped approver count organisation-wide, nor a viewer or author count at all", () => {
    const rule = {
      match: { tiers: ["global" as const] },
      requirements: [{ function: "application" as const, count: 1, scope: "organisation" as const }],
    };
    expect(unsatisfiableReason(rule, PEOPLE, TENANTS)).toMatch(/only 0 people hold that organisation-wide committee function\.$/);
    const author: Approver = { id: "a", label: "a", grants: [{ role: "author", committeeFunction: "security", tenantId: null }] };
    const sec = {
      match: { tiers: ["global" as const] },
      requirements: [{ function: "security" as const, count: 1, scope: "organisation" as const }],
    };
    expect(unsatisfiableReason(sec, [author], TENANTS)).toMatch(/only 0 people/);
  });

  it("refuses a rule that matches no change, or asks for nothing", () => {
    const requirements = [{ function: "security" as const, count: 1, scope: "organisation" as const }];
    expect(unsatisfiableReason({ match: {}, requirements }, PEOPLE, TENANTS)).toMatch(/matches no change/);
    expect(
      unsatisfiableReason({ match: { tiers: ["namespace"], kinds: ["ComplianceConstraint"] }, requirements }, PEOPLE, TENANTS),
    ).toMatch(/matches no change/);
    expect(unsatisfiableReason({ match: { tiers: ["global"] }, requirements: [] }, PEOPLE, TENANTS)).toMatch(/asks for no approval/);
  });

  it("meets an owning-tenant requirement through an organisation-wide approver of that function", () => {
    const rule = {
      match: { tiers: ["namespace" as const] },
      requirements: [{ function: "application" as const, count: 2, scope: "owning-tenant" as const }],
    };
    expect(unsatisfiableReason(rule, PEOPLE, TENANTS)).toMatch(/best case: a change of tenant payments.*only 1 person/);
    expect(unsatisfiableReason(rule, [...PEOPLE, person("olga", ["application"])], TENANTS)).toBeNull();
  });
});
