// The graph's look, keyed by the classes graph elements carry (lib/graph/elements.ts).
// Highlighting and filtering only toggle classes; nothing here reads data values
// except labels. Meaning is carried by colour and width as well as dash, because
// the WebGL renderer cannot draw dashed lines.
import type { StylesheetJson } from "cytoscape";
import { GROUP_BOXES as G, LABEL_MARGIN, LABEL_MAX_WIDTH, NODE_BOXES as N } from "@/lib/graph/geometry";
import { OBSERVED_DENIAL_CLASS } from "@/lib/graph/observed";
import { RUN_CHANGE_CLASSES } from "@/lib/graph/run-overlay";

export const LAYER_COLOURS = {
  namespace: "#2563eb",
  admin: "#7c3aed",
  exception: "#d97706",
  baseline: "#0d9488",
  default: "#94a3b8",
  mixed: "#64748b",
} as const;

export const CHANGE_COLOURS = { added: "#16a34a", removed: "#dc2626" } as const;
/** Flows the clusters dropped (observed, not computed): red, thick and solid (the WebGL renderer draws no dashes). */
export const OBSERVED_DENIAL_COLOUR = "#e11d48";

/** An egress gateway's routed leg to an external destination (not a policy layer: mesh routing). */
export const VIA_COLOUR = "#0891b2";

export const LAYER_NAMES: Record<keyof typeof LAYER_COLOURS, string> = {
  namespace: "Namespace policy",
  admin: "Admin tier",
  exception: "Exception (time-boxed)",
  baseline: "Baseline",
  default: "Default allow",
  mixed: "Several sources (island)",
};

const FONT = "Inter, ui-sans-serif, system-ui, sans-serif";

export function graphStylesheet(): StylesheetJson {
  return [
    {
      selector: "node",
      style: {
        label: "data(label)",
        "font-family": FONT,
        "font-size": N.node.fontSize,
        color: "#0f172a",
        "text-valign": "bottom",
        "text-halign": "center",
        "text-margin-y": LABEL_MARGIN,
        "text-wrap": "wrap",
        "text-max-width": `${LABEL_MAX_WIDTH}px`,
        // Level of detail: labels disappear when they would be drawn smaller than this.
        "min-zoomed-font-size": 5,
        "text-background-color": "#ffffff",
        "text-background-opacity": 0.75,
        "text-background-padding": "1px",
        "text-background-shape": "roundrectangle",
        width: N.node.width,
        height: N.node.height,
        "background-color": "#334155",
        "border-width": 0,
      },
    },
    {
      selector: "node.workload",
      style: {
        shape: "round-rectangle",
        "background-color": "#1e293b",
        width: N.workload.width,
        height: N.workload.height,
        "font-size": N.workload.fontSize,
      },
    },
    {
      selector: "node.other-tenant",
      style: {
        shape: "round-rectangle",
        "background-color": "#e2e8f0",
        "border-width": 1,
        "border-color": "#94a3b8",
        color: "#64748b",
        width: N.workload.width,
        height: N.workload.height,
        "font-size": N.workload.fontSize,
      },
    },
    {
      selector: "node.service",
      style: {
        shape: "diamond",
        "background-color": "#64748b",
        width: N.service.width,
        height: N.service.height,
        "font-size": N.service.fontSize,
        color: "#475569",
      },
    },
    {
      selector: "node.external",
      style: {
        shape: "ellipse",
        "background-color": "#f8fafc",
        "border-width": 2,
        "border-color": "#0369a1",
        width: N.external.width,
        height: N.external.height,
        "font-size": N.external.fontSize,
        color: "#0c4a6e",
      },
    },
    { selector: "node.ext-cidr", style: { shape: "hexagon", "border-color": "#0f766e" } },
    {
      selector: "node.ext-world",
      style: { shape: "star", "background-color": "#e0f2fe", width: N.world.width, height: N.world.height, "font-size": N.world.fontSize },
    },
    {
      selector: ":parent",
      style: {
        "text-valign": "top",
        "text-halign": "center",
        "text-margin-y": -4,
        "font-weight": "bold",
        "background-opacity": 1,
        "border-width": 1,
        padding: "12px",
        shape: "round-rectangle",
        "min-zoomed-font-size": 5,
      },
    },
    {
      selector: "node.tenant:parent",
      style: {
        "background-color": "#f1f5f9",
        "border-color": "#94a3b8",
        "font-size": G.tenant.fontSize,
        padding: `${G.tenant.padding}px`,
        color: "#334155",
      },
    },
    { selector: "node.tenant.platform:parent", style: { "background-color": "#f8fafc", "border-style": "dashed" } },
    {
      selector: "node.namespace:parent",
      style: {
        "background-color": "#ffffff",
        "border-color": "#cbd5e1",
        "font-size": G.namespace.fontSize,
        color: "#475569",
        padding: `${G.namespace.padding}px`,
      },
    },
    {
      selector: "node.cluster:parent",
      style: {
        "background-color": "#fafaf9",
        "border-color": "#a8a29e",
        "font-size": G.cluster.fontSize,
        color: "#44403c",
        padding: `${G.cluster.padding}px`,
      },
    },
    {
      selector: "node.externals:parent",
      style: {
        "background-color": "#f0f9ff",
        "border-color": "#7dd3fc",
        "font-size": G.externals.fontSize,
        padding: `${G.externals.padding}px`,
        color: "#075985",
      },
    },
    {
      selector: "node.island",
      style: {
        shape: "round-rectangle",
        width: N.island.width,
        height: N.island.height,
        "background-color": "#e2e8f0",
        "border-width": 2,
        "border-color": "#64748b",
        "text-valign": "center",
        "text-halign": "center",
        "text-margin-y": 0,
        "text-background-opacity": 0,
        "font-size": N.island.fontSize,
        "font-weight": "bold",
        "text-max-width": `${N.island.width - 10}px`,
      },
    },
    {
      selector: "node.island.tenant",
      style: { "background-color": "#dbeafe", "border-color": "#3b82f6", width: N.tenantIsland.width, height: N.tenantIsland.height },
    },
    {
      selector: "node.island.cluster",
      style: { "background-color": "#f5f5f4", width: N.clusterIsland.width, height: N.clusterIsland.height },
    },
    {
      selector: "edge",
      style: {
        width: 1.6,
        "curve-style": "bezier",
        "target-arrow-shape": "triangle",
        "arrow-scale": 0.8,
        "line-color": LAYER_COLOURS.default,
        "target-arrow-color": LAYER_COLOURS.default,
        label: "data(label)",
        "font-family": FONT,
        "font-size": 18,
        color: "#334155",
        "text-rotation": "autorotate",
        "text-background-color": "#ffffff",
        "text-background-opacity": 0.85,
        "text-background-padding": "1px",
        "min-zoomed-font-size": 8,
        opacity: 0.85,
      },
    },
    ...(["namespace", "admin", "exception", "baseline", "default", "mixed"] as const).map((layer) => ({
      selector: `edge.layer-${layer}`,
      style: { "line-color": LAYER_COLOURS[layer], "target-arrow-color": LAYER_COLOURS[layer] },
    })),
    { selector: "edge.layer-admin", style: { width: 1.2, opacity: 0.6 } },
    { selector: "edge.layer-exception", style: { "line-style": "dashed", "line-dash-pattern": [6, 3], width: 2.2 } },
    { selector: "edge.layer-default", style: { "line-style": "dotted" } },
    { selector: "edge.hub", style: { width: 0.8, opacity: 0.18, label: "", "arrow-scale": 0.5 } },
    { selector: "edge.hub:selected", style: { opacity: 1, label: "data(label)" } },
    {
      selector: "edge.via",
      style: { "line-color": VIA_COLOUR, "target-arrow-color": VIA_COLOUR, width: 2.4, "target-arrow-shape": "chevron" },
    },
    { selector: "edge.aggregate", style: { width: 3, opacity: 0.75, "font-weight": "bold" } },
    {
      selector: "edge.fronts",
      style: { "line-color": "#cbd5e1", "target-arrow-shape": "none", "line-style": "dotted", width: 1, label: "" },
    },
    { selector: "edge.loop", style: { "loop-direction": "-45deg", "loop-sweep": "-60deg", "control-point-step-size": 24, label: "" } },
    // All clusters: a path drawn over another cluster's column recedes until one of its ends is selected
    // (after the layer and bundle styles, before the overlay's and the selection's).
    { selector: "edge.far", style: { opacity: 0.2, label: "" } },
    // Overlay: changes stand out, the rest recedes.
    { selector: "edge.context", style: { opacity: 0.22 } },
    {
      selector: "edge.added",
      style: {
        "line-color": CHANGE_COLOURS.added,
        "target-arrow-color": CHANGE_COLOURS.added,
        width: 3.5,
        opacity: 1,
        "z-index": 20,
        color: "#14532d",
      },
    },
    {
      selector: "edge.removed",
      style: {
        "line-color": CHANGE_COLOURS.removed,
        "target-arrow-color": CHANGE_COLOURS.removed,
        width: 3.5,
        opacity: 1,
        "line-style": "dashed",
        "z-index": 20,
        color: "#7f1d1d",
      },
    },
    // Observed denials (the clusters' dropped flows) sit over the allowed paths.
    {
      selector: `edge.${OBSERVED_DENIAL_CLASS}`,
      style: {
        "line-color": OBSERVED_DENIAL_COLOUR,
        "target-arrow-color": OBSERVED_DENIAL_COLOUR,
        width: 3.5,
        opacity: 1,
        "z-index": 22,
        color: "#881337",
      },
    },
    // A replay run's changed paths: newly denied red, newly allowed green, solid and over the rest.
    ...(
      [
        [RUN_CHANGE_CLASSES["newly-denied"], CHANGE_COLOURS.removed, "#7f1d1d"],
        [RUN_CHANGE_CLASSES["newly-allowed"], CHANGE_COLOURS.added, "#14532d"],
      ] as const
    ).map(([cls, colour, text]) => ({
      selector: `edge.${cls}`,
      style: { "line-color": colour, "target-arrow-color": colour, width: 3.5, opacity: 1, "z-index": 22, color: text },
    })),
    // Interaction states.
    { selector: ".hidden", style: { display: "none" } },
    // Neighbourhood highlighting (a selection): its paths come forward, labelled, the rest fades.
    { selector: "edge.highlighted", style: { opacity: 1, label: "data(label)", "z-index": 25 } },
    { selector: ".faded", style: { opacity: 0.12 } },
    { selector: "edge.faded", style: { label: "" } },
    { selector: "node:selected", style: { "border-width": 3, "border-color": "#f59e0b" } },
    {
      selector: "edge:selected",
      style: { width: 4.5, "line-color": "#f59e0b", "target-arrow-color": "#f59e0b", opacity: 1, "z-index": 30 },
    },
    { selector: "node.focused", style: { "border-width": 3, "border-color": "#f59e0b", "z-index": 40 } },
    { selector: "node.draw-source", style: { "border-width": 3, "border-color": "#16a34a", "border-style": "double" } },
  ] as StylesheetJson;
}
