import { describe, expect, it } from "vitest";
import { cidr } from "./schema";

describe("CIDRs in Policyplane documents", () => {
  it("accepts what the evaluator can match", () => {
    for (const ok of ["10.0.0.0/8", "0.0.0.0/0", "169.254.169.254/32", "2001:db8::/32", "::/0"])
      expect(cidr.safeParse(ok).success, ok).toBe(true);
  });

  it("rejects addresses the evaluator would never match, instead of accepting a rule that does nothing", () => {
    for (const bad of ["10.0.0.0/33", "1:2/64", ":::/8", "010.0.0.1/8", "10.0.0.0", "10.0.0.0/8/8"]) {
      const result = cidr.safeParse(bad);
      expect(result.success, bad).toBe(false);
      expect(result.error?.issues[0]?.message).toContain("is not a CIDR");
    }
  });
});
