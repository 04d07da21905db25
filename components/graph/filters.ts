// Filters are class toggles on the one Cytoscape instance: nothing is re-laid out,
// so positions stay where they were.
import type { Collection, Core, EdgeCollection, NodeCollection } from "cytoscape";
import type { AllowanceLayer } from "@/lib/graph/types";

export interface CanvasFilters {
  tenant: string | null;
  namespace: string | null;
  showExternal: boolean;
  /** Only paths into this node (a leaf or island id). */
  destination: string | null;
  layers: Record<AllowanceLayer, boolean>;
}

export const ALL_LAYERS_ON: Record<AllowanceLayer, boolean> = { namespace: true, admin: true, exception: true, baseline: true, default: true };

export const DEFAULT_FILTERS: CanvasFilters = { tenant: null, namespace: null, showExternal: true, destination: null, layers: ALL_LAYERS_ON };

function withAncestors(nodes: NodeCollection): Collection {
  return nodes.union(nodes.ancestors());
}

export function applyFilters(cy: Core, f: CanvasFilters): void {
  cy.batch(() => {
    cy.elements(".hidden").removeClass("hidden");
    const off = (Object.keys(f.layers) as AllowanceLayer[]).filter((l) => !f.layers[l]);
    if (off.length > 0) {
      cy.edges().forEach((e) => {
        const layers = String(e.data("layers") ?? e.data("layer") ?? "").split(",");
        if (layers.every((l) => off.includes(l as AllowanceLayer))) e.addClass("hidden");
      });
    }
    if (!f.showExternal) cy.nodes(".external, .externals").addClass("hidden");

    let scope: NodeCollection | null = null;
    let scopeEdges: EdgeCollection | null = null;
    if (f.destination) {
      const dest = cy.nodes().filter((n) => n.id() === f.destination);
      scope = dest;
      scopeEdges = dest.incomers("edge").not(".hidden");
    } else if (f.namespace || f.tenant) {
      const match = cy.nodes().filter((n) => (f.namespace ? n.data("namespace") === f.namespace : n.data("tenant") === f.tenant) && !n.isParent());
      scope = match;
      scopeEdges = match.connectedEdges().not(".hidden");
    }
    if (scope && scopeEdges) {
      const keep = withAncestors(scope.union(scopeEdges.connectedNodes()).not(".hidden") as NodeCollection);
      cy.nodes().not(keep).addClass("hidden");
      cy.edges().not(scopeEdges).addClass("hidden");
    }
  });
}
