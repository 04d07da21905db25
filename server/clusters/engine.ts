// The engine-worker tasks of clusters' observed state and drift (plain data in
// and out: they cross threads by structured clone).
import type { ObservedObject, RejectedObject } from "@/db/schema/clusters";
import { asLocated } from "@/server/drafts/engine";
import type { DriftEffect } from "@/db/schema/clusters";
import { compileDocuments } from "@/server/policy/compile/compile";
import { createEvaluator } from "@/server/policy/eval/evaluator";
import { externalEndpoints } from "@/server/policy/eval/allowed-sets";
import { computeReachability, type ReachabilityGraph } from "@/server/policy/eval/reachability";
import type { ClusterModel, ExternalDestination, Policy } from "@/server/policy/model";
import { parseCidr } from "@/server/policy/util/ip";
import { readManifestObjects } from "@/server/policy/read/manifests";
import { parseSource } from "@/server/policy/read/yaml";
import { parseJsonBounded, YAML_LIMITS } from "@/server/policy/read/bounded";
import { renderStagedFor, type ReleaseRenderInput } from "@/server/releases/render";
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
  const json = /^\s*\{/.test(input.text) ? parseObservedJson(input.text) : null;
  if (json) return json;
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

/**
 * The agent's JSON (`kubectl get … -o json`, a List) read by JSON.parse, many times faster than the
 * YAML reader (a duplicate key keeps its last value, as the API server reads it). Null when the text
 * is not JSON within the limits or any object would be rejected: the YAML reader then names each
 * problem with its line.
 */
function parseObservedJson(text: string): ParsedObserved | null {
  const parsed = parseJsonBounded(text, YAML_LIMITS);
  if (!parsed.ok) return null;
  const value = parsed.value as Record<string, unknown>;
  const list = typeof value.kind === "string" && /List$/.test(value.kind) && "items" in value;
  const items = list ? value.items : [value];
  if (!Array.isArray(items) || items.some((o) => objectProblem(o) !== null)) return null;
  return { objects: items as ObservedObject[], rejected: [] };
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
}

/**
 * The policies of each object, read once: a drift's variant of the desired state differs from it by
 * one object, so the variants share all the other objects' readings.
 */
function policyReader() {
  const read = new Map<ObservedObject, Policy[]>();
  const of = (o: ObservedObject) => {
    let policies = read.get(o);
    if (!policies) read.set(o, (policies = readManifestObjects("objects", [o]).policies.policies));
    return policies;
  };
  /** The policies of a set of objects as one reading of them all gives (a later duplicate id replaces the earlier). */
  return (objects: readonly ObservedObject[]): Policy[] => {
    const at = new Map<string, number>();
    const out: Policy[] = [];
    for (const p of objects.flatMap(of)) {
      const i = at.get(p.id);
      if (i === undefined) at.set(p.id, out.push(p) - 1);
      else out[i] = p;
    }
    return out;
  };
}

/** Every allowed workload-to-workload (or external) path and port, read with plain Kubernetes semantics. */
function pathsOf(model: ClusterModel, policies: Policy[]): Paths {
  const graph: ReachabilityGraph = computeReachability(createEvaluator(model, { policies }), { rationale: false });
  const label = new Map(graph.nodes.map((n) => [n.id, n.kind === "external" ? n.name : `${n.namespace}/${n.name}`]));
  const paths = new Map<string, string>();
  for (const e of graph.edges)
    for (const port of e.ports)
      paths.set(`${e.from}|${e.to}|${port}`, `${label.get(e.from) ?? e.from} → ${label.get(e.to) ?? e.to} ${port}`);
  return {
    paths,
    nodes: new Set(graph.nodes.map((n) => n.id)),
    external: new Set(graph.nodes.filter((n) => n.kind === "external").map((n) => n.id)),
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
  const policiesOf = policyReader();
  // Every graph gets the external destinations any of the objects names, so a path to one that
  // only the drifted object names (the metadata address a constraint denies) is compared too.
  const all = [...desired, ...drifts.slice(0, EFFECTS_COMPUTED).flatMap((d) => (d.observed ? [d.observed] : []))];
  const named = [...new Set(externalEndpoints(createEvaluator(model, { policies: policiesOf(all) })).map((e) => e.label))].sort();
  const known = new Set(model.externals.map((e) => (e.kind === "dns" ? e.name : e.cidr)));
  const extra: ExternalDestination[] = named
    .filter((n) => n !== "world" && !known.has(n))
    .flatMap((n): ExternalDestination[] =>
      parseCidr(n) ? [{ kind: "cidr", cidr: n }] : /^[\w*.-]+$/.test(n) ? [{ kind: "dns", name: n }] : [],
    );
  const wider: ClusterModel = { ...model, externals: [...model.externals, ...extra] };
  // The graph is a function of the policies alone (the model is fixed): a drift that reads as the
  // same policies (a changed label, an annotation) has the baseline's paths, computed once.
  const graphs = new Map<string, Paths>();
  const pathsFor = (objects: readonly ObservedObject[]) => {
    const policies = policiesOf(objects);
    const key = JSON.stringify(policies);
    let paths = graphs.get(key);
    if (!paths) graphs.set(key, (paths = pathsOf(wider, policies)));
    return paths;
  };
  const baseline = pathsFor(desired);
  return drifts.map((d, i) => {
    if (i >= EFFECTS_COMPUTED) return { ...d, effect: null };
    const variant = desired.filter((o) => objectKey(o) !== d.objectKey);
    if (d.observed) variant.push(d.observed);
    const paths = pathsFor(variant);
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

/**
 * The objects the release renders for its one cluster (plain JSON): the enforced ones, then the staged
 * versions' audit-only objects where the cluster's CNI has them (Calico's staged policies). Both are
 * what the cluster should run: the drift compares them, the agent applies them, GitOps writes them.
 */
export function desiredObjects(render: ReleaseRenderInput | null): { desired: ObservedObject[]; errors: string[] } {
  const cluster = render?.clusters[0];
  if (!render || !cluster) return { desired: [], errors: [] };
  const compiled = compileDocuments(render.documents.map(asLocated), cluster, {
    target: cluster.target,
    release: render.release,
    now: render.time,
    platformDefault: render.platformDefault,
  });
  const staged = renderStagedFor(render, cluster).objects;
  return {
    desired: [...compiled.objects, ...staged].map((o) => JSON.parse(JSON.stringify(o.object)) as ObservedObject),
    errors: compiled.errors.map((e) => e.message),
  };
}
