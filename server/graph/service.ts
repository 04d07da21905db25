import "server-only";
// The graph service: reads the inventory and the documents in force, computes
// the graph with the engine (compute.ts) and keeps recent results in memory,
// keyed by what they were computed from (clusters, document versions, inventory).
import { createHash } from "node:crypto";
import { asc } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { mayReadTenant } from "@/server/auth/authorize";
import { redactPolicyNames, visibilityOf } from "@/server/auth/visibility";
import type { Actor, ServiceContext } from "@/server/context";
import { clusters as clustersTable } from "@/db/schema";
import { NotFound } from "@/server/errors";
import { loadClusterModels } from "@/server/inventory/cluster-model";
import { platformDefaultChangeOf, platformDefaultInForce } from "@/server/platform-default/get";
import type { PlatformDefault } from "@/server/policy/model";
import { changeRequestOverlay, pendingDrafts, releasedDocuments, releasedWith, type StoredDocument } from "@/server/drafts/documents";
import { approvedExceptionDocuments } from "@/server/exceptions/in-force";
import { serverNow } from "@/server/clock";
import { perProcess } from "@/server/lib/per-process";
import { computeGraph, type ComputedGraph } from "./compute";
import { edgeRationale, nodeDetails } from "./details";
import { EXTERNALS_GROUP } from "@/lib/graph/ids";
import { DEFAULT_VISIBLE_BUDGET, defaultCollapsed, groupContents, isGroup, project } from "@/lib/graph/islands";
import { graphFor, openIsland } from "./open-island";
import { viewScale } from "./scale";
import { scopeGraph } from "./scope";
import type { GraphEdgeInput, GraphGroupInput, GraphNodeInput, GraphViewInput } from "./schemas";
import {
  overlayKey,
  parseOverlay,
  type GraphData,
  type GraphEdge,
  type GraphNode,
  type GraphWarning,
  type OverlayPath,
  type OverlaySpec,
} from "@/lib/graph/types";

export const ALL_CLUSTERS = "all";
const CACHE_SIZE = 12;
/** Graphs with a large (namespace-level) cluster hold a few hundred MB each: only the most recent few stay. */
const LARGE_CACHE_SIZE = 4;
const MAX_OVERLAY_PATHS = 500;

const cache = perProcess("GraphCache", () => new Map<string, { graph: ComputedGraph; validUntil: number }>());

function signature(parts: unknown): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 32);
}

const docSig = (docs: readonly StoredDocument[]) => docs.map((d) => `${d.policyId}@${d.version}`);

export async function documentSets(
  db: Queryable,
  overlay: OverlaySpec,
  actor: Actor | null,
): Promise<{ release: StoredDocument[]; proposal?: StoredDocument[]; proposalPlatformDefault?: PlatformDefault }> {
  const release = await releasedDocuments(db);
  if (overlay.kind === "release") return { release };
  const readable = (ref: { tenantId: string | null }) => actor !== null && mayReadTenant(actor, ref.tenantId);
  let refs;
  if (overlay.kind === "drafts") refs = (await pendingDrafts(db)).filter(readable);
  else {
    refs = await changeRequestOverlay(db, overlay.id);
    // As on the change's own page: only someone who may read every policy in it.
    if (!refs.every(readable)) throw new NotFound("No such change request.");
    // A platform default change proposes the setting instead of documents.
    const change = await platformDefaultChangeOf(db, overlay.id);
    if (change) return { release, proposal: await releasedWith(db, refs, release), proposalPlatformDefault: change.to };
  }
  return { release, proposal: await releasedWith(db, refs, release) };
}

export async function clusterNames(db: Queryable): Promise<string[]> {
  const rows = await db.select({ name: clustersTable.name }).from(clustersTable).orderBy(asc(clustersTable.name));
  return rows.map((r) => r.name);
}

/**
 * The computed graph for a cluster (or all) and overlay, from the cache when its inputs have not
 * changed. `actor` null: the release only (start-up warming).
 */
export async function loadGraph(
  db: Queryable,
  cluster: string,
  overlay: OverlaySpec,
  actor: Actor | null,
  now = serverNow(),
): Promise<{ graph: ComputedGraph; cached: boolean }> {
  // The loader refuses an unknown cluster name (NotFound) itself.
  const [docs, contexts, platformDefault, approvedExceptions] = await Promise.all([
    documentSets(db, overlay, actor),
    loadClusterModels(db, cluster === ALL_CLUSTERS ? undefined : [cluster]),
    platformDefaultInForce(db),
    // Approved exceptions count in the release and in every overlay; the engine applies their windows.
    approvedExceptionDocuments(db),
  ]);
  const models = contexts.map((c) => [c.name, c.region, c.model]);
  const keyOf = (o: OverlaySpec, proposal?: readonly StoredDocument[]) =>
    `${cluster}|${overlayKey(o)}|${signature({ platformDefault: platformDefault.version, proposalPlatformDefault: o.kind === "release" ? null : (docs.proposalPlatformDefault ?? null), release: docSig(docs.release), proposal: proposal ? docSig(proposal) : null, models, exceptions: approvedExceptions.map((e) => `${e.number}@${e.contentHash}`) })}`;
  const key = keyOf(overlay, docs.proposal);
  const hit = cache().get(key);
  if (hit && now.getTime() < hit.validUntil) {
    cache().delete(key);
    cache().set(key, hit);
    return { graph: hit.graph, cached: true };
  }
  const exceptionDocs = approvedExceptions.map((e) => ({ document: e.document, version: e.version }));
  const versioned = (d: StoredDocument) => ({ document: d.document, version: d.version });
  // An overlay starts from the release's per-cluster states when they are cached (a large cluster's cost hundreds of MB and many seconds).
  const release = docs.proposal ? cache().get(keyOf({ kind: "release" })) : undefined;
  const graph = computeGraph({
    ...(release && now.getTime() < release.validUntil ? { base: release.graph.base } : {}),
    clusters: contexts.map((c) => ({ name: c.name, region: c.region, model: c.model })),
    release: [...docs.release.map(versioned), ...exceptionDocs],
    ...(docs.proposal ? { proposal: [...docs.proposal.map(versioned), ...exceptionDocs] } : {}),
    time: now,
    allClusters: cluster === ALL_CLUSTERS,
    platformDefault,
    ...(docs.proposalPlatformDefault ? { proposalPlatformDefault: docs.proposalPlatformDefault } : {}),
  });
  cache().set(key, { graph, validUntil: graph.validUntil });
  while (cache().size > CACHE_SIZE) cache().delete(cache().keys().next().value!);
  const large = [...cache().keys()].filter((k) =>
    cache()
      .get(k)!
      .graph.base.some((s: { aggregated: boolean }) => s.aggregated),
  );
  for (const k of large.slice(0, -LARGE_CACHE_SIZE)) cache().delete(k);
  return { graph, cached: false };
}

/** The platform default the graph was computed with (shown beside the graph). */
export interface PlatformDefaultSummary {
  enabled: boolean;
  excludeNamespaces: string[];
  version: number;
}

export interface GraphView {
  cluster: string;
  clusters: string[];
  overlay: string;
  /** Every group node (so islands can be re-projected) and the leaves outside collapsed groups. */
  nodes: GraphNode[];
  /** Edges projected onto the default collapse state. */
  edges: GraphEdge[];
  collapsed: string[];
  /** Large clusters: namespaces whose workloads are computed when opened (pass the other opened ones to `group`). */
  onDemand: boolean;
  paths: OverlayPath[];
  pathsTotal: number;
  /** Documents the engine could not wholly apply here: the graph may lack what their authors meant. */
  warnings: GraphWarning[];
  stats: { workloads: number; paths: number; computedMs: number; cached: boolean; platformDefault: PlatformDefaultSummary };
}

/** The default view: what fits is expanded, the rest collapsed into islands. */
export function viewOf(graph: ComputedGraph, cluster: string, overlay: OverlaySpec, cached: boolean, allClusterNames: string[]): GraphView {
  const scale = viewScale(graph);
  // Across clusters the paths start bundled per namespace pair: workload-level paths of several clusters are a hairball.
  const collapsed = [
    ...new Set([...defaultCollapsed(graph.data.nodes, DEFAULT_VISIBLE_BUDGET, cluster === ALL_CLUSTERS), ...scale.collapsed]),
  ];
  const projected = project(graph.data, collapsed);
  const visible = new Set(projected.nodes.map((n) => n.id));
  const nodes = graph.data.nodes.filter((n) => isGroup(n) || visible.has(n.id));
  return {
    cluster,
    clusters: allClusterNames,
    overlay: overlayKey(overlay),
    nodes,
    edges: projected.edges,
    collapsed,
    onDemand: scale.onDemand,
    paths: graph.paths.slice(0, MAX_OVERLAY_PATHS),
    pathsTotal: graph.paths.length,
    warnings: graph.warnings,
    stats: {
      workloads: scale.workloads,
      paths: scale.paths,
      computedMs: graph.computedMs,
      cached,
      platformDefault: {
        enabled: graph.platformDefault.enabled,
        excludeNamespaces: [...graph.platformDefault.excludeNamespaces],
        version: graph.platformDefault.version ?? 0,
      },
    },
  };
}

/** The view of a cluster (default: the first by name), all clusters ("all"), with an optional overlay. */
export async function graphView({ ctx, input }: { ctx: ServiceContext; input: GraphViewInput }): Promise<GraphView> {
  const overlay = parseOverlay(input.overlay);
  const names = await clusterNames(ctx.db);
  const chosen = input.cluster ?? names[0];
  if (!chosen) throw new NotFound("No cluster is registered yet.");
  const { graph, cached, scope } = await viewerGraph(ctx, chosen, overlay);
  return viewOf(scope(graph), chosen, overlay, cached, names);
}

/**
 * The computed graph and what this viewer may see of it: every graph a reply is made from goes through `scope` first
 * (an overlay shows only what they may read; the release graph is the organisation's).
 */
export async function viewerGraph({ db, actor }: ServiceContext, cluster: string, overlay: OverlaySpec) {
  const [{ graph, cached }, visibility] = await Promise.all([loadGraph(db, cluster, overlay, actor), visibilityOf(db, actor)]);
  return { graph, cached, visibility, scope: (g: ComputedGraph) => scopeGraph(g, visibility) };
}

/** An island's contents, loaded when the person expands it (`open`: the other opened islands, for a large cluster's namespaces). */
export async function graphGroup({ ctx, input }: { ctx: ServiceContext; input: GraphGroupInput }): Promise<GraphData> {
  const groupId = input.group;
  const { graph, scope } = await viewerGraph(ctx, input.cluster, parseOverlay(input.overlay));
  const island = openIsland(graph, groupId, input.open ?? [], serverNow());
  if (island) {
    const { data } = scope(island);
    return { nodes: data.nodes, edges: data.edges };
  }
  const { data } = scope(graph);
  const group = data.nodes.find((n) => n.id === groupId);
  if (!group || (!isGroup(group) && group.id !== EXTERNALS_GROUP)) throw new NotFound("No such group in this graph.");
  return groupContents(data, groupId);
}

/** The engine's rationale of one path, port by port. */
export async function graphEdge({ ctx, input }: { ctx: ServiceContext; input: GraphEdgeInput }) {
  const edgeId = input.edge;
  const { graph, visibility, scope } = await viewerGraph(ctx, input.cluster, parseOverlay(input.overlay));
  const now = serverNow();
  // Decided at the server's clock (an omitted time would be the wall clock, which a test server's moved clock is not).
  const r = edgeRationale(scope(graphFor(graph, edgeId, now)), edgeId, now);
  if (!r) throw new NotFound("No such path in this graph.");
  // The server's clock with it: the panel's exception countdown runs from it, not from the browser's.
  return { ...redactPolicyNames(r, visibility), now: now.toISOString() };
}

/** A node's labels, the policies selecting it, and its paths. */
export async function graphNode({ ctx, input }: { ctx: ServiceContext; input: GraphNodeInput }) {
  const nodeId = input.node;
  const { graph, visibility, scope } = await viewerGraph(ctx, input.cluster, parseOverlay(input.overlay));
  const r = nodeDetails(scope(graphFor(graph, nodeId, serverNow())), nodeId);
  if (!r) throw new NotFound("No such node in this graph.");
  return { ...redactPolicyNames(r, visibility), policies: r.policies.filter((p) => !visibility.hiddenPolicyNames.has(p.name)) };
}

/** Computes the current release's graph of every cluster, so the first visitor finds it cached. */
export async function warmReleaseGraphs(db: Queryable): Promise<number> {
  const names = await clusterNames(db);
  for (const name of names) await loadGraph(db, name, { kind: "release" }, null);
  return names.length;
}
