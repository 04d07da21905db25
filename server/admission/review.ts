// The admission webhook's judgement (issue 18 item 5), pure: one AdmissionRequest in, one
// AdmissionResponse out. Refused: network policy objects Policyplane did not render (they would
// decide flows the console cannot see), and Namespaces and workloads without the labels the
// engine's model depends on. Mode warn allows with the same findings as warnings; off allows.
import { MANAGED_BY } from "@/server/policy/compile/compile";
import { TENANT_LABEL } from "@/server/policy/documents/lower";
import type { AdmissionMode, AdmissionRequest, AdmissionResponse } from "./schemas";

const [MANAGED_BY_KEY, MANAGED_BY_VALUE] = Object.entries(MANAGED_BY)[0]!;

/** Network policy kinds by API group: the ones only Policyplane may write. */
export const POLICY_KINDS: Record<string, readonly string[]> = {
  "networking.k8s.io": ["NetworkPolicy"],
  "policy.networking.k8s.io": ["AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy"],
  "cilium.io": ["CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"],
};

/**
 * The required labels. No label taxonomy is stored yet (lint reads one from a file), so these are the
 * labels the engine itself relies on: a namespace's tenant (tenant policies select namespaces by it)
 * unless it is a platform namespace, and a workload's `app` (policies select workloads by it).
 */
export const REQUIRED_LABELS = {
  namespace: { key: TENANT_LABEL, exemptWhen: { "policyplane.io/platform": "true" }, exemptNames: /^kube-|^default$/ },
  workload: { key: "app" },
} as const;

const WORKLOAD_TEMPLATE_PATH: Record<string, readonly string[]> = {
  Pod: ["metadata"],
  Deployment: ["spec", "template", "metadata"],
  StatefulSet: ["spec", "template", "metadata"],
  DaemonSet: ["spec", "template", "metadata"],
  ReplicaSet: ["spec", "template", "metadata"],
  ReplicationController: ["spec", "template", "metadata"],
  Job: ["spec", "template", "metadata"],
  CronJob: ["spec", "jobTemplate", "spec", "template", "metadata"],
};
const WORKLOAD_GROUPS = new Set(["", "apps", "batch"]);

function at(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (const key of path) v = v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>)[key] : undefined;
  return v;
}

function labelsAt(value: unknown, path: readonly string[]): Record<string, string> {
  const labels = at(value, [...path, "labels"]);
  if (!labels || typeof labels !== "object" || Array.isArray(labels)) return {};
  return Object.fromEntries(Object.entries(labels).filter((e): e is [string, string] => typeof e[1] === "string"));
}

function objectName(req: AdmissionRequest): string {
  const name = (at(req.object, ["metadata", "name"]) as string | undefined) ?? req.name ?? "(unnamed)";
  const ns = (at(req.object, ["metadata", "namespace"]) as string | undefined) ?? req.namespace;
  return ns ? `${ns}/${name}` : name;
}

/** Why the object is refused, one sentence each; empty when nothing is wrong. */
export function findings(req: AdmissionRequest): string[] {
  // Deletes and connects carry no new object; subresources (scale, status) do not change labels or rules.
  if (req.operation === "DELETE" || req.operation === "CONNECT" || req.subResource) return [];
  const { group, kind } = req.kind;
  const what = `${kind} ${objectName(req)}`;
  if (POLICY_KINDS[group]?.includes(kind)) {
    const labels = labelsAt(req.object, ["metadata"]);
    if (labels[MANAGED_BY_KEY] !== MANAGED_BY_VALUE)
      return [
        `${what} is not managed by Policyplane (label ${MANAGED_BY_KEY}=${MANAGED_BY_VALUE}): network policy is changed through a Policyplane change request, which renders it for this cluster`,
      ];
    return [];
  }
  if (group === "" && kind === "Namespace") {
    const name = (at(req.object, ["metadata", "name"]) as string | undefined) ?? req.name ?? "";
    const labels = labelsAt(req.object, ["metadata"]);
    const rule = REQUIRED_LABELS.namespace;
    const exempt = rule.exemptNames.test(name) || Object.entries(rule.exemptWhen).every(([k, v]) => labels[k] === v);
    if (!exempt && !labels[rule.key])
      return [
        `${what} lacks the required label "${rule.key}" (the tenant owning it; tenant policies select namespaces by it) — or label a platform namespace ${Object.entries(
          rule.exemptWhen,
        )
          .map(([k, v]) => `${k}=${v}`)
          .join(", ")}`,
      ];
    return [];
  }
  const path = WORKLOAD_GROUPS.has(group) ? WORKLOAD_TEMPLATE_PATH[kind] : undefined;
  if (path) {
    const labels = labelsAt(req.object, path);
    const key = REQUIRED_LABELS.workload.key;
    if (!labels[key])
      return [`${what} lacks the required label "${key}"${kind === "Pod" ? "" : " on its pod template"} (policies select workloads by it)`];
  }
  return [];
}

/** The answer for a mode: enforce refuses with 403 and the reasons, warn allows with them as warnings, off allows. */
export function review(req: AdmissionRequest, mode: AdmissionMode): AdmissionResponse {
  if (mode === "off") return { uid: req.uid, allowed: true };
  const found = findings(req);
  if (found.length === 0) return { uid: req.uid, allowed: true };
  if (mode === "warn") return { uid: req.uid, allowed: true, warnings: found.map((f) => `Policyplane: ${f}`) };
  return { uid: req.uid, allowed: false, status: { code: 403, message: `Policyplane: ${found.join("; ")}` } };
}
