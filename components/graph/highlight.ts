// Canvas-side helpers of the one Cytoscape instance: what the filters hide,
// what a selection brings forward, and where the camera goes so that the
// selection is seen beside the details panel. Class toggles and viewport
// changes only; nothing here moves a node.
import type { Collection, Core, EdgeSingular, NodeCollection, NodeSingular } from "cytoscape";

/** Sets the "hidden" class on exactly these elements (filters.ts decided which). */
export function applyHidden(cy: Core, hidden: ReadonlySet<string>) {
  cy.batch(() => {
    cy.elements(".hidden")
      .filter((e) => !hidden.has(e.id()))
      .removeClass("hidden");
    for (const id of hidden) {
      const e = cy.getElementById(id);
      if (e.nonempty() && !e.hasClass("hidden")) e.addClass("hidden");
    }
  });
}

/**
 * Neighbourhood highlighting: a selected node (with what is inside it, for a
 * group) and everything one path away stay as they are, their paths come
 * forward, and the rest fades; a selected edge keeps its two ends.
 */
export function highlight(cy: Core, id: string | null) {
  cy.batch(() => {
    cy.elements(".faded").removeClass("faded");
    cy.elements(".highlighted").removeClass("highlighted");
    cy.nodes(".focused")
      .filter((n) => n.id() !== id)
      .removeClass("focused");
    const el = id ? cy.getElementById(id) : null;
    if (!el || el.empty()) return;
    const related: Collection =
      el.group() === "edges"
        ? el.union((el[0] as EdgeSingular).connectedNodes())
        : el.union((el[0] as NodeSingular).descendants()).closedNeighborhood();
    const keep = related.union(related.nodes().ancestors());
    // A group's opacity carries to what is inside it: fading the outermost unrelated nodes fades
    // everything unrelated once (and restyles fewer elements).
    cy.nodes()
      .filter((n) => !keep.has(n) && (n.parent().empty() || keep.has(n.parent()[0]!)))
      .addClass("faded");
    cy.edges().not(related).addClass("faded");
    related.edges().addClass("highlighted");
  });
}

const PADDING = 40;
/** Closer than this, workload labels (30 model px) outgrow their boxes' neighbours. */
export const FOCUS_MAX_ZOOM = 1;

interface Area {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** The part of the canvas the details panel does not cover (rendered pixels). */
function openArea(cy: Core, panelWidth: number): Area {
  const w = cy.width();
  return { x1: 0, y1: 0, x2: w - Math.min(panelWidth, w / 2), y2: cy.height() };
}

const clampZoom = (cy: Core, z: number) => Math.min(cy.maxZoom(), Math.max(cy.minZoom(), z));

/** The viewport that puts `node` in the middle of the open area, at a zoom where `around` (its neighbourhood) fits. */
export function centredOn(cy: Core, node: NodeSingular, around: NodeCollection, panelWidth: number) {
  const a = openArea(cy, panelWidth);
  const p = node.position();
  const bb = around.union(node).boundingBox({ includeLabels: true });
  const halfW = Math.max(p.x - bb.x1, bb.x2 - p.x, 1);
  const halfH = Math.max(p.y - bb.y1, bb.y2 - p.y, 1);
  const zoom = clampZoom(cy, Math.min(((a.x2 - a.x1) / 2 - PADDING) / halfW, ((a.y2 - a.y1) / 2 - PADDING) / halfH, FOCUS_MAX_ZOOM));
  return { zoom, pan: { x: (a.x1 + a.x2) / 2 - p.x * zoom, y: (a.y1 + a.y2) / 2 - p.y * zoom } };
}

/** The viewport that shows all of `eles` (labels included) in the open area. */
export function framing(cy: Core, eles: NodeCollection, panelWidth: number) {
  const a = openArea(cy, panelWidth);
  const bb = eles.boundingBox({ includeLabels: true });
  const zoom = clampZoom(
    cy,
    Math.min((a.x2 - a.x1 - 2 * PADDING) / Math.max(bb.w, 1), (a.y2 - a.y1 - 2 * PADDING) / Math.max(bb.h, 1), FOCUS_MAX_ZOOM),
  );
  return { zoom, pan: { x: (a.x1 + a.x2) / 2 - (bb.x1 + bb.w / 2) * zoom, y: (a.y1 + a.y2) / 2 - (bb.y1 + bb.h / 2) * zoom } };
}

/** Whether every one of `nodes` is drawn inside the open area now. */
export function inOpenArea(cy: Core, nodes: NodeCollection, panelWidth: number): boolean {
  const a = openArea(cy, panelWidth);
  return nodes.every((n) => {
    const b = n.renderedBoundingBox({ includeLabels: false });
    return b.x1 >= a.x1 && b.x2 <= a.x2 && b.y1 >= a.y1 && b.y2 <= a.y2;
  });
}

/** A short move of the camera (any earlier one stops where it is). */
export function moveCamera(cy: Core, to: { zoom: number; pan: { x: number; y: number } }) {
  cy.stop(true, false);
  cy.animate({ zoom: to.zoom, pan: to.pan }, { duration: 250 });
}
