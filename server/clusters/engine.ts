// The engine-worker tasks of clusters' observed state and drift (plain data in
// and out: they cross threads by structured clone).
import type { ObservedObject, RejectedObject } from "@/db/schema/clusters";
import { asLocated } from "@/server/drafts/engine";
import { stringify } from "yaml";
import type { DriftEffect } from "@/db/schema/clusters";
import { compileDocuments } from "@/server/policy/compile/compile";
import { createEvaluator } from "@/server/policy/eval/evaluator";
import { computeReachability, type ReachabilityGraph } from "@/server/policy/eval/reachability";
import type { ClusterModel, ExternalDestination } from "@/server/policy/model";
import { parseCidr } from "@/server/policy/util/ip";
import { readManifestSources } from "@/server/policy/read/manifests";
import { parseSource } from "@/server/policy/read/yaml";
import type { ReleaseRenderInput } from "@/server/releases/render";
import { computeDrift, objectKey, type Drift } from "./drift";

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
export function clusterDrift(input: ClusterDriftInput): {
  desired: ObservedObject[];
  errors: string[];
  drifts: (Drift & { effect: DriftEffect | null })[];
} {
  const desired = desiredObjects(input.render);
  if (desired.errors.length > 0) return { ...desired, drifts: [] };
  const drifts = computeDrift(desired.desired, input.observed);
  const model = input.render?.clusters[0]?.model;
  return { ...desired, drifts: model ? withEffects(model, desired.desired, drifts) : drifts.map((d) => ({ ...d, effect: null })) };
}

/** Drifts given an effect each (the engine's work grows with each): the rest are marked not computed. */
export const EFFECTS_COMPUTED = 25;
/** Paths named per effect (the rest counted). */
const PATHS_SHOWN = 20;

interface Paths {
  /** key (from|to|port) → "payments/api → payments/db 5432/TCP" */
  paths: Map<string, string>;
  /** The graph's nodes: external destinations come from the CIDRs and names the policies mention. */
  nodes: Set<string>;
  external: Set<string>;
  /** The external destinations' names (a CIDR or a DNS name or pattern). */
  externalNames: string[];
}

/** Every allowed workload-to-workload (or external) path and port, read with plain Kubernetes semantics. */
function pathsOf(model: ClusterModel, objects: readonly ObservedObject[]): Paths {
  const text = objects.map((o) => stringify(o, { lineWidth: 0 })).join("---\n");
  const read = readManifestSources([{ file: "objects.yaml", text }]);
  const graph: ReachabilityGraph = computeReachability(createEvaluator(model, read.policies), { rationale: false });
  const label = new Map(graph.nodes.map((n) => [n.id, n.kind === "external" ? n.name : `${n.namespace}/${n.name}`]));
  const paths = new Map<string, string>();
  for (const e of graph.edges)
    for (const port of e.ports)
      paths.set(`${e.from}|${e.to}|${port}`, `${label.get(e.from) ?? e.from} → ${label.get(e.to) ?? e.to} ${port}`);
  return {
    paths,
    nodes: new Set(graph.nodes.map((n) => n.id)),
    external: new Set(graph.nodes.filter((n) => n.kind === "external").map((n) => n.id)),
    externalNames: graph.nodes.filter((n) => n.kind === "external").map((n) => n.name),
  };
}

/**
 * The paths one side allows and the other does not. Only endpoints both graphs have count: an external
 * destination exists in a graph only when some policy names it, so its appearing or vanishing with
 * an object is no path change. Paths between workloads come first.
 */
function pathsOnlyIn(a: Paths, b: Paths): string[] {
  const both = (id: string) => b.nodes.has(id);
  return [...a.paths.entries()]
    .filter(([k]) => {
      const [from, to] = k.split("|") as [string, string];
      return !b.paths.has(k) && both(from) && both(to);
    })
    .sort(([x], [y]) => {
      const ext = (k: string) => k.split("|").filter((id) => a.external.has(id)).length;
      return ext(x) - ext(y);
    })
    .map(([, text]) => text);
}

/**
 * Each drift's effect: the paths the cluster allows with this one drift (the observed object in
 * place of the desired one, or added, or the desired one gone) that the desired state does not, and
 * the reverse. A hand-applied allow-all opens paths; a changed label may change nothing.
 */
export function withEffects(model: ClusterModel, desired: readonly ObservedObject[], drifts: readonly Drift[]) {
  if (drifts.length === 0) return [];
  // Every graph gets the external destinations any of the objects names, so a path to one that
  // only the drifted object names (the metadata address a constraint denies) is compared too.
  const all = [...desired, ...drifts.slice(0, EFFECTS_COMPUTED).flatMap((d) => (d.observed ? [d.observed] : []))];
  const named = pathsOf(model, all).externalNames;
  const known = new Set(model.externals.map((e) => (e.kind === "dns" ? e.name : e.cidr)));
  const extra: ExternalDestination[] = [...new Set(named)]
    .filter((n) => n !== "world" && !known.has(n))
    .flatMap((n): ExternalDestination[] =>
      parseCidr(n) ? [{ kind: "cidr", cidr: n }] : /^[\w*.-]+$/.test(n) ? [{ kind: "dns", name: n }] : [],
    );
  const wider: ClusterModel = { ...model, externals: [...model.externals, ...extra] };
  const baseline = pathsOf(wider, desired);
  return drifts.map((d, i) => {
    if (i >= EFFECTS_COMPUTED) return { ...d, effect: null };
    const variant = desired.filter((o) => objectKey(o) !== d.objectKey);
    if (d.observed) variant.push(d.observed);
    const paths = pathsOf(wider, variant);
    const opened = pathsOnlyIn(paths, baseline);
    const closed = pathsOnlyIn(baseline, paths);
    return {
      ...d,
      effect: {
        opened: opened.slice(0, PATHS_SHOWN),
        closed: closed.slice(0, PATHS_SHOWN),
        openedCount: opened.length,
        closedCount: closed.length,
      },
    };
  });
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
