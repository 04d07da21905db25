// The graph's view as a URL: cluster, overlay, filters, layout, a focused
// workload, the observed-denials toggle and a replay run's overlay live in /graph's query, so a reload or a shared link opens the same
// view and the browser's back and forward step through the changes (pure).
import type { AllowanceLayer } from "@/lib/graph/types";
import { DEFAULT_FILTERS, LAYERS, type CanvasFilters } from "./filters";
import type { GraphLayout } from "./graph-canvas";

export interface GraphUrlState {
  cluster: string | null;
  overlay: string | null;
  /** A workload to focus (search text, e.g. `checkout/cart`). */
  focus: string | null;
  layout: GraphLayout;
  filters: CanvasFilters;
  /** Observed denied flows of the last 24 h as red edges. */
  denials: boolean;
  /** A replay run whose changed paths are drawn (newly denied red, newly allowed green). */
  run: string | null;
}

const one = (params: URLSearchParams, key: string) => {
  const v = params.get(key)?.trim();
  return v ? v : null;
};

export function readGraphUrl(params: URLSearchParams): GraphUrlState {
  const hide = new Set((params.get("hide") ?? "").split(",").map((s) => s.trim()));
  const layers = Object.fromEntries(LAYERS.map((l) => [l, !hide.has(l)])) as Record<AllowanceLayer, boolean>;
  return {
    cluster: one(params, "cluster"),
    overlay: one(params, "overlay"),
    focus: one(params, "focus"),
    layout: params.get("layout") === "force" ? "force" : "grouped",
    denials: params.get("denials") === "24h",
    run: one(params, "run"),
    filters: {
      tenant: one(params, "tenant"),
      namespace: one(params, "namespace"),
      destination: one(params, "to"),
      showExternal: params.get("external") !== "hide",
      layers,
    },
  };
}

/** `/graph?…` with only what differs from the defaults, in a fixed order. */
export function graphUrl(state: GraphUrlState): string {
  const params = new URLSearchParams();
  const f = state.filters;
  if (state.cluster) params.set("cluster", state.cluster);
  if (state.overlay) params.set("overlay", state.overlay);
  if (f.tenant) params.set("tenant", f.tenant);
  if (f.namespace) params.set("namespace", f.namespace);
  if (f.destination) params.set("to", f.destination);
  const hidden = LAYERS.filter((l) => !f.layers[l]);
  if (hidden.length > 0) params.set("hide", hidden.join(","));
  if (!f.showExternal) params.set("external", "hide");
  if (state.layout !== "grouped") params.set("layout", state.layout);
  if (state.focus) params.set("focus", state.focus);
  if (state.denials) params.set("denials", "24h");
  if (state.run) params.set("run", state.run);
  const query = params.toString();
  return query ? `/graph?${query}` : "/graph";
}

export const DEFAULT_URL_STATE: GraphUrlState = {
  cluster: null,
  overlay: null,
  focus: null,
  layout: "grouped",
  filters: DEFAULT_FILTERS,
  denials: false,
  run: null,
};

/** The drafts overlay focused on a workload a draft selects (the editor's link after a save), or the whole overlay. */
export function draftOnGraphUrl(workload?: { cluster: string; namespace: string; name: string }): string {
  return graphUrl({
    ...DEFAULT_URL_STATE,
    overlay: "drafts",
    ...(workload ? { cluster: workload.cluster, focus: `${workload.namespace}/${workload.name}` } : {}),
  });
}

/** A replay run's changed paths on the graph of the cluster it was run in (the run page's link). */
export function runOnGraphUrl(run: { id: string; cluster: string }): string {
  return graphUrl({ ...DEFAULT_URL_STATE, cluster: run.cluster, run: run.id });
}
