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
