/**
 * Findings on policy objects that the API server accepts but that cannot do
 * what they seem to say. The upstream CRDs admit them, so they are warnings
 * (located like errors), never refusals: see ./schemas.ts for what is refused.
 */
import { portName } from "../util/k8s-validation";
import type { PathSeg } from "./yaml";
import {
  PROTOCOLS,
  requirementProblem,
  type RawAdminNetworkPolicy,
  type RawBaselineAdminNetworkPolicy,
  type RawClusterNetworkPolicy,
} from "./schemas";

export interface Advisory {
  path: PathSeg[];
  message: string;
}

const namedPortAdvice = (name: string): string | null => {
  const why = portName(name);
  return why ? `named port ${JSON.stringify(name)} ${why}: no container port can carry that name, so this port matches nothing` : null;
};

/** v1alpha1 AdminNetworkPolicy / BaselineAdminNetworkPolicy: port ranges running backwards, names no port can have. */
export function anpAdvisories(spec: RawAdminNetworkPolicy["spec"] | RawBaselineAdminNetworkPolicy["spec"]): Advisory[] {
  const out: Advisory[] = [];
  for (const dir of ["ingress", "egress"] as const) {
    (spec[dir] ?? []).forEach((r, i) => {
      (r.ports ?? []).forEach((p, j) => {
        const at: PathSeg[] = ["spec", dir, i, "ports", j];
        if (p.portRange && p.portRange.end < p.portRange.start)
          out.push({
            path: [...at, "portRange", "end"],
            message: `end ${p.portRange.end} is below start ${p.portRange.start}: this range matches no port`,
          });
        const named = p.namedPort == null ? null : namedPortAdvice(p.namedPort);
        if (named) out.push({ path: [...at, "namedPort"], message: named });
        const kind = p.portNumber ? "portNumber" : "portRange";
        const protocol = (p.portNumber ?? p.portRange)?.protocol;
        if (protocol != null && !(PROTOCOLS as readonly string[]).includes(protocol)) {
          out.push({
            path: [...at, kind, "protocol"],
            message: `protocol ${JSON.stringify(protocol)} is not one of ${PROTOCOLS.join(", ")}: the CRD accepts it, but this port matches nothing`,
          });
        }
      });
    });
  }
  return out;
}

/** v1alpha2 ClusterNetworkPolicy: Pass in the Baseline tier (nothing comes after it), names no port can have. */
export function cnpAdvisories(spec: RawClusterNetworkPolicy["spec"]): Advisory[] {
  const out: Advisory[] = [];
  for (const dir of ["ingress", "egress"] as const) {
    (spec[dir] ?? []).forEach((r, i) => {
      if (spec.tier === "Baseline" && r.action === "Pass")
        out.push({
          path: ["spec", dir, i, "action"],
          message: "action Pass in tier Baseline has no effect: no tier comes after Baseline, so the rule is skipped (use Accept or Deny)",
        });
      (r.protocols ?? []).forEach((p, j) => {
        const named = p.destinationNamedPort == null ? null : namedPortAdvice(p.destinationNamedPort);
        if (named) out.push({ path: ["spec", dir, i, "protocols", j, "destinationNamedPort"], message: named });
      });
    });
  }
  return out;
}

/** Label selector requirements anywhere under `value` that a CRD accepts but no selector can be built from: they match nothing. */
export function selectorAdvisories(value: unknown, path: PathSeg[]): Advisory[] {
  if (value === null || typeof value !== "object") return [];
  if (Array.isArray(value)) return value.flatMap((v, i) => selectorAdvisories(v, [...path, i]));
  const out: Advisory[] = [];
  for (const [k, v] of Object.entries(value)) {
    if (k === "matchExpressions" && Array.isArray(v)) {
      v.forEach((r: { key: string; operator: string; values?: string[] | null }, i) => {
        const p = requirementProblem(r);
        if (p)
          out.push({
            path: [...path, k, i, p.field],
            message: `${p.message}: the CRD accepts it, but no label selector can be built from it, so this requirement matches nothing`,
          });
      });
    } else out.push(...selectorAdvisories(v, [...path, k]));
  }
  return out;
}
