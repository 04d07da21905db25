"use client";

// The /graph screen: filters, toolbar, warnings, the canvas, and the details
// beside it. The view (cluster, overlay, filters, layout, focus) is the URL
// (useGraphUrl); which groups are islands is the useIslands hook's business;
// what the filters leave is decided on the elements (filters.ts) and the
// canvas only toggles classes.
import { useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { Notice } from "@/components/ui/primitives";
import { toElements } from "@/lib/graph/elements";
import { observedDenialElements } from "@/lib/graph/observed";
import { runOverlayElements } from "@/lib/graph/run-overlay";
import type { GraphView } from "@/server/graph/service";
import type { GraphNode } from "@/lib/graph/types";
import { DETAILS_WIDTH, DetailsAside, type Selection } from "./details-aside";
import { drawEndpoint } from "./draw";
import { FilterBar } from "./filter-bar";
import { DEFAULT_FILTERS, filterElements, filtering, shownCounts, type CanvasFilters } from "./filters";
// Cytoscape is part of this page's own bundle (it imports safely on the server), so the
// browser fetches it with the page's other scripts instead of after hydration.
import { GraphCanvas, type GraphCanvasApi } from "./graph-canvas";
import { RunLegend } from "./run-legend";
import { GraphStats } from "./stats";
import { Toolbar } from "./toolbar";
import { graphUrl } from "./url-state";
import { useGraphUrl } from "./use-graph-url";
import { useIslands } from "./use-islands";
import { GraphWarnings } from "./warnings";
import { downloadBlob } from "@/components/ui/download";

export interface GraphScreenProps {
  /** The cluster and overlay the page was rendered for (the URL's, on the server). */
  cluster: string | null;
  overlay: string | null;
  /** The view of `cluster` and `overlay`, rendered with the page (null when the server refused it). */
  initialView: GraphView | null;
}

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

/** Scope filters and a focused workload exclude each other: focusing clears them, choosing one ends the focus. */
const UNSCOPED: Pick<CanvasFilters, "tenant" | "namespace" | "destination"> = { tenant: null, namespace: null, destination: null };

export function GraphScreen(props: GraphScreenProps) {
  const trpc = useTRPC();
  const router = useRouter();
  const [url, updateUrl] = useGraphUrl();
  const { cluster, filters, layout } = url;
  const overlay = url.overlay ?? undefined;
  const initial = cluster === props.cluster && url.overlay === props.overlay ? props.initialView : null;
  const viewQuery = useQuery(
    trpc.graph.view.queryOptions(
      { ...(cluster ? { cluster } : {}), ...(overlay ? { overlay } : {}) },
      { staleTime: 60_000, ...(initial ? { initialData: initial } : {}) },
    ),
  );
  const view = viewQuery.data;
  const scope = { cluster: view?.cluster ?? cluster ?? "", ...(overlay ? { overlay } : {}) };

  const islands = useIslands(view, scope);
  const { pool, projected, collapsed, poolNodes, reveal } = islands;
  const [selection, setSelection] = useState<Selection>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [drawMode, setDrawMode] = useState(false);
  // What a drawn path leads to: a draft allow rule (the default) or a request for a time-boxed exception.
  const [drawFor, setDrawFor] = useState<"policy" | "exception">("policy");
  const [layoutInfo, setLayoutInfo] = useState<LayoutInfo | null>(null);
  const [webgl, setWebgl] = useState<boolean | null>(null);
  const pending = useRef<{ kind: "node" | "edge"; id: string } | null>(null);
  const focusedFor = useRef<string | null>(null);
  const api = useRef<GraphCanvasApi | null>(null);

  // A new cluster or overlay starts with nothing selected.
  const viewKey = `${view?.cluster}|${view?.overlay}`;
  const [seenKey, setSeenKey] = useState(viewKey);
  if (seenKey !== viewKey) {
    setSeenKey(viewKey);
    setSelection(null);
  }

  // Observed denials (the clusters' dropped flows, 24 h) as red edges over the allowed paths.
  const denialsQuery = useQuery({
    ...trpc.violations.observedDenials.queryOptions({ cluster: scope.cluster, range: "24h" }),
    enabled: url.denials && Boolean(scope.cluster),
  });
  const denials = useMemo(
    () => (url.denials && projected && denialsQuery.data ? observedDenialElements(projected.nodes, denialsQuery.data) : null),
    [url.denials, projected, denialsQuery.data],
  );
  // A replay run's changed paths (?run=): newly denied red, newly allowed green.
  const runQuery = useQuery({
    ...trpc.simulator.runOverlay.queryOptions({ id: url.run ?? "", cluster: scope.cluster }),
    enabled: Boolean(url.run && scope.cluster),
  });
  const runChanges = useMemo(
    () => (url.run && projected && runQuery.data ? runOverlayElements(projected.nodes, runQuery.data) : null),
    [url.run, projected, runQuery.data],
  );
  const elements = useMemo(
    () => (projected ? [...toElements(projected), ...(denials?.elements ?? []), ...(runChanges?.elements ?? [])] : []),
    [projected, denials, runChanges],
  );
  const outcome = useMemo(() => filterElements(elements, filters), [elements, filters]);
  const shown = useMemo(
    () => (projected && filtering(filters) ? shownCounts(projected, outcome.shown) : null),
    [projected, filters, outcome],
  );

  // The instance is created once, so the choice is by what the view could grow to, not by its
  // default (islands): WebGL spends about a second on textures before its first frame.
  useEffect(() => {
    if (view && webgl === null) setWebgl(view.stats.workloads >= WEBGL_FROM_WORKLOADS && webglAvailable());
  }, [view, webgl]);

  const changeFilters = useCallback(
    (change: Partial<CanvasFilters>) =>
      updateUrl((u) => ({
        filters: { ...u.filters, ...change },
        ...(change.tenant || change.namespace || change.destination ? { focus: null } : {}),
      })),
    [updateUrl],
  );

  const showEdge = useCallback(
    (edgeId: string, source: string, target: string) => {
      const a = reveal(source);
      const b = reveal(target);
      if (a && b && api.current?.selectEdge(edgeId)) setSelection({ kind: "edge", id: edgeId });
      else pending.current = { kind: "edge", id: edgeId };
    },
    [reveal],
  );

  const findWorkload = useCallback(
    (text: string): GraphNode | null => {
      const q = text.trim().toLowerCase();
      if (!q || !pool) return null;
      const leaves = pool.nodes.filter((n) => n.kind === "workload" || n.kind === "external" || n.kind === "service");
      const label = (n: GraphNode) => (n.namespace ? `${n.namespace}/${n.label}` : n.label).toLowerCase();
      const hit = leaves.find((n) => label(n) === q) ?? leaves.find((n) => label(n).includes(q));
      setNotice(hit ? null : `No workload matches “${text}” in this view.`);
      return hit ?? null;
    },
    [pool],
  );

  const focusNode = useCallback(
    (id: string) => {
      if (reveal(id) && api.current?.focusNode(id)) setSelection({ kind: "node", id });
      else pending.current = { kind: "node", id };
    },
    [reveal],
  );

  // The URL's focus, once drawn (on load, after a search, on back/forward): the scope filters give way to it.
  useEffect(() => {
    if (url.focus === null) focusedFor.current = null;
    if (url.focus === null || focusedFor.current === url.focus || !layoutInfo || !pool) return;
    focusedFor.current = url.focus;
    const hit = findWorkload(url.focus);
    if (!hit) return;
    if (filters.tenant || filters.namespace || filters.destination)
      updateUrl((u) => ({ filters: { ...u.filters, ...UNSCOPED } }), "replace");
    focusNode(hit.id);
  }, [url.focus, layoutInfo, pool, findWorkload, focusNode, filters, updateUrl]);

  const onSearch = useCallback(
    (text: string) => {
      const hit = findWorkload(text);
      if (!hit) return;
      // Searching the focused workload again brings it back into view.
      if (url.focus === text.trim()) focusNode(hit.id);
      else updateUrl((u) => ({ focus: text.trim(), filters: { ...u.filters, ...UNSCOPED } }));
    },
    [findWorkload, focusNode, url.focus, updateUrl],
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
      const query = `from=${encodeURIComponent(f)}&to=${encodeURIComponent(t)}`;
      router.push(drawFor === "exception" ? `/exceptions?${query}` : `/policies/new?${query}`);
    },
    [poolNodes, router, drawFor],
  );

  const selectedEdge = selection?.kind === "edge" ? islands.projectedEdges.get(selection.id) : undefined;
  // From the cluster list itself, so the picker still works when the view failed (a wrong ?cluster=).
  const clusterList = useQuery({ ...trpc.org.clusters.queryOptions(), enabled: Boolean(viewQuery.error) });
  const clusterNames = view?.clusters ?? clusterList.data?.map((c) => c.name) ?? [];

  return (
    <div
      className="flex flex-col gap-3"
      data-testid="graph-screen"
      data-ready={layoutInfo ? "true" : "false"}
      data-layout-ms={layoutInfo?.ms}
    >
      <FilterBar
        cluster={view?.cluster ?? cluster ?? ""}
        clusterNames={clusterNames}
        // Another cluster starts unfiltered; the view query fetches it without a server round trip for the page.
        onCluster={(value) => updateUrl(() => ({ cluster: value, filters: DEFAULT_FILTERS, focus: null }))}
        filters={filters}
        onFilters={changeFilters}
        layout={layout}
        onLayout={(value) => updateUrl(() => ({ layout: value }))}
        viewNodes={view?.nodes ?? []}
        projected={projected}
        pool={pool}
        initialSearch={url.focus ?? ""}
        onFocus={onSearch}
      />
      <Toolbar
        filters={filters}
        onFilters={changeFilters}
        overlay={overlay}
        overlayHref={graphUrl({ ...url, cluster: scope.cluster, overlay: overlay ? null : "drafts", focus: null })}
        denials={url.denials}
        onDenials={(on) => updateUrl(() => ({ denials: on }))}
        drawMode={drawMode}
        onDrawMode={setDrawMode}
        onFit={() => api.current?.fit()}
        onExportPng={() => {
          const b = api.current?.exportPng();
          if (b) downloadBlob(`policyplane-graph-${scope.cluster}.png`, b);
        }}
        onExportSvg={() => {
          const s = api.current?.exportSvg();
          if (s) downloadBlob(`policyplane-graph-${scope.cluster}.svg`, new Blob([s], { type: "image/svg+xml" }));
        }}
        stats={view ? <GraphStats stats={view.stats} shown={shown} islands={collapsed.size} layoutInfo={layoutInfo} /> : null}
      />
      {notice ? <Notice tone="info">{notice}</Notice> : null}
      {denials ? (
        <p className="px-1 text-xs text-rose-800" data-testid="observed-denials">
          {denials.elements.length} observed denied path{denials.elements.length === 1 ? "" : "s"} (last 24 h) drawn in red
          {denials.unplaced > 0 ? `; ${denials.unplaced.toLocaleString("en")} flows between endpoints this view does not show` : ""}.
        </p>
      ) : null}
      {url.run ? (
        <RunLegend
          runId={url.run}
          overlay={runChanges}
          error={runQuery.error?.message ?? null}
          onClose={() => updateUrl(() => ({ run: null }))}
        />
      ) : null}
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
            <GraphCanvas
              elements={elements}
              layout={layout}
              hidden={outcome.hidden}
              highlight={selection?.id ?? null}
              panelWidth={DETAILS_WIDTH}
              overlay={Boolean(overlay)}
              webgl={webgl}
              drawMode={drawMode}
              apiRef={api}
              onSelect={setSelection}
              onExpand={toggleGroup}
              onDraw={onDraw}
              onLayout={onLayout}
            />
          )}
          {view && view.stats.workloads === 0 ? (
            <p className="absolute inset-x-0 top-1/3 text-center text-sm text-slate-500">
              No workloads are known in {view.cluster === "all" ? "any cluster" : view.cluster} yet, so there are no paths to draw.
            </p>
          ) : null}
          {drawMode ? (
            <p className="absolute left-3 top-3 rounded-md bg-emerald-50 px-3 py-1.5 text-xs text-emerald-800 ring-1 ring-emerald-200">
              Drag from a workload to the destination (or click one, then the other) to{" "}
              {drawFor === "exception" ? "request an exception for this path" : "draft an allow rule"}.{" "}
              <button
                type="button"
                className="underline"
                aria-pressed={drawFor === "exception"}
                onClick={() => setDrawFor(drawFor === "exception" ? "policy" : "exception")}
              >
                {drawFor === "exception" ? "Draft a rule instead" : "Request an exception instead"}
              </button>
            </p>
          ) : null}
        </div>
        <DetailsAside
          view={view}
          scope={scope}
          selection={selection}
          selectedEdge={selectedEdge}
          nodes={poolNodes}
          collapsed={collapsed}
          onClose={() => setSelection(null)}
          onToggleGroup={toggleGroup}
          onShowEdge={showEdge}
        />
      </div>
    </div>
  );
}
