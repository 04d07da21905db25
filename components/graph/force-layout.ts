// The force-directed layout (fcose), the console's alternative to the grouped
// layout (lib/graph/packing.ts): it shows connectivity rather than structure.
import cytoscape, { type Core, type EdgeSingular, type LayoutOptions } from "cytoscape";
import fcose from "cytoscape-fcose";

const LAYOUT_SEED = 20240611;
/** Past this many nodes labels are left out of the node sizes (measuring them is too slow). */
const BIG_GRAPH = 400;

/** A small deterministic PRNG (mulberry32): fcose draws from Math.random even when it starts from given positions. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let registered = false;
function registerFcose() {
  if (registered) return;
  cytoscape.use(fcose);
  registered = true;
}

/**
 * Hubs (DNS, a metrics scraper: a node connected to a large share of the graph) would pull
 * everything into a hairball. Their edges are drawn light and pull only weakly in the layout,
 * so positions follow the application paths; the hub's paths are still drawn and listed.
 */
export function markHubs(cy: Core) {
  const leaves = cy.nodes().filter((n) => !n.isParent()).length;
  const threshold = Math.max(8, Math.ceil(leaves * 0.2));
  cy.edges(".hub").removeClass("hub");
  cy.nodes()
    .filter((n) => !n.isParent() && !n.hasClass("island") && n.connectedEdges().not(".loop").length > threshold)
    .connectedEdges()
    .addClass("hub");
}

/**
 * Runs fcose deterministically from the current positions (the grouped layout's, at first), so
 * groups stay where the person saw them while connected nodes pull together.
 */
export function runForceLayout(cy: Core) {
  registerFcose();
  // Columns are the grouped layout's: here nothing crosses them.
  cy.edges(".far").removeClass("far");
  // Only what is drawn. fcose walks a group's children itself, and one hidden by a filter has no
  // label size (a tenant filter, then Force-directed, crashed on `labelWidth`): the hidden elements
  // are taken out for the layout and put back where they were.
  const hidden = cy.elements(".hidden");
  const aside = hidden.union(hidden.connectedEdges()).remove();
  const big = cy.nodes().length > BIG_GRAPH;
  const layout = cy.elements().layout({
    name: "fcose",
    quality: "proof",
    randomize: false,
    animate: false,
    fit: true,
    padding: 24,
    nodeDimensionsIncludeLabels: !big,
    packComponents: false,
    nodeRepulsion: () => 2200,
    idealEdgeLength: () => 45,
    // Hub edges still hold their groups to the graph, but only weakly.
    edgeElasticity: (edge: EdgeSingular) => (edge.hasClass("hub") ? 0.005 : 0.45),
    nestingFactor: 0.05,
    gravity: 1.2,
    gravityRange: 2.5,
    gravityCompound: 2.5,
    gravityRangeCompound: 1.0,
    numIter: big ? 1200 : 2500,
    tile: true,
    tilingPaddingVertical: 8,
    tilingPaddingHorizontal: 8,
    nodeSeparation: 40,
  } as LayoutOptions);
  const original = Math.random;
  Math.random = seeded(LAYOUT_SEED);
  try {
    layout.run();
  } finally {
    Math.random = original;
    aside.restore();
  }
}
