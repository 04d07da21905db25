// A release's hash covers its policy set and the platform default its clusters compile it with.
import { describe, expect, it } from "vitest";
import { PLATFORM_DEFAULT_ALL, PLATFORM_DEFAULT_OFF } from "@/server/policy/model";
import { policySetHash, type SnapshotEntry } from "./snapshot";

const entries: SnapshotEntry[] = [
  { policyId: "a", name: "api", kind: "Policy", tier: "namespace", tenantId: null, version: 2, contentHash: "h-api-2" },
  { policyId: "b", name: "guard", kind: "ComplianceConstraint", tier: "global", tenantId: null, version: 1, contentHash: "h-guard-1" },
];

describe("policySetHash", () => {
  it("tells apart two releases that differ only by the platform default, and only by which namespaces it leaves out", () => {
    const on = policySetHash(entries, PLATFORM_DEFAULT_ALL);
    expect(policySetHash(entries, PLATFORM_DEFAULT_OFF)).not.toBe(on);
    expect(policySetHash(entries, { enabled: true, excludeNamespaces: ["kube-system"] })).not.toBe(on);
  });

  it("hashes the same release alike, whatever order the excluded namespaces come in", () => {
    const a = policySetHash(entries, { enabled: true, excludeNamespaces: ["kube-system", "monitoring"] });
    expect(policySetHash([...entries], { enabled: true, excludeNamespaces: ["monitoring", "kube-system"] })).toBe(a);
    expect(
      policySetHash([{ ...entries[0]!, version: 3, contentHash: "h-api-3" }, entries[1]!], {
        enabled: true,
        excludeNamespaces: ["kube-system", "monitoring"],
      }),
    ).not.toBe(a);
  });
});
