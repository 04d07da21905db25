// The review queue's risk of a change: the engine's impact risk, the one its change page shows
// (server/changes/impact.ts, through getChangeImpact), when it is known within the queue's time
// budget; otherwise the part of that same risk its edits alone decide (tiers, constraints), which
// the impact's risk never goes below. `basis` says which one the queue shows.
import { editRiskReasons, riskOf, type RiskEdit, type RiskLevel } from "@/server/changes/impact";
import type { RiskReason } from "@/server/changes/impact";

export interface QueueRisk {
  level: RiskLevel;
  reasons: string[];
  /** "impact": the change page's risk; "edits": its lower bound from the edits, while the impact is computed. */
  basis: "impact" | "edits";
}

export function queueRisk(edits: readonly RiskEdit[], impact: { level: RiskLevel; reasons: RiskReason[] } | null): QueueRisk {
  const risk = impact ?? riskOf(editRiskReasons(edits));
  return { level: risk.level, reasons: risk.reasons.map((r) => r.text), basis: impact ? "impact" : "edits" };
}
