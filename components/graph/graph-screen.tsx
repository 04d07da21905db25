"use client";

// The /graph screen: filters, the canvas, and the panels beside it. Data comes
// from the graph router; islands are expanded by loading their contents (one
// query per group) and re-projecting with the same pure code the server uses.
import { useQueries, useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { Button, Input, Notice, Select } from "@/components/ui/primitives";
import { toElements } from "@/lib/graph/elements";
import { impliedParent, parseNodeId } from "@/lib/graph/ids";
import { project } from "@/lib/graph/islands";
import type { GraphView } from "@/server/graph/service";
import type { AllowanceLayer, GraphData, GraphEdge, GraphNode, GraphWarning } from "@/lib/graph/types";
import { EdgePanel, NodePanel, IslandEdgePanel } from "./panels";
import { DEFAULT_FILTERS, type CanvasFilters } from "./filters";
// Cytoscape is part of this page's own bundle (it imports safely on the server), so the
// browser fetches it with the page's other scripts instead of after hydration.
import { GraphCanvas, type GraphCanvasApi, type GraphLayout } from "./graph-canvas";
import { CHANGE_COLOURS, LAYER_COLOURS, LAYER_NAMES } from "./stylesheet";


export interface GraphScreenProps {
  cluster: string | null;
  overlay: string | null;
  focus: string | null;
  /** The view of `cluster` and `overlay`, rendered with the page (null when the server refused it). */
  initialView: GraphView | null;
}

type Selection = { kind: "node" | "edge"; id: string } | null;

/** Organisations this large can open into thousands of elements, where WebGL pans smoothly. */
const WEBGL_FROM_WORKLOADS = 5000;

function webglAvailable(): boolean {
  try {
    return document.createElement("canvas").getContext("webgl2") !== null;
  } catch {
    return false;
  }
}

/** Groups whose contents are not in the base view: the default islands and everything inside them. */
function needsLoad(group: string, base: ReadonlySet<string>, parents: ReadonlyMap<string, string | undefined>): boolean {
  for (let cur: string | undefined = group, i = 0; cur && i < 8; i++, cur = parents.get(cur) ?? impliedParent(cur)) if (base.has(cur)) return true;
  return false;
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

/** The editor's reading of a drawn path: `ns/workload`, `dns:name`, `cidr:…`, `entity:world`. */
export function drawEndpoint(id: string, nodes: ReadonlyMap<string, GraphNode>): string | null {
  const p = parseNodeId(id);
  if (!p) return null;
  if (p.kind === "workload") return `${p.namespace}/${p.name}`;
  if (p.kind !== "external") return null;
  const n = nodes.get(id);
  if (n?.externalKind === "world") return "entity:world";
  if (n?.externalKind === "cidr") {
    const m = /\(([^)]+)\)$/.exec(n.label);
    return `cidr:${m ? m[1] : p.name}`;
  }
  return `dns:${p.name}`;
}

/** A few warnings above the canvas; the rest behind "and N more", so the graph stays in view. */
const WARNINGS_SHOWN = 5;

function warningItem(w: GraphWarning) {
  return (
    <li key={`${w.document}|${w.path}|${w.message}`}>
      <a className="font-mono text-amber-950 underline" href={`/policies/${encodeURIComponent(w.document)}`}>
        {w.document}
      </a>
      {w.path ? <span className="font-mono"> {w.path}</span> : null}: {w.message} <span className="text-amber-700">({w.clusters.join(", ")})</span>
    </li>
  );
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

  const [userExpanded, setUserExpanded] = useState<Set<string>>(new Set());
  const [userCollapsed, setUserCollapsed] = useState<Set<string>>(new Set());
  const [filters, setFilters] = useState<CanvasFilters>(DEFAULT_FILTERS);
  const [selection, setSelection] = useState<Selection>(null);
  const [search, setSearch] = useState(props.focus ?? "");
  const [notice, setNotice] = useState<string | null>(null);
  const [drawMode, setDrawMode] = useState(false);
  const [layout, setLayout] = useState<GraphLayout>("grouped");
  const [layoutInfo, setLayoutInfo] = useState<{ ms: number; nodes: number; edges: number } | null>(null);
  const pending = useRef<{ kind: "node" | "edge"; id: string } | null>(null);
  const focusDone = useRef(false);
  const api = useRef<GraphCanvasApi | null>(null);
  const [webgl, setWebgl] = useState<boolean | null>(null);

  // A new cluster or overlay starts from its default view.
  const viewKey = `${view?.cluster}|${view?.overlay}`;
  const [seenKey, setSeenKey] = useState(viewKey);
  if (seenKey !== viewKey) {
    setSeenKey(viewKey);
    setUserExpanded(new Set());
    setUserCollapsed(new Set());
    setSelection(null);
  }

  const baseCollapsed = useMemo(() => new Set(view?.collapsed ?? []), [view]);
  const parents = useMemo(() => new Map((view?.nodes ?? []).map((n) => [n.id, n.parent])), [view]);
  const toLoad = useMemo(() => [...userExpanded].filter((g) => needsLoad(g, baseCollapsed, parents)).sort(), [userExpanded, baseCollapsed, parents]);
  // A large cluster's opened namespaces draw their paths to each other workload by workload: each one's query names the others.
  const openNamespaces = view?.onDemand ? toLoad.filter((g) => parseNodeId(g)?.kind === "namespace") : [];
  const groupQueries = useQueries({
    queries: toLoad.map((group) =>
      trpc.graph.group.queryOptions(
        { ...scope, group, ...(openNamespaces.includes(group) ? { open: openNamespaces.filter((o) => o !== group) } : {}) },
        // While another namespace opens, keep drawing this one (only its own earlier answer: indexes shift).
        { staleTime: 60_000, placeholderData: (previous, query) => ((query?.queryKey[1] as { input?: { group?: string } } | undefined)?.input?.group === group ? previous : undefined) },
      ),
    ),
  });
  const loaded = new Map<string, GraphData>();
  toLoad.forEach((g, i) => {
    const d = groupQueries[i]?.data;
    if (d) loaded.set(g, d);
  });
  const loadedKey = [...loaded.keys()].join("|");

  const { pool, projected, collapsed } = useMemo(() => {
    if (!view) return { pool: null, projected: null, collapsed: new Set<string>() };
    const nodes = new Map<string, GraphNode>(view.nodes.map((n) => [n.id, n]));
    const edges = new Map<string, GraphEdge>(view.edges.map((e) => [e.id, e]));
    for (const d of loaded.values()) {
      for (const n of d.nodes) nodes.set(n.id, n);
      for (const e of d.edges) edges.set(e.id, e);
    }
    const eff = new Set([...baseCollapsed, ...userCollapsed]);
    for (const g of userExpanded) if (!needsLoad(g, baseCollapsed, parents) || loaded.has(g)) eff.delete(g);
    const pool: GraphData = { nodes: [...nodes.values()], edges: [...edges.values()] };
    return { pool, projected: project(pool, eff), collapsed: eff };
    // loadedKey stands for the loaded map's contents.
  }, [view, loadedKey, baseCollapsed, userCollapsed, userExpanded, parents]);

  const elements = useMemo(() => (projected ? toElements(projected) : []), [projected]);
  const poolNodes = useMemo(() => new Map((pool?.nodes ?? []).map((n) => [n.id, n])), [pool]);
  const projectedEdges = useMemo(() => new Map((projected?.edges ?? []).map((e) => [e.id, e])), [projected]);

  // The instance is created once, so the choice is by what the view could grow to, not by its
  // default (islands): WebGL spends about a second on textures before its first frame.
  useEffect(() => {
    if (view && webgl === null) setWebgl(view.stats.workloads >= WEBGL_FROM_WORKLOADS && webglAvailable());
  }, [view, webgl]);

  /** Open every collapsed group that hides `id`; true when it is already drawn. */
  const reveal = useCallback(
    (id: string): boolean => {
      const hiding: string[] = [];
      for (let cur = poolNodes.get(id)?.parent ?? impliedParent(id), i = 0; cur && i < 8; i++, cur = poolNodes.get(cur)?.parent ?? impliedParent(cur)) if (collapsed.has(cur)) hiding.push(cur);
      if (hiding.length === 0) return true;
      setUserExpanded((s) => new Set([...s, ...hiding]));
      setUserCollapsed((s) => new Set([...s].filter((g) => !hiding.includes(g))));
      return false;
    },
    [poolNodes, collapsed],
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
      setFilters((f) => ({ ...f, tenant: null, namespace: null, destination: null }));
      if (reveal(hit.id) && api.current?.focusNode(hit.id)) setSelection({ kind: "node", id: hit.id });
      else pending.current = { kind: "node", id: hit.id };
      return true;
    },
    [pool, reveal],
  );

  // After each layout: finish what waited for elements (overlay path, focus).
  const onLayout = useCallback(
    (info: { ms: number; nodes: number; edges: number }) => {
      setLayoutInfo(info);
      const p = pending.current;
      if (p && api.current?.has(p.id)) {
        pending.current = null;
        if (p.kind === "edge") api.current.selectEdge(p.id);
        else api.current.focusNode(p.id);
        setSelection(p);
      }
    },
    [],
  );
  useEffect(() => {
    if (!focusDone.current && props.focus && layoutInfo && pool) {
      focusDone.current = true;
      focusWorkload(props.focus);
    }
  }, [layoutInfo, pool, props.focus, focusWorkload]);

  const toggleGroup = useCallback(
    (id: string) => {
      if (collapsed.has(id)) {
        setUserExpanded((s) => new Set([...s, id]));
        setUserCollapsed((s) => new Set([...s].filter((g) => g !== id)));
      } else {
        setUserCollapsed((s) => new Set([...s, id]));
        setUserExpanded((s) => new Set([...s].filter((g) => g !== id)));
      }
      setSelection(null);
    },
    [collapsed],
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

  const tenants = useMemo(() => [...new Set((view?.nodes ?? []).filter((n) => n.kind === "tenant" && n.tenant).map((n) => n.tenant!))].sort(), [view]);
  const namespaces = useMemo(
    () => [...new Set((view?.nodes ?? []).filter((n) => n.kind === "namespace" && (!filters.tenant || n.tenant === filters.tenant)).map((n) => n.namespace!))].sort(),
    [view, filters.tenant],
  );
  const destinations = useMemo(
    () => (projected?.nodes ?? []).filter((n) => n.kind === "external" || n.kind === "workload" || n.collapsed).map((n) => ({ id: n.id, label: n.kind === "workload" ? `${n.namespace}/${n.label}` : n.collapsed ? `${n.label} (island)` : n.label })).sort((a, b) => a.label.localeCompare(b.label)),
    [projected],
  );
  const searchOptions = useMemo(() => (pool?.nodes ?? []).filter((n) => n.kind === "workload").slice(0, 2000).map((n) => `${n.namespace}/${n.label}`), [pool]);

  const selectedEdge = selection?.kind === "edge" ? projectedEdges.get(selection.id) : undefined;

  const groupError = groupQueries.find((q) => q.error)?.error;
  const documentsWarned = new Set((view?.warnings ?? []).map((w) => w.document)).size;
  // From the cluster list itself, so the picker still works when the view failed (a wrong ?cluster=).
  const clusterList = useQuery({ ...trpc.org.clusters.queryOptions(), enabled: Boolean(viewQuery.error) });
  const clusterNames = view?.clusters ?? clusterList.data?.map((c) => c.name) ?? [];

  return (
    <div className="flex flex-col gap-3" data-testid="graph-screen" data-ready={layoutInfo ? "true" : "false"} data-layout-ms={layoutInfo?.ms}>
      <form
        className="flex flex-wrap items-end gap-3 rounded-xl border border-slate-200 bg-white px-4 py-2.5 shadow-sm"
        onSubmit={(e) => {
          e.preventDefault();
          focusWorkload(search);
        }}
        aria-label="Graph filters"
      >
        <label className="w-36 text-xs font-medium text-slate-600">
          Cluster
          <Select aria-label="Cluster" value={view?.cluster ?? cluster ?? ""} onChange={(e) => setClusterParam(e.target.value)} className="mt-1">
            {clusterNames.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
            <option value="all">All clusters</option>
          </Select>
        </label>
        <label className="w-36 text-xs font-medium text-slate-600">
          Tenant
          <Select aria-label="Tenant" value={filters.tenant ?? ""} onChange={(e) => setFilters((f) => ({ ...f, tenant: e.target.value || null, namespace: null, destination: null }))} className="mt-1">
            <option value="">All tenants</option>
            {tenants.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </Select>
        </label>
        <label className="w-40 text-xs font-medium text-slate-600">
          Namespace
          <Select aria-label="Namespace" value={filters.namespace ?? ""} onChange={(e) => setFilters((f) => ({ ...f, namespace: e.target.value || null, destination: null }))} className="mt-1">
            <option value="">All namespaces</option>
            {namespaces.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </Select>
        </label>
        <label className="w-52 text-xs font-medium text-slate-600">
          Only paths to
          <Select aria-label="Only paths to" value={filters.destination ?? ""} onChange={(e) => setFilters((f) => ({ ...f, destination: e.target.value || null, tenant: null, namespace: null }))} className="mt-1">
            <option value="">Any destination</option>
            {destinations.map((d) => (
              <option key={d.id} value={d.id}>
                {d.label}
              </option>
            ))}
          </Select>
        </label>
        <label className="w-52 text-xs font-medium text-slate-600">
          Layout
          <Select aria-label="Layout" value={layout} onChange={(e) => setLayout(e.target.value as GraphLayout)} className="mt-1">
            <option value="grouped">Grouped by tenant</option>
            <option value="force">Force-directed</option>
          </Select>
        </label>
        <label className="text-xs font-medium text-slate-600">
          Find a workload
          <div className="mt-1 flex gap-1">
            <Input aria-label="Find a workload" list="graph-workloads" placeholder="namespace/workload" value={search} onChange={(e) => setSearch(e.target.value)} className="!w-48" />
            <Button type="submit" variant="secondary">
              Focus
            </Button>
          </div>
          <datalist id="graph-workloads">
            {searchOptions.map((o) => (
              <option key={o} value={o} />
            ))}
          </datalist>
        </label>
      </form>

      <fieldset className="flex flex-wrap items-center gap-x-4 gap-y-1 px-1 text-xs text-slate-600">
        <legend className="sr-only">Layers</legend>
        <span className="font-medium text-slate-700">Layers:</span>
        {(Object.keys(filters.layers) as AllowanceLayer[]).map((l) => (
          <label key={l} className="flex items-center gap-1.5">
            <input type="checkbox" checked={filters.layers[l]} onChange={(e) => setFilters((f) => ({ ...f, layers: { ...f.layers, [l]: e.target.checked } }))} aria-label={`Layer ${LAYER_NAMES[l]}`} />
            <span className="inline-block h-0.5 w-5" style={{ background: LAYER_COLOURS[l], borderTop: l === "exception" ? `2px dashed ${LAYER_COLOURS[l]}` : undefined }} />
            {LAYER_NAMES[l]}
          </label>
        ))}
        {overlay ? (
          <>
            <span className="flex items-center gap-1.5"><span className="inline-block h-1 w-5" style={{ background: CHANGE_COLOURS.added }} />added by the change</span>
            <span className="flex items-center gap-1.5"><span className="inline-block h-1 w-5" style={{ background: CHANGE_COLOURS.removed }} />removed by the change</span>
          </>
        ) : null}
        <label className="flex items-center gap-1.5">
          <input type="checkbox" checked={filters.showExternal} onChange={(e) => setFilters((f) => ({ ...f, showExternal: e.target.checked }))} />
          External destinations
        </label>
        <div className="ml-auto flex gap-2">
          {/* The drafts overlay, reachable from here and not only by typing its URL. */}
          <a
            href={`/graph?${new URLSearchParams({ cluster: scope.cluster, ...(overlay ? {} : { overlay: "drafts" }) }).toString()}`}
            className="inline-flex items-center rounded-lg bg-white px-3 py-1.5 text-sm font-medium text-slate-800 ring-1 ring-inset ring-slate-300 hover:bg-slate-50"
          >
            {overlay ? "Back to the release" : "Show pending drafts"}
          </a>
          <Button type="button" variant={drawMode ? "primary" : "secondary"} aria-pressed={drawMode} onClick={() => setDrawMode((d) => !d)} title="Drag (or click, then click) from a workload to another node to draft an allow rule">
            {drawMode ? "Drawing: pick two nodes" : "Draw a path"}
          </Button>
          <Button type="button" variant="secondary" onClick={() => api.current?.fit()}>
            Fit
          </Button>
          <Button type="button" variant="secondary" onClick={() => { const b = api.current?.exportPng(); if (b) download(`policyplane-graph-${scope.cluster}.png`, b); }}>
            PNG
          </Button>
          <Button type="button" variant="secondary" onClick={() => { const s = api.current?.exportSvg(); if (s) download(`policyplane-graph-${scope.cluster}.svg`, new Blob([s], { type: "image/svg+xml" })); }}>
            SVG
          </Button>
        </div>
        {view ? (
          <span className="w-full text-slate-500" data-testid="graph-stats">
            {view.stats.workloads} workloads · {view.stats.paths} allowed paths · secure by default · {collapsed.size > 0 ? `${collapsed.size} islands (double-click to open)` : "all groups open"} · every arrow is
            an allowed path; click a workload or an arrow for the engine&rsquo;s details
            {layoutInfo ? <span className="text-slate-400"> · laid out {layoutInfo.nodes} nodes and {layoutInfo.edges} edges in {layoutInfo.ms} ms</span> : null}
          </span>
        ) : null}
      </fieldset>
      {notice ? <Notice tone="info">{notice}</Notice> : null}
      {view && view.warnings.length > 0 ? (
        <Notice tone="warning">
          <p className="font-medium">
            {documentsWarned === 1 ? "One document" : `${documentsWarned} documents`} could not be wholly applied, so this graph may lack paths their authors meant:
          </p>
          <ul className="mt-1 list-disc pl-5" data-testid="graph-warnings">
            {view.warnings.slice(0, WARNINGS_SHOWN).map(warningItem)}
          </ul>
          {view.warnings.length > WARNINGS_SHOWN ? (
            <details className="mt-1">
              <summary className="cursor-pointer">and {view.warnings.length - WARNINGS_SHOWN} more</summary>
              <ul className="list-disc pl-5">{view.warnings.slice(WARNINGS_SHOWN).map(warningItem)}</ul>
            </details>
          ) : null}
        </Notice>
      ) : null}
      {groupError ? <Notice tone="error">A group could not be opened: {groupError.message}</Notice> : null}

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
          {view && overlay ? (
            <section aria-labelledby="overlay-paths-title" className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
              <h2 id="overlay-paths-title" className="text-sm font-semibold text-slate-900">
                Paths this change adds or removes
              </h2>
              {view.paths.length === 0 ? (
                <p className="mt-2 text-sm text-slate-500">This change adds or removes no allowed path in {view.cluster === "all" ? "any cluster" : view.cluster}.</p>
              ) : (
                <ul className="mt-2 space-y-1">
                  {view.paths.map((p) => (
                    <li key={`${p.edgeId}|${p.change}`}>
                      <button
                        type="button"
                        data-testid="overlay-path"
                        data-change={p.change}
                        onClick={() => {
                          const parsed = p.edgeId.slice(2).split("->");
                          showEdge(p.edgeId, parsed[0]!, parsed[1]!);
                        }}
                        className={`w-full rounded-md px-2 py-1 text-left font-mono text-xs ring-1 ring-inset ${p.change === "added" ? "bg-emerald-50 text-emerald-900 ring-emerald-200 hover:bg-emerald-100" : "bg-rose-50 text-rose-900 ring-rose-200 hover:bg-rose-100"}`}
                      >
                        {view.cluster === "all" ? <span className="sr-only">{p.cluster}: </span> : null}
                        {p.label}
                      </button>
                    </li>
                  ))}
                </ul>
              )}
              {view.pathsTotal > view.paths.length ? <p className="mt-2 text-xs text-slate-500">Showing {view.paths.length} of {view.pathsTotal}.</p> : null}
            </section>
          ) : null}
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
