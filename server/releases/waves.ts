// Which clusters a release reaches in which wave. The plan is data: a
// cluster's `wave` label (a number; the demo's staging cluster is wave 1, the
// canary) orders the waves, clusters without one come last, and the waves are
// numbered 1, 2, … in that order. A cluster's `policyplane.io/target` label
// names the compile target it runs (default AdminNetworkPolicy v1alpha1).
import { COMPILE_TARGETS, type CompileTarget } from "@/server/policy/compile/compile";

export const WAVE_LABEL = "wave";
export const TARGET_LABEL = "policyplane.io/target";

export interface PlannedCluster {
  name: string;
  wave: number;
}

/** Dense wave numbers from the clusters' `wave` labels (unlabelled or non-numeric: the last wave). */
export function planWaves(clusters: readonly { name: string; labels: Record<string, string> }[]): PlannedCluster[] {
  const rank = (labels: Record<string, string>) => {
    const raw = labels[WAVE_LABEL];
    return raw !== undefined && /^\d{1,6}$/.test(raw) ? Number(raw) : Number.POSITIVE_INFINITY;
  };
  const ranks = [...new Set(clusters.map((c) => rank(c.labels)))].sort((a, b) => a - b);
  return clusters
    .map((c) => ({ name: c.name, wave: ranks.indexOf(rank(c.labels)) + 1 }))
    .sort((a, b) => a.wave - b.wave || a.name.localeCompare(b.name));
}

export function targetOf(labels: Record<string, string>): CompileTarget {
  const wanted = labels[TARGET_LABEL];
  return (COMPILE_TARGETS as readonly string[]).includes(wanted ?? "") ? (wanted as CompileTarget) : "anp";
}
