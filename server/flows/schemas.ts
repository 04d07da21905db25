// Inputs of the violations dashboard (issue 17).
import { z } from "zod";
import { DASHBOARD_RANGES, FLOW_CLASSES, SEVERITIES } from "@/lib/flows";

export { DASHBOARD_RANGES, type DashboardRange } from "@/lib/flows";

const name = z.string().trim().min(1).max(253);

export const violationsDashboardInput = z.object({
  range: z.enum(DASHBOARD_RANGES).default("24h"),
  cluster: name.optional(),
  /** A tenant's name: flows from or to its namespaces. */
  tenant: name.optional(),
  /** Only flows of this severity (the destination's criticality against the layer that denied). */
  severity: z.enum(SEVERITIES).optional(),
});
export type ViolationsDashboardInput = z.input<typeof violationsDashboardInput>;

export const flowPathInput = z.object({
  range: z.enum(DASHBOARD_RANGES).default("24h"),
  cluster: name,
  source: name,
  destination: name,
  port: z.number().int().min(1).max(65535),
  protocol: z.enum(["TCP", "UDP", "SCTP"]),
  flowClass: z.enum(FLOW_CLASSES),
});
export type FlowPathInput = z.input<typeof flowPathInput>;

export const observedDenialsInput = z.object({
  /** The graph's cluster ("all": every cluster). */
  cluster: name,
  range: z.enum(DASHBOARD_RANGES).default("24h"),
});
export type ObservedDenialsInput = z.input<typeof observedDenialsInput>;
