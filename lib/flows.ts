// Vocabulary of observed flows (issue 17), shared by the server and the console.

/** What an observed flow means for the release in force. */
export const FLOW_CLASSES = ["violation", "near-miss", "enforcement-gap", "allowed"] as const;
export type FlowClass = (typeof FLOW_CLASSES)[number];

export const FLOW_CLASS_LABELS: Record<FlowClass, string> = {
  violation: "Violation",
  "near-miss": "Near-miss",
  "enforcement-gap": "Enforcement gap",
  allowed: "Allowed",
};

/** The violations dashboard's time ranges. */
export const DASHBOARD_RANGES = ["1h", "6h", "24h", "7d", "30d"] as const;
export type DashboardRange = (typeof DASHBOARD_RANGES)[number];

/**
 * How serious a denied flow is: the higher of its destination's criticality and
 * the weight of the layer that denied it (a compliance constraint is critical,
 * an admin tier high, a namespace policy medium, the baseline or platform default low).
 */
export const SEVERITIES = ["critical", "high", "medium", "low"] as const;
export type Severity = (typeof SEVERITIES)[number];

export const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

/** The alert rules' kinds (issue 17 item 7). */
export const ALERT_RULE_KINDS = ["threshold", "new-denied-path", "enforcement-gap"] as const;
export type AlertRuleKind = (typeof ALERT_RULE_KINDS)[number];
export const ALERT_RULE_KIND_LABELS: Record<AlertRuleKind, string> = {
  threshold: "More than N flows of a class to one destination in M minutes",
  "new-denied-path": "A denied path never seen before",
  "enforcement-gap": "An enforcement gap seen (the cluster forwarded what the release denies)",
};
