// The violations dashboard's view as a URL (pure): time range, cluster, tenant,
// severity and the path drilled into live in /violations's query, so a reload or a shared
// link opens the same view.
import { DASHBOARD_RANGES, FLOW_CLASSES, SEVERITIES, type DashboardRange, type FlowClass, type Severity } from "@/lib/flows";

export interface SelectedPath {
  cluster: string;
  source: string;
  destination: string;
  port: number;
  protocol: "TCP" | "UDP" | "SCTP";
  flowClass: FlowClass;
}

export interface ViolationsUrlState {
  range: DashboardRange;
  cluster: string | null;
  tenant: string | null;
  /** Only flows of this severity (lib/flows.ts SEVERITIES). */
  severity: Severity | null;
  path: SelectedPath | null;
}

export const DEFAULT_RANGE: DashboardRange = "24h";

const one = (params: URLSearchParams, key: string) => {
  const v = params.get(key)?.trim();
  return v ? v : null;
};

/** The path parameter: [class, cluster, source, destination, port, protocol] as JSON (names may hold any separator). */
function readPath(text: string | null): SelectedPath | null {
  if (!text) return null;
  try {
    const v: unknown = JSON.parse(text);
    if (!Array.isArray(v) || v.length !== 6) return null;
    const [flowClass, cluster, source, destination, port, protocol] = v as unknown[];
    if (!(FLOW_CLASSES as readonly unknown[]).includes(flowClass)) return null;
    if (typeof cluster !== "string" || typeof source !== "string" || typeof destination !== "string") return null;
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) return null;
    if (protocol !== "TCP" && protocol !== "UDP" && protocol !== "SCTP") return null;
    return { flowClass: flowClass as FlowClass, cluster, source, destination, port, protocol };
  } catch {
    return null;
  }
}

export function readViolationsUrl(params: URLSearchParams): ViolationsUrlState {
  const range = params.get("range");
  return {
    range: (DASHBOARD_RANGES as readonly string[]).includes(range ?? "") ? (range as DashboardRange) : DEFAULT_RANGE,
    cluster: one(params, "cluster"),
    tenant: one(params, "tenant"),
    severity: (SEVERITIES as readonly string[]).includes(params.get("severity") ?? "") ? (params.get("severity") as Severity) : null,
    path: readPath(params.get("path")),
  };
}

/** `/violations?…` with only what differs from the defaults, in a fixed order. */
export function violationsUrl(state: ViolationsUrlState): string {
  const params = new URLSearchParams();
  if (state.range !== DEFAULT_RANGE) params.set("range", state.range);
  if (state.cluster) params.set("cluster", state.cluster);
  if (state.tenant) params.set("tenant", state.tenant);
  if (state.severity) params.set("severity", state.severity);
  if (state.path) {
    const p = state.path;
    params.set("path", JSON.stringify([p.flowClass, p.cluster, p.source, p.destination, p.port, p.protocol]));
  }
  const query = params.toString();
  return query ? `/violations?${query}` : "/violations";
}

const WORKLOAD = /^[a-z0-9-]+\/[a-z0-9-]+$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** A path's destination as the policy editor and the exception form take it (`ns/workload` or `dns:name`), if it is one. */
function prefillDestination(destination: string): string | null {
  if (WORKLOAD.test(destination)) return destination;
  return /^[a-z0-9.-]+\.[a-z]{2,}$/i.test(destination) && !IPV4.test(destination) ? `dns:${destination}` : null;
}

/** The policy editor prefilled with a path (`/policies/new?from=&to=`), when both ends are workloads or the destination a DNS name. */
export function draftPolicyUrl(path: Pick<SelectedPath, "source" | "destination">): string | null {
  if (!WORKLOAD.test(path.source)) return null;
  const to = prefillDestination(path.destination);
  return `/policies/new?${new URLSearchParams({ from: path.source, ...(to ? { to } : {}) }).toString()}`;
}

/** The exception request form prefilled with a denied path: from a workload to a workload, a DNS name or one address. */
export function exceptionRequestUrl(path: Pick<SelectedPath, "source" | "destination">): string | null {
  if (!WORKLOAD.test(path.source)) return null;
  const to = prefillDestination(path.destination) ?? (IPV4.test(path.destination) ? `cidr:${path.destination}/32` : null);
  return to ? `/exceptions?${new URLSearchParams({ from: path.source, to }).toString()}` : null;
}

/** The graph of the path's cluster, focused on its source, with the observed denials drawn. */
export function graphFocusUrl(path: Pick<SelectedPath, "cluster" | "source">): string {
  return `/graph?${new URLSearchParams({ cluster: path.cluster, focus: path.source, denials: "24h" }).toString()}`;
}
