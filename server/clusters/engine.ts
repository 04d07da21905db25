// The engine-worker tasks of clusters' observed state and drift (plain data in
// and out: they cross threads by structured clone).
import type { ObservedObject, RejectedObject } from "@/db/schema/clusters";
import { asLocated } from "@/server/drafts/engine";
import { compileDocuments } from "@/server/policy/compile/compile";
import { parseSource } from "@/server/policy/read/yaml";
import type { ReleaseRenderInput } from "@/server/releases/render";
import { computeDrift, type Drift } from "./drift";

const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** Why `value` is not a Kubernetes object we can keep (null: it is one). */
function objectProblem(value: unknown): string | null {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    return `expected a Kubernetes object (a mapping), got ${Array.isArray(value) ? "a list" : value === null ? "null" : typeof value}`;
  const o = value as Record<string, unknown>;
  if (typeof o.apiVersion !== "string" || o.apiVersion === "") return "apiVersion is missing (a string such as networking.k8s.io/v1)";
  if (typeof o.kind !== "string" || o.kind === "") return "kind is missing (a string such as NetworkPolicy)";
  const meta = o.metadata as Record<string, unknown> | undefined;
  if (meta === null || typeof meta !== "object" || Array.isArray(meta)) return "metadata is missing (a mapping with a name)";
  if (typeof meta.name !== "string" || !NAME.test(meta.name))
    return `metadata.name must be a Kubernetes name (lower-case letters, digits, '-' and '.'), got ${JSON.stringify(meta.name ?? null)}`;
  if (meta.namespace !== undefined && (typeof meta.namespace !== "string" || !NAME.test(meta.namespace)))
    return `metadata.namespace must be a Kubernetes name, got ${JSON.stringify(meta.namespace)}`;
  return null;
}

export interface ParsedObserved {
  objects: ObservedObject[];
  rejected: RejectedObject[];
}

/**
 * Reads `kubectl get … -A -o yaml` output (a List, or multi-document YAML; JSON is YAML too). Each object
 * is kept or rejected on its own: a rejected one is named by its place in the list (0-based) and line.
 */
export function parseObserved(input: { text: string }): ParsedObserved {
  const parsed = parseSource("observed", input.text);
  const objects: ObservedObject[] = [];
  const rejected: RejectedObject[] = parsed.errors.map((e) => ({ index: null, line: e.line, message: e.detail }));
  parsed.objects.forEach((raw, index) => {
    const problem = objectProblem(raw.value);
    if (problem) rejected.push({ index, line: raw.line, message: problem });
    else objects.push(raw.value as ObservedObject);
  });
  return { objects, rejected };
}

export interface ClusterDriftInput {
  /** The release rendered for the cluster (one cluster), or null when no release exists: nothing is desired. */
  render: ReleaseRenderInput | null;
  observed: readonly ObservedObject[];
}

/** The cluster's desired objects (its release, compiled for it) and the drift of the observed ones from them. */
export function clusterDrift(input: ClusterDriftInput): { desired: ObservedObject[]; errors: string[]; drifts: Drift[] } {
  const desired = desiredObjects(input.render);
  return { ...desired, drifts: desired.errors.length > 0 ? [] : computeDrift(desired.desired, input.observed) };
}

/** The objects the release renders for its one cluster (plain JSON). */
export function desiredObjects(render: ReleaseRenderInput | null): { desired: ObservedObject[]; errors: string[] } {
  const cluster = render?.clusters[0];
  if (!render || !cluster) return { desired: [], errors: [] };
  const compiled = compileDocuments(render.documents.map(asLocated), cluster, {
    target: cluster.target,
    release: render.release,
    now: render.time,
    platformDefault: render.platformDefault,
  });
  return {
    desired: compiled.objects.map((o) => JSON.parse(JSON.stringify(o.object)) as ObservedObject),
    errors: compiled.errors.map((e) => e.message),
  };
}
