// The graph service: reads the inventory and the documents in force, computes
// the graph with the engine (compute.ts) and keeps recent results in memory,
// keyed by what they were computed from (clusters, document versions, inventory).
import { createHash } from "node:crypto";
import { asc } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { mayReadTenant } from "@/server/auth/authorize";
import { redactPolicyNames, visibilityOf, type Visibility } from "@/server/auth/visibility";
import type { Actor } from "@/server/context";
import { clusters as clustersTable } from "@/db/schema";
import { NotFound } from "@/server/errors";
import { loadClusterModels } from "@/server/inventory/cluster-model";
import { changeRequestOverlay, pendingDrafts, releasedDocuments, releasedWith, type StoredDocument } from "@/server/policies/documents";
import { computeGraph, type ComputedGraph } from "./compute";
import { edgeRationale, nodeDetails } from "./details";
import { EXTERNALS_GROUP } from "./ids";
import { defaultCollapsed, groupContents, isGroup, project } from "./islands";
import { scopeGraph } from "./scope";
import { overlayKey, type GraphData, type GraphEdge, type GraphNode, type GraphWarning, type OverlayPath, type OverlaySpec } from "./types";

export const ALL_CLUSTERS = "all";
const CACHE_SIZE = 12;
const MAX_OVERLAY_PATHS = 500;

// On globalThis: start-up warming (instrumentation) and the route handlers may be separate bundles.
const globalForGraphs = globalThis as unknown as { policyplaneGraphCache?: Map<string, { graph: ComputedGraph; validUntil: number }> };
const cache = (globalForGraphs.policyplaneGraphCache ??= new Map());

function signature(parts: unknown): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 32);
}

const docSig = (docs: readonly StoredDocument[]) => docs.map((d) => `${d.policyId}@${d.version}`);

/** Who is looking: an overlay shows only what they may read (the release graph is the organisation's). */
export interface Viewer {
  db: Queryable;
  actor: Actor;
}

async function documentSets(db: Queryable, overlay: OverlaySpec, actor: Actor | null): Promise<{ release: StoredDocument[]; proposal?: StoredDocument[] }> {
  const release = await releasedDocuments(db);
  if (overlay.kind === "release") return { release };
  const readable = (ref: { tenantId: string | null }) => actor !== null && mayReadTenant(actor, ref.tenantId);
  let refs;
  if (overlay.kind === "drafts") refs = (await pendingDrafts(db)).filter(readable);
  else {
    refs = await changeRequestOverlay(db, overlay.id);
    // As on the change's own page: only someone who may read every policy in it.
    if (!refs.every(readable)) throw new NotFound("No such change request.");
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
export async function loadGraph(db: Queryable, cluster: string, overlay: OverlaySpec, actor: Actor | null, now = new Date()): Promise<{ graph: ComputedGraph; cached: boolean }> {
  // The loader refuses an unknown cluster name (NotFound) itself.
  const [docs, contexts] = await Promise.all([documentSets(db, overlay, actor), loadClusterModels(db, cluster === ALL_CLUSTERS ? undefined : [cluster])]);
  const key = `${cluster}|${overlayKey(overlay)}|${signature({
    release: docSig(docs.release),
    proposal: docs.proposal ? docSig(docs.proposal) : null,
    models: contexts.map((c) => [c.name, c.region, c.model]),
  })}`;
  const hit = cache.get(key);
  if (hit && now.getTime() < hit.validUntil) {
    cache.delete(key);
    cache.set(key, hit);
    return { graph: hit.graph, cached: true };
  }
  const versioned = (d: StoredDocument) => ({ document: d.document, version: d.version });
  const graph = computeGraph({
    clusters: contexts.map((c) => ({ name: c.name, region: c.region, model: c.model })),
    release: docs.release.map(versioned),
    ...(docs.proposal ? { proposal: docs.proposal.map(versioned) } : {}),
    time: now,
    allClusters: cluster === ALL_CLUSTERS,
  });
  cache.set(key, { graph, validUntil: graph.validUntil });
  while (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  return { graph, cached: false };
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
  paths: OverlayPath[];
  pathsTotal: number;
  /** Documents the engine could not wholly apply here: the graph may lack what their authors meant. */
  warnings: GraphWarning[];
  stats: { workloads: number; paths: number; computedMs: number; cached: boolean; secureByDefault: true };
}

/** The default view: what fits is expanded, the rest collapsed into islands. */
export function viewOf(graph: ComputedGraph, cluster: string, overlay: OverlaySpec, cached: boolean, allClusterNames: string[]): GraphView {
  const collapsed = defaultCollapsed(graph.data.nodes);
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
    paths: graph.paths.slice(0, MAX_OVERLAY_PATHS),
    pathsTotal: graph.paths.length,
    warnings: graph.warnings,
    stats: {
      workloads: graph.data.nodes.filter((n) => n.kind === "workload").length,
      paths: graph.data.edges.filter((e) => !e.fronts).length,
      computedMs: graph.computedMs,
      cached,
      secureByDefault: true,
    },
  };
}

/** The view of a cluster (default: the first by name), all clusters ("all"), with an optional overlay. */
export async function graphView({ db, actor }: Viewer, cluster: string | null, overlay: OverlaySpec): Promise<GraphView> {
  const names = await clusterNames(db);
  const chosen = cluster ?? names[0];
  if (!chosen) throw new NotFound("No cluster is registered yet.");
  const { graph, cached } = await scopedGraph({ db, actor }, chosen, overlay);
  return viewOf(graph, chosen, overlay, cached, names);
}

/** The computed graph as this viewer may see it (other tenants folded into opaque nodes). */
async function scopedGraph({ db, actor }: Viewer, cluster: string, overlay: OverlaySpec): Promise<{ graph: ComputedGraph; cached: boolean; visibility: Visibility }> {
  const [{ graph, cached }, visibility] = await Promise.all([loadGraph(db, cluster, overlay, actor), visibilityOf(db, actor)]);
  return { graph: scopeGraph(graph, visibility), cached, visibility };
}

/** An island's contents, loaded when the person expands it. */
export async function graphGroup(viewer: Viewer, cluster: string, overlay: OverlaySpec, groupId: string): Promise<GraphData> {
  const { graph } = await scopedGraph(viewer, cluster, overlay);
  const group = graph.data.nodes.find((n) => n.id === groupId);
  if (!group || (!isGroup(group) && group.id !== EXTERNALS_GROUP)) throw new NotFound("No such group in this graph.");
  return groupContents(graph.data, groupId);
}

export async function graphEdge(viewer: Viewer, cluster: string, overlay: OverlaySpec, edgeId: string) {
  const { graph, visibility } = await scopedGraph(viewer, cluster, overlay);
  const r = edgeRationale(graph, edgeId);
  if (!r) throw new NotFound("No such path in this graph.");
  return redactPolicyNames(r, visibility);
}

export async function graphNode(viewer: Viewer, cluster: string, overlay: OverlaySpec, nodeId: string) {
  const { graph, visibility } = await scopedGraph(viewer, cluster, overlay);
  const r = nodeDetails(graph, nodeId);
  if (!r) throw new NotFound("No such node in this graph.");
  return { ...redactPolicyNames(r, visibility), policies: r.policies.filter((p) => !visibility.hiddenPolicyNames.has(p.name)) };
}

/** Computes the current release's graph of every cluster, so the first visitor finds it cached. */
export async function warmReleaseGraphs(db: Queryable): Promise<number> {
  const names = await clusterNames(db);
  for (const name of names) await loadGraph(db, name, { kind: "release" }, null);
  return names.length;
}
