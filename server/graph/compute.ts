// The whole graph computation for a set of clusters and document sets (pure:
// no database). Lowering → evaluator (with the platform default setting) → reachability →
// graph data, for the release and optionally for a proposal, then the diff.
import { createEvaluator, type Evaluator } from "@/server/policy/eval/evaluator";
import type { ClusterModel, PlatformDefault } from "@/server/policy/model";
import { lowerDocuments } from "@/server/policy/documents/lower";
import type { LocatedDocument } from "@/server/policy/documents/read";
import type { PolicyplaneDocument } from "@/server/policy/documents/schema";
import { buildScaledClusterGraph, diffAggregated, GRAPH_LIMITS, type GraphLimits } from "./aggregate";
import { mergeGraphs, type ClusterGraph } from "./build";
import { addGatewayRoutes } from "./routes";
import type { GraphData, GraphWarning, OverlayPath } from "@/lib/graph/types";

export interface ClusterInput {
  name: string;
  region?: string;
  model: ClusterModel;
}

export interface VersionedDocument {
  document: PolicyplaneDocument;
  version: number | string;
}

export interface ClusterState {
  cluster: string;
  evaluator: Evaluator;
  data: ClusterGraph;
  /** Namespace-level graph (a large cluster, aggregate.ts): workload-level edges are computed per opened namespace. */
  aggregated: boolean;
  /** Lowering warnings for this cluster. */
  warnings: GraphWarning[];
}

export interface ComputedGraph {
  clusters: string[];
  base: ClusterState[];
  /** Present when an overlay was given. */
  proposal?: ClusterState[];
  /** The graph shown: the release, or the proposal with differences marked. */
  data: GraphData;
  paths: OverlayPath[];
  /** Lowering warnings of the documents the shown graph comes from (the proposal's when overlaid), one per problem with the clusters it occurs in. */
  warnings: GraphWarning[];
  computedMs: number;
  /** The limits the graph was computed with (opening an island of an aggregated cluster uses them too). */
  limits: GraphLimits;
  /** The first exception start or expiry after `time` (ms since epoch): the graph changes then. */
  validUntil: number;
  /** The platform default setting it was computed with. */
  platformDefault: VersionedPlatformDefault;
  /** The proposal's platform default when it proposes another (a platform default change request). */
  proposalPlatformDefault?: PlatformDefault;
}

/** The platform default setting, with its version when it comes from the database. */
export type VersionedPlatformDefault = PlatformDefault & { version?: number };

function clusterStates(
  clusters: readonly ClusterInput[],
  docs: readonly VersionedDocument[],
  withClusterNode: boolean,
  time: Date,
  platformDefault: PlatformDefault,
  limits: GraphLimits,
  levelOf?: (cluster: string) => boolean | undefined,
): ClusterState[] {
  // A lowering warning names the document only through its `file`: give each document one.
  const byFile = new Map<string, { kind: string; document: string }>();
  const located: LocatedDocument[] = docs.map((d) => {
    const file = `${d.document.kind}/${d.document.metadata.name}`;
    byFile.set(file, { kind: d.document.kind, document: d.document.metadata.name });
    return { document: d.document, version: String(d.version), file };
  });
  return clusters.map((c) => {
    const lowered = lowerDocuments(located, { name: c.name, ...(c.region ? { region: c.region } : {}), model: c.model }, {});
    const evaluator = createEvaluator(c.model, lowered.policies, { secureByDefault: platformDefault });
    const warnings = lowered.warnings.map((w) => ({
      ...(byFile.get(w.file) ?? { kind: "", document: w.file }),
      path: w.path,
      message: w.detail,
      clusters: [c.name],
    }));
    const { data, aggregated } = buildScaledClusterGraph(evaluator, { cluster: c.name, withClusterNode, time }, limits, levelOf?.(c.name));
    // A namespace-level graph has no gateway workload to continue from.
    if (!aggregated) addGatewayRoutes(data, lowered.egressRoutes, evaluator, c.name);
    return { cluster: c.name, evaluator, data, aggregated, warnings };
  });
}

/** The same warning in several clusters is listed once, with its clusters. */
function mergeWarnings(states: readonly ClusterState[]): GraphWarning[] {
  const out = new Map<string, GraphWarning>();
  for (const s of states)
    for (const w of s.warnings) {
      const key = JSON.stringify([w.kind, w.document, w.path, w.message]);
      const prev = out.get(key);
      if (prev) prev.clusters.push(...w.clusters);
      else out.set(key, { ...w, clusters: [...w.clusters] });
    }
  return [...out.values()].sort(
    (a, b) => a.document.localeCompare(b.document) || a.kind.localeCompare(b.kind) || a.path.localeCompare(b.path),
  );
}

function nextBoundary(states: readonly ClusterState[], now: number): number {
  return Math.min(Number.POSITIVE_INFINITY, ...states.map((s) => s.evaluator.nextBoundary(now)));
}

/** `platformDefault`: the setting in force (server/platform-default), never a constant. */
export function computeGraph(input: {
  clusters: readonly ClusterInput[];
  release: readonly VersionedDocument[];
  proposal?: readonly VersionedDocument[];
  time?: Date;
  allClusters?: boolean;
  platformDefault: VersionedPlatformDefault;
  /** The platform default the proposal decides with, when it changes it (default: `platformDefault`). */
  proposalPlatformDefault?: PlatformDefault;
  limits?: GraphLimits;
  base?: readonly ClusterState[];
}): ComputedGraph {
  const t0 = performance.now();
  const time = input.time ?? new Date();
  const withClusterNode = input.allClusters ?? input.clusters.length > 1;
  const limits = input.limits ?? GRAPH_LIMITS;
  // `base`: the release's states already computed (the cached release graph, same platform default), for an overlay.
  const base = input.base
    ? [...input.base]
    : clusterStates(input.clusters, input.release, withClusterNode, time, input.platformDefault, limits);
  const baseData = mergeGraphs(base.map((s) => s.data));
  let data = baseData;
  let paths: OverlayPath[] = [];
  let proposal: ClusterState[] | undefined;
  if (input.proposal) {
    // At the release's level, cluster by cluster, so both sides compare.
    const level = new Map(base.map((s) => [s.cluster, s.aggregated]));
    const proposalDefault = input.proposalPlatformDefault ?? input.platformDefault;
    proposal = clusterStates(input.clusters, input.proposal, withClusterNode, time, proposalDefault, limits, (c) => level.get(c));
    const diff = diffAggregated(baseData, mergeGraphs(proposal.map((s) => s.data)));
    data = diff.data;
    paths = diff.paths;
  }
  return {
    clusters: input.clusters.map((c) => c.name),
    base,
    ...(proposal ? { proposal } : {}),
    data,
    paths,
    warnings: mergeWarnings(proposal ?? base),
    computedMs: Math.round(performance.now() - t0),
    limits,
    validUntil: nextBoundary([...base, ...(proposal ?? [])], time.getTime()),
    platformDefault: input.platformDefault,
    ...(input.proposal && input.proposalPlatformDefault ? { proposalPlatformDefault: input.proposalPlatformDefault } : {}),
  };
}
