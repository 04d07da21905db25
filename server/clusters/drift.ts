// Drift between a cluster's desired objects (its release, compiled for it) and
// the objects it reports: missing, unmanaged extra and modified, with a
// field-level diff that ignores what the API server sets. Pure (no database):
// it runs in the engine worker.
import type { DriftType, FieldDiff, ObservedObject } from "@/db/schema/clusters";

/** Kinds that decide traffic: an observed one that is not desired is unmanaged drift. Other kinds (inventory) are not compared. */
export const POLICY_KINDS: readonly string[] = [
  "networking.k8s.io/NetworkPolicy",
  "policy.networking.k8s.io/AdminNetworkPolicy",
  "policy.networking.k8s.io/BaselineAdminNetworkPolicy",
  "policy.networking.k8s.io/ClusterNetworkPolicy",
  "cilium.io/CiliumNetworkPolicy",
  "cilium.io/CiliumClusterwideNetworkPolicy",
  "crd.projectcalico.org/NetworkPolicy",
  "crd.projectcalico.org/GlobalNetworkPolicy",
  "projectcalico.org/NetworkPolicy",
  "projectcalico.org/GlobalNetworkPolicy",
  // Audit-only (never enforced), but Policyplane renders them for staged changes: a hand-applied one is drift too.
  "crd.projectcalico.org/StagedNetworkPolicy",
  "crd.projectcalico.org/StagedGlobalNetworkPolicy",
  "projectcalico.org/StagedNetworkPolicy",
  "projectcalico.org/StagedGlobalNetworkPolicy",
  "security.istio.io/AuthorizationPolicy",
];

const SERVER_SET_METADATA = ["uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink", "deletionTimestamp"];
const SERVER_SET_ANNOTATIONS = ["kubectl.kubernetes.io/last-applied-configuration", "deployment.kubernetes.io/revision"];

export interface Drift {
  objectKey: string;
  type: DriftType;
  kind: string;
  namespace: string | null;
  name: string;
  diff: FieldDiff[];
  desired: ObservedObject | null;
  observed: ObservedObject | null;
}

const groupOf = (apiVersion: string) => (apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.lastIndexOf("/")) : "");

/** The group and kind of an object, e.g. `networking.k8s.io/NetworkPolicy` (core kinds: `/Pod`). */
export const groupKind = (o: Pick<ObservedObject, "apiVersion" | "kind">) => `${groupOf(o.apiVersion)}/${o.kind}`;

/** Identity of an object across versions of its API: group/kind/namespace/name. */
export const objectKey = (o: ObservedObject) => `${groupKind(o)}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;

/** A copy without what the API server sets (status, uid, resourceVersion, managed fields, kubectl's last-applied annotation). */
export function normalizeObject(o: ObservedObject): ObservedObject {
  const copy = JSON.parse(JSON.stringify(o)) as ObservedObject;
  delete copy.status;
  const meta = copy.metadata as Record<string, unknown>;
  for (const f of SERVER_SET_METADATA) delete meta[f];
  const annotations = meta.annotations as Record<string, string> | undefined;
  if (annotations) for (const a of SERVER_SET_ANNOTATIONS) delete annotations[a];
  for (const f of ["annotations", "labels"])
    if (meta[f] && typeof meta[f] === "object" && Object.keys(meta[f] as object).length === 0) delete meta[f];
  return copy;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const segment = (path: string, key: string) =>
  /^[A-Za-z_][\w-]*$/.test(key) ? (path ? `${path}.${key}` : key) : `${path}[${JSON.stringify(key)}]`;

/** Field-level differences (paths like `spec.ingress[0].from`); arrays of another length differ as a whole. */
export function diffFields(desired: unknown, observed: unknown, path = ""): FieldDiff[] {
  if (isPlainObject(desired) && isPlainObject(observed)) {
    const keys = [...new Set([...Object.keys(desired), ...Object.keys(observed)])].sort();
    return keys.flatMap((k) => diffFields(desired[k], observed[k], segment(path, k)));
  }
  if (Array.isArray(desired) && Array.isArray(observed) && desired.length === observed.length)
    return desired.flatMap((d, i) => diffFields(d, observed[i], `${path}[${i}]`));
  if (JSON.stringify(desired) === JSON.stringify(observed)) return [];
  return [{ path: path || "(object)", desired: desired ?? null, observed: observed ?? null }];
}

const describe = (o: ObservedObject, type: DriftType, diff: FieldDiff[] = []): Drift => ({
  objectKey: objectKey(o),
  type,
  kind: o.kind,
  namespace: o.metadata.namespace ?? null,
  name: o.metadata.name,
  diff,
  desired: null,
  observed: null,
});

/**
 * Compares desired with observed objects. Observed objects of kinds that are neither policy kinds
 * nor desired (namespaces, pods, services) are inventory and not compared.
 */
export function computeDrift(desiredObjects: readonly ObservedObject[], observedObjects: readonly ObservedObject[]): Drift[] {
  const desired = new Map(desiredObjects.map((o) => [objectKey(o), normalizeObject(o)]));
  const compared = new Set([...POLICY_KINDS, ...desiredObjects.map(groupKind)]);
  const observed = new Map(observedObjects.filter((o) => compared.has(groupKind(o))).map((o) => [objectKey(o), normalizeObject(o)]));
  const drifts: Drift[] = [];
  for (const [key, want] of desired) {
    const have = observed.get(key);
    if (!have) {
      drifts.push({ ...describe(want, "missing"), desired: want });
      continue;
    }
    const diff = diffFields(want, have);
    if (diff.length > 0) drifts.push({ ...describe(want, "modified", diff), desired: want, observed: have });
  }
  for (const [key, have] of observed) if (!desired.has(key)) drifts.push({ ...describe(have, "unmanaged"), observed: have });
  return drifts.sort((a, b) => a.objectKey.localeCompare(b.objectKey));
}
