// The review queue's first risk of a change: the part of the change page's impact risk
// (server/changes/impact.ts) that its edits alone decide (tiers touched, constraints loosened or
// tightened), with the same levels and words. The impact's risk always includes these reasons, so
// it is never lower; the queue page replaces this one with the impact's (the change page's query)
// as soon as the engine answers. Computing every impact here would hold the queue for seconds.
import { editRiskReasons, riskOf, type RiskEdit, type RiskLevel } from "@/server/changes/impact";

export interface QueueRisk {
  level: RiskLevel;
  reasons: string[];
  /** "edits": the impact's lower bound, from the edits alone (the page then asks for the impact). */
  basis: "edits";
}

export function queueRisk(edits: readonly RiskEdit[]): QueueRisk {
  const risk = riskOf(editRiskReasons(edits));
  return { level: risk.level, reasons: risk.reasons.map((r) => r.text), basis: "edits" };
}
