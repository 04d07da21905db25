"use client";

// The /graph screen: filters, toolbar, warnings, the canvas, and the panels
// beside it. Data comes from the graph router; which groups are islands (and
// what opening one loads) is the useIslands hook's business.
import { useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { Button, Notice } from "@/components/ui/primitives";
import { toElements } from "@/server/graph/elements";
import { parseNodeId } from "@/server/graph/ids";
import type { GraphView } from "@/server/graph/service";
import type { GraphEdge, GraphNode } from "@/server/graph/types";
import { drawEndpoint } from "./draw";
import { FilterBar } from "./filter-bar";
import { DEFAULT_FILTERS, type CanvasFilters } from "./filters";
// Cytoscape is part of this page's own bundle (it imports safely on the server), so the
// browser fetches it with the page's other scripts instead of after hydration.
import { GraphCanvas, type GraphCanvasApi, type GraphLayout } from "./graph-canvas";
import { OverlayPanel } from "./overlay-panel";
import { EdgePanel, IslandEdgePanel, NodePanel } from "./panels";
import { Toolbar } from "./toolbar";
import { useIslands } from "./use-islands";
import { GraphWarnings } from "./warnings";

export interface GraphScreenProps {
  cluster: string | null;
  overlay: string | null;
  focus: string | null;
  /** The view of `cluster` and `overlay`, rendered with the page (null when the server refused it). */
  initialView: GraphView | null;
}

type Selection = { kind: "node" | "edge"; id: string } | null;
type LayoutInfo = { ms: number; nodes: number; edges: number };

/** Organisations this large can open into thousands of elements, where WebGL pans smoothly. */
const WEBGL_FROM_WORKLOADS = 5000;

function webglAvailable(): boolean {
  try {
    return document.createElement("canvas").getContext("webgl2") !== null;
  } catch {
    return false;
  }
}

/** A large cluster's server holds the aggregated paths between namespaces, workloads and external destinations; coarser ones exist only in the projection. */
function heldByServer(edge: GraphEdge): boolean {
  return [edge.source, edge.target].every((id) => {
    const kind = parseNodeId(id)?.kind;
    return kind === "namespace" || kind === "workload" || kind === "external";
  });
}

function download(name: string, blob: Blob) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function GraphScreen(props: GraphScreenProps) {
  const trpc = useTRPC();
  const router = useRouter();
  const [cluster, setCluster] = useState<string | null>(props.cluster);
  const overlay = props.overlay ?? undefined;
  const initial = cluster === props.cluster ? props.initialView : null;
  const viewQuery = useQuery(trpc.graph.view.queryOptions({ ...(cluster ? { cluster } : {}), ...(overlay ? { overlay } : {}) }, { staleTime: 60_000, ...(initial ? { initialData: initial } : {}) }));
  const view = viewQuery.data;
  const scope = { cluster: view?.cluster ?? cluster ?? "", ...(overlay ? { overlay } : {}) };

  const islands = useIslands(view, scope);
  const { pool, projected, collapsed, poolNodes, reveal } = islands;
  const [filters, setFilters] = useState<CanvasFilters>(DEFAULT_FILTERS);
  const changeFilters = useCallback((change: Partial<CanvasFilters>) => setFilters((f) => ({ ...f, ...change })), []);
  const [selection, setSelection] = useState<Selection>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [drawMode, setDrawMode] = useState(false);
  const [layout, setLayout] = useState<GraphLayout>("grouped");
  const [layoutInfo, setLayoutInfo] = useState<LayoutInfo | null>(null);
  const [webgl, setWebgl] = useState<boolean | null>(null);
  const pending = useRef<{ kind: "node" | "edge"; id: string } | null>(null);
  const focusDone = useRef(false);
  const api = useRef<GraphCanvasApi | null>(null);

  // A new cluster or overlay starts with nothing selected.
  const viewKey = `${view?.cluster}|${view?.overlay}`;
  const [seenKey, setSeenKey] = useState(viewKey);
  if (seenKey !== viewKey) {
    setSeenKey(viewKey);
    setSelection(null);
  }

  const elements = useMemo(() => (projected ? toElements(projected) : []), [projected]);

  // The instance is created once, so the choice is by what the view could grow to, not by its
  // default (islands): WebGL spends about a second on textures before its first frame.
  useEffect(() => {
    if (view && webgl === null) setWebgl(view.stats.workloads >= WEBGL_FROM_WORKLOADS && webglAvailable());
  }, [view, webgl]);

  const showEdge = useCallback(
    (edgeId: string, source: string, target: string) => {
      const a = reveal(source);
      const b = reveal(target);
      if (a && b && api.current?.selectEdge(edgeId)) setSelection({ kind: "edge", id: edgeId });
      else pending.current = { kind: "edge", id: edgeId };
    },
    [reveal],
  );

  const focusWorkload = useCallback(
    (text: string): boolean => {
      const q = text.trim().toLowerCase();
      if (!q || !pool) return false;
      const leaves = pool.nodes.filter((n) => n.kind === "workload" || n.kind === "external" || n.kind === "service");
      const label = (n: GraphNode) => (n.namespace ? `${n.namespace}/${n.label}` : n.label).toLowerCase();
      const hit = leaves.find((n) => label(n) === q) ?? leaves.find((n) => label(n).includes(q));
      if (!hit) {
        setNotice(`No workload matches “${text}” in this view.`);
        return false;
      }
      setNotice(null);
      changeFilters({ tenant: null, namespace: null, destination: null });
      if (reveal(hit.id) && api.current?.focusNode(hit.id)) setSelection({ kind: "node", id: hit.id });
      else pending.current = { kind: "node", id: hit.id };
      return true;
    },
    [pool, reveal, changeFilters],
  );

  // After each layout: finish what waited for elements (overlay path, focus).
  const onLayout = useCallback((info: LayoutInfo) => {
    setLayoutInfo(info);
    const p = pending.current;
    if (p && api.current?.has(p.id)) {
      pending.current = null;
      if (p.kind === "edge") api.current.selectEdge(p.id);
      else api.current.focusNode(p.id);
      setSelection(p);
    }
  }, []);
  useEffect(() => {
    if (!focusDone.current && props.focus && layoutInfo && pool) {
      focusDone.current = true;
      focusWorkload(props.focus);
    }
  }, [layoutInfo, pool, props.focus, focusWorkload]);

  const toggleGroup = useCallback(
    (id: string) => {
      islands.toggle(id);
      setSelection(null);
    },
    [islands.toggle],
  );

  const onDraw = useCallback(
    (from: string, to: string) => {
      const f = drawEndpoint(from, poolNodes);
      const t = drawEndpoint(to, poolNodes);
      setDrawMode(false);
      if (!f || !t) {
        setNotice("Draw from a workload to a workload or an external destination.");
        return;
      }
      router.push(`/policies/new?from=${encodeURIComponent(f)}&to=${encodeURIComponent(t)}`);
    },
    [poolNodes, router],
  );

  const setClusterParam = (value: string) => {
    setCluster(value);
    setFilters(DEFAULT_FILTERS);
    const params = new URLSearchParams();
    params.set("cluster", value);
    if (overlay) params.set("overlay", overlay);
    // The URL follows without a server round trip: the view query fetches the new cluster itself.
    window.history.replaceState(null, "", `/graph?${params.toString()}`);
  };

  const selectedEdge = selection?.kind === "edge" ? islands.projectedEdges.get(selection.id) : undefined;
  // From the cluster list itself, so the picker still works when the view failed (a wrong ?cluster=).
  const clusterList = useQuery({ ...trpc.org.clusters.queryOptions(), enabled: Boolean(viewQuery.error) });
  const clusterNames = view?.clusters ?? clusterList.data?.map((c) => c.name) ?? [];

  return (
    <div className="flex flex-col gap-3" data-testid="graph-screen" data-ready={layoutInfo ? "true" : "false"} data-layout-ms={layoutInfo?.ms}>
      <FilterBar
        cluster={view?.cluster ?? cluster ?? ""}
        clusterNames={clusterNames}
        onCluster={setClusterParam}
        filters={filters}
        onFilters={changeFilters}
        layout={layout}
        onLayout={setLayout}
        viewNodes={view?.nodes ?? []}
        projected={projected}
        pool={pool}
        initialSearch={props.focus ?? ""}
        onFocus={focusWorkload}
      />
      <Toolbar
        filters={filters}
        onFilters={changeFilters}
        overlay={overlay}
        overlayHref={`/graph?${new URLSearchParams({ cluster: scope.cluster, ...(overlay ? {} : { overlay: "drafts" }) }).toString()}`}
        drawMode={drawMode}
        onDrawMode={setDrawMode}
        onFit={() => api.current?.fit()}
        onExportPng={() => {
          const b = api.current?.exportPng();
          if (b) download(`policyplane-graph-${scope.cluster}.png`, b);
        }}
        onExportSvg={() => {
          const s = api.current?.exportSvg();
          if (s) download(`policyplane-graph-${scope.cluster}.svg`, new Blob([s], { type: "image/svg+xml" }));
        }}
        stats={
          view ? (
            <span className="w-full text-slate-500" data-testid="graph-stats">
              {view.stats.workloads} workloads · {view.stats.paths} allowed paths · secure by default · {collapsed.size > 0 ? `${collapsed.size} islands (double-click to open)` : "all groups open"} · every arrow is an
              allowed path; click a workload or an arrow for the engine&rsquo;s details
              {layoutInfo ? <span className="text-slate-400"> · laid out {layoutInfo.nodes} nodes and {layoutInfo.edges} edges in {layoutInfo.ms} ms</span> : null}
            </span>
          ) : null
        }
      />
      {notice ? <Notice tone="info">{notice}</Notice> : null}
      {view ? <GraphWarnings warnings={view.warnings} /> : null}
      {islands.error ? <Notice tone="error">A group could not be opened: {islands.error.message}</Notice> : null}

      {/* The canvas keeps the full width (labels stay legible at fit); details float over its right edge. */}
      <div className="relative min-h-0">
        <div className="relative h-[max(720px,calc(100vh-300px))] min-w-0 overflow-hidden rounded-xl border border-slate-200 bg-white shadow-sm">
          {viewQuery.error ? (
            // Below the filters, so a wrong cluster or overlay in the URL can be changed from here.
            <div className="p-6">
              <Notice tone="error">The graph could not be computed: {viewQuery.error.message}</Notice>
            </div>
          ) : !view || webgl === null ? (
            <div className="p-6 text-sm text-slate-500">Computing allowed paths with the policy engine…</div>
          ) : (
            <GraphCanvas elements={elements} layout={layout} filters={filters} overlay={Boolean(overlay)} webgl={webgl} drawMode={drawMode} apiRef={api} onSelect={setSelection} onExpand={toggleGroup} onDraw={onDraw} onLayout={onLayout} />
          )}
          {view && view.stats.workloads === 0 ? (
            <p className="absolute inset-x-0 top-1/3 text-center text-sm text-slate-500">No workloads are known in {view.cluster === "all" ? "any cluster" : view.cluster} yet, so there are no paths to draw.</p>
          ) : null}
          {drawMode ? (
            <p className="absolute left-3 top-3 rounded-md bg-emerald-50 px-3 py-1.5 text-xs text-emerald-800 ring-1 ring-emerald-200">Drag from a workload to the destination (or click one, then the other) to draft an allow rule.</p>
          ) : null}
        </div>
        {overlay || selection ? (
          <aside aria-label="Details" className="absolute right-3 top-3 bottom-3 z-10 flex w-80 flex-col gap-3 overflow-y-auto">
            {selection ? (
              <div className="flex justify-end">
                <Button type="button" variant="secondary" onClick={() => setSelection(null)}>
                  Close details
                </Button>
              </div>
            ) : null}
            {view && overlay ? <OverlayPanel view={view} onShowEdge={showEdge} /> : null}
            {selection?.kind === "edge" && selectedEdge?.aggregate ? (
              <IslandEdgePanel edge={selectedEdge} nodes={poolNodes} onOpen={(ids) => ids.forEach((id) => collapsed.has(id) && toggleGroup(id))} {...(view?.onDemand && heldByServer(selectedEdge) ? { explain: scope } : {})} />
            ) : selection?.kind === "edge" ? (
              <EdgePanel scope={scope} edgeId={selection.id} />
            ) : selection?.kind === "node" ? (
              <NodePanel scope={scope} nodeId={selection.id} island={collapsed.has(selection.id)} onToggleGroup={toggleGroup} onShowEdge={showEdge} />
            ) : null}
          </aside>
        ) : null}
      </div>
    </div>
  );
}
