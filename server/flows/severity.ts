// Severity of an observed flow (issue 17 item 4): the higher of its destination's
// criticality and the weight of the layer that denied it. Pure; ingestion stores
// the result with each aggregate so the dashboard and the alert rules filter on it.
import type { FlowAttribution } from "@/db/schema/flows";
import { SEVERITIES, SEVERITY_RANK, type FlowClass, type Severity } from "@/lib/flows";
import type { CRITICALITIES } from "@/lib/vocabulary";
import { cidrContainsIp, parseCidr, parseIp, type ParsedCidr } from "@/server/policy/util/ip";

export type Criticality = (typeof CRITICALITIES)[number];

/** The namespace label that gives a namespace's workloads a criticality. */
export const CRITICALITY_LABEL = "policyplane.io/criticality";

/** What the layer (and admin tier) that denied a flow weighs. */
export function layerWeight(attribution: FlowAttribution | null): Severity {
  switch (attribution?.layer) {
    case "constraint":
      return "critical";
    case "admin":
      return "high";
    case "namespace":
      return "medium";
    default:
      return "low";
  }
}

/** A denied (or gap) flow's severity; a near-miss is low (an exception allowed it); an allowed flow has none. */
export function severityOf(flowClass: FlowClass, destination: Criticality | null, attribution: FlowAttribution | null): Severity | null {
  if (flowClass === "allowed") return null;
  if (flowClass === "near-miss") return "low";
  const byLayer = layerWeight(attribution);
  if (!destination) return byLayer;
  return SEVERITY_RANK[destination] > SEVERITY_RANK[byLayer] ? destination : byLayer;
}

/** Whether `s` is at least `min`. */
export const atLeast = (s: Severity, min: Severity): boolean => SEVERITY_RANK[s] >= SEVERITY_RANK[min];

export function isSeverity(s: string): s is Severity {
  return (SEVERITIES as readonly string[]).includes(s);
}

export interface ExternalCriticality {
  dnsName: string | null;
  cidr: string | null;
  criticality: Criticality;
}

/**
 * Looks up a destination's criticality: an external destination by its DNS name (a `*.` wildcard
 * matches one or more labels) or the CIDR holding an address; a pod by its namespace's label.
 */
export class CriticalityIndex {
  private readonly dns = new Map<string, Criticality>();
  private readonly wildcards: [string, Criticality][] = [];
  private readonly cidrs: [ParsedCidr, Criticality][] = [];

  constructor(
    externals: readonly ExternalCriticality[],
    private readonly namespaces: ReadonlyMap<string, Criticality>,
  ) {
    for (const e of externals) {
      if (e.dnsName?.startsWith("*.")) this.wildcards.push([e.dnsName.slice(1).toLowerCase(), e.criticality]);
      else if (e.dnsName) this.dns.set(e.dnsName.toLowerCase(), e.criticality);
      const cidr = e.cidr ? parseCidr(e.cidr) : null;
      if (cidr) this.cidrs.push([cidr, e.criticality]);
    }
  }

  /** `destination` as ingestion names it: "namespace/workload", an address or a DNS name; `namespace` for a pod. */
  of(destination: string, namespace: string | null): Criticality | null {
    if (namespace !== null) return this.namespaces.get(namespace) ?? null;
    const ip = parseIp(destination);
    if (ip) return this.cidrs.find(([c]) => cidrContainsIp(c, ip))?.[1] ?? null;
    const name = destination.toLowerCase().replace(/\.$/, "");
    return this.dns.get(name) ?? this.wildcards.find(([suffix]) => name.endsWith(suffix))?.[1] ?? null;
  }
}
