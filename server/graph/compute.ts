// The whole graph computation for a set of clusters and document sets (pure:
// no database). Lowering → evaluator (secure by default) → reachability →
// graph data, for the release and optionally for a proposal, then the diff.
import { createEvaluator, type Evaluator } from "@/server/policy/eval/evaluator";
import type { ClusterModel } from "@/server/policy/model";
import { lowerDocuments } from "@/server/policy/documents/lower";
import { inMemoryDocuments } from "@/server/policy/documents/read";
import type { PolicyplaneDocument } from "@/server/policy/documents/schema";
import { buildClusterGraph, mergeGraphs, type ClusterGraph } from "./build";
import { diffGraphs } from "./diff";
import type { GraphData, OverlayPath } from "./types";

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
}

export interface ComputedGraph {
  clusters: string[];
  base: ClusterState[];
  /** Present when an overlay was given. */
  proposal?: ClusterState[];
  /** The graph shown: the release, or the proposal with differences marked. */
  data: GraphData;
  paths: OverlayPath[];
  computedMs: number;
  /** The first exception expiry after `time` (ms since epoch): the graph changes then. */
  validUntil: number;
}

/** Secure by default (DESIGN.md): the platform default denies what no layer allows. */
export const SECURE_BY_DEFAULT = true;

function clusterStates(clusters: readonly ClusterInput[], docs: readonly VersionedDocument[], withClusterNode: boolean, time: Date): ClusterState[] {
  const located = inMemoryDocuments(docs.map((d) => ({ document: d.document, version: String(d.version) })));
  return clusters.map((c) => {
    const lowered = lowerDocuments(located, { name: c.name, ...(c.region ? { region: c.region } : {}), model: c.model }, {});
    const evaluator = createEvaluator(c.model, lowered.policies, { secureByDefault: SECURE_BY_DEFAULT });
    return { cluster: c.name, evaluator, data: buildClusterGraph(evaluator, { cluster: c.name, withClusterNode, time }) };
  });
}

function nextExpiry(states: readonly ClusterState[], now: number): number {
  let next = Number.POSITIVE_INFINITY;
  for (const s of states)
    for (const p of s.evaluator.policySet.policies) {
      if (p.layer !== "exception" || !p.expiresAt) continue;
      const t = Date.parse(p.expiresAt);
      if (t > now && t < next) next = t;
    }
  return next;
}

export function computeGraph(input: { clusters: readonly ClusterInput[]; release: readonly VersionedDocument[]; proposal?: readonly VersionedDocument[]; time?: Date; allClusters?: boolean }): ComputedGraph {
  const t0 = performance.now();
  const time = input.time ?? new Date();
  const withClusterNode = input.allClusters ?? input.clusters.length > 1;
  const base = clusterStates(input.clusters, input.release, withClusterNode, time);
  const baseData = mergeGraphs(base.map((s) => s.data));
  let data = baseData;
  let paths: OverlayPath[] = [];
  let proposal: ClusterState[] | undefined;
  if (input.proposal) {
    proposal = clusterStates(input.clusters, input.proposal, withClusterNode, time);
    const diff = diffGraphs(baseData, mergeGraphs(proposal.map((s) => s.data)));
    data = diff.data;
    paths = diff.paths;
  }
  return {
    clusters: input.clusters.map((c) => c.name),
    base,
    ...(proposal ? { proposal } : {}),
    data,
    paths,
    computedMs: Math.round(performance.now() - t0),
    validUntil: nextExpiry([...base, ...(proposal ?? [])], time.getTime()),
  };
}
