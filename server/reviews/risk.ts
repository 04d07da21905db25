// A first, cheap risk level of a change from what it edits (tiers, kinds, loosening), for the
// review queue. The engine's impact (paths opened to critical services or to world) refines it
// where it exists; this one needs no evaluation and never says less than the tiers imply.
import type { PolicyEdit } from "@/server/workflow/rules";

export type RiskLevel = "low" | "medium" | "high";

export function tierRisk(edits: readonly Pick<PolicyEdit, "kind" | "tier" | "loosensConstraint">[]): {
  level: RiskLevel;
  reasons: string[];
} {
  const reasons: string[] = [];
  if (edits.some((e) => e.loosensConstraint)) reasons.push("loosens a compliance constraint");
  else if (edits.some((e) => e.kind === "ComplianceConstraint")) reasons.push("edits a compliance constraint");
  const admin = [...new Set(edits.filter((e) => e.kind === "Policy" && (e.tier === "global" || e.tier === "regional")).map((e) => e.tier))];
  if (admin.length) reasons.push(`touches the ${admin.join(" and ")} tier${admin.length > 1 ? "s" : ""}`);
  if (reasons.length) return { level: "high", reasons };
  const platform = [...new Set(edits.filter((e) => e.tier === "cluster" || e.tier === "baseline").map((e) => e.tier))];
  if (platform.length) reasons.push(`touches the ${platform.join(" and ")} tier${platform.length > 1 ? "s" : ""}`);
  if (edits.length > 20) reasons.push(`${edits.length} policies at once`);
  if (reasons.length) return { level: "medium", reasons };
  return { level: "low", reasons: ["namespace policies only"] };
}
