"use client";

// One long-lived Cytoscape instance behind a React wrapper. React renders the
// container once; data and filters reach Cytoscape through effects that apply
// batched updates. Positions change only when the set of element ids or the
// layout changes, so filters never move nodes; the force layout runs
// incrementally from the previous positions after its first run. A selection
// brings its neighbourhood forward and is framed beside the details panel.
import cytoscape, { type Core, type ElementDefinition, type NodeCollection, type NodeSingular } from "cytoscape";
import { Component, memo, useEffect, useRef, type MutableRefObject, type ReactNode } from "react";
import type { ElementDef } from "@/lib/graph/elements";
import { edgesOverOtherColumns, groupedLayout, type GroupedLayout } from "@/lib/graph/packing";
import { markHubs, runForceLayout } from "./force-layout";
import { applyHidden, centredOn, framing, highlight, inOpenArea, moveCamera } from "./highlight";
import { graphStylesheet } from "./stylesheet";
import { toSvg, type SvgEdge, type SvgNode } from "./svg-export";

export interface GraphCanvasApi {
  fit(): void;
  /** Select a node and centre it beside the details panel, its neighbours in view; false when it is not drawn. */
  focusNode(id: string): boolean;
  /** Select an edge and frame both its ends beside the details panel; false when it is not drawn. */
  selectEdge(id: string): boolean;
  has(id: string): boolean;
  exportPng(): Blob | null;
  exportSvg(): string;
}

export type GraphLayout = "grouped" | "force";

export interface GraphCanvasProps {
  elements: ElementDef[];
  /** Grouped: boxes packed in rows (structure); force: fcose (connectivity). */
  layout: GraphLayout;
  /** Elements the filters leave out (filters.ts). */
  hidden: ReadonlySet<string>;
  /** The selected node or edge: it and its neighbourhood stay, the rest fades. */
  highlight: string | null;
  /** Pixels the details panel covers at the canvas's right edge, kept clear when framing a selection. */
  panelWidth: number;
  overlay: boolean;
  /** Decided once, when the instance is created. */
  webgl: boolean;
  drawMode: boolean;
  apiRef: MutableRefObject<GraphCanvasApi | null>;
  onSelect(selection: { kind: "node" | "edge"; id: string } | null): void;
  onExpand(groupId: string): void;
  onDraw(from: string, to: string): void;
  onLayout(info: { ms: number; nodes: number; edges: number }): void;
}

function sceneForSvg(cy: Core): { nodes: SvgNode[]; edges: SvgEdge[] } {
  const nodes: SvgNode[] = [];
  cy.nodes(":visible").forEach((n) => {
    const bb = n.boundingBox({ includeLabels: false });
    const compound = n.isParent();
    nodes.push({
      x: bb.x1 + bb.w / 2,
      y: bb.y1 + bb.h / 2,
      w: bb.w,
      h: bb.h,
      label: String(n.data("label") ?? ""),
      fontSize: Number.parseFloat(String(n.style("font-size"))) || 12,
      compound,
      labelInside: n.hasClass("island"),
      fill: String(n.style("background-color")),
      stroke: String(n.style("border-color")),
      shape: n.style("shape") === "ellipse" ? "ellipse" : "rect",
    });
  });
  const edges: SvgEdge[] = [];
  cy.edges(":visible").forEach((e) => {
    const s = e.sourceEndpoint();
    const t = e.targetEndpoint();
    // Cytoscape answers undefined (not []) for a straight edge's points.
    const controlPoints = e.controlPoints() ?? [];
    const segmentPoints = e.segmentPoints() ?? [];
    edges.push({
      x1: s.x,
      y1: s.y,
      x2: t.x,
      y2: t.y,
      label: String(e.data("label") ?? ""),
      colour: String(e.style("line-color")),
      width: Number.parseFloat(String(e.style("width"))) || 1.5,
      dashed: e.style("line-style") === "dashed",
      ...(controlPoints.length > 0 ? { controlPoints } : {}),
      ...(segmentPoints.length > 0 ? { segmentPoints } : {}),
      loop: e.isLoop(),
    });
  });
  return { nodes, edges };
}

const FIT_PADDING = 24;

/** Grouped positions of the drawn elements (leaves; compound nodes follow). Call inside a batch: it only moves nodes. */
function placeGrouped(cy: Core, elements: readonly ElementDef[]): GroupedLayout {
  const laid = groupedLayout(elements, cy.height() > 0 ? cy.width() / cy.height() : 1.6);
  cy.nodes().forEach((n) => {
    const p = laid.positions[n.id()];
    if (p && !n.isParent()) n.position(p);
  });
  const far = new Set(edgesOverOtherColumns(elements, laid));
  cy.edges().forEach((e) => {
    e.toggleClass("far", far.has(e.id()));
  });
  return laid;
}

/** The layout knows its extent: fitting to it spares Cytoscape measuring every label first. */
function showWhole(cy: Core, laid: GroupedLayout) {
  const width = cy.width();
  const height = cy.height();
  const zoom = Math.min(
    cy.maxZoom(),
    Math.max(
      cy.minZoom(),
      Math.min((width - 2 * FIT_PADDING) / Math.max(laid.width, 1), (height - 2 * FIT_PADDING) / Math.max(laid.height, 1)),
    ),
  );
  cy.viewport({ zoom, pan: { x: (width - laid.width * zoom) / 2, y: (height - laid.height * zoom) / 2 } });
}

type LayoutInfo = Parameters<GraphCanvasProps["onLayout"]>[0];

/** Reports a layout once drawn: Cytoscape styles and draws in its next animation frame, so two frames on it is on screen. */
function reportWhenDrawn(cy: Core, t0: number, report: (info: LayoutInfo) => void) {
  const counts = { nodes: cy.nodes().length, edges: cy.edges().length };
  requestAnimationFrame(() => requestAnimationFrame(() => report({ ms: Math.round(performance.now() - t0), ...counts })));
}

function layOut(cy: Core, layout: GraphLayout, elements: readonly ElementDef[]) {
  if (layout === "force") return runForceLayout(cy);
  let laid: GroupedLayout | undefined;
  cy.batch(() => {
    laid = placeGrouped(cy, elements);
  });
  showWhole(cy, laid!);
}

function GraphCanvasImpl(props: GraphCanvasProps) {
  const container = useRef<HTMLDivElement>(null);
  const cyRef = useRef<Core | null>(null);
  // null until the first element set arrives, so even an empty graph counts as laid out (and the screen as ready).
  const idKey = useRef<string | null>(null);
  const callbacks = useRef(props);
  callbacks.current = props;
  const appliedLayout = useRef<GraphLayout | null>(null);
  /** Drawing: the source picked by a click, the node a press started on, the node a drag from it is over. */
  const drawSource = useRef<string | null>(null);
  const pressed = useRef<string | null>(null);
  const dragTarget = useRef<string | null>(null);

  // Create the instance once.
  useEffect(() => {
    const cy = cytoscape({
      container: container.current!,
      style: graphStylesheet(),
      minZoom: 0.05,
      maxZoom: 3,
      boxSelectionEnabled: false,
      selectionType: "single",
      webgl: props.webgl,
      pixelRatio: 1,
    } as cytoscape.CytoscapeOptions);
    cyRef.current = cy;
    if (typeof window !== "undefined" && window.navigator.webdriver)
      (window as unknown as { __policyplaneGraph?: Core }).__policyplaneGraph = cy;

    const isDrawable = (n: NodeSingular, role: "from" | "to") =>
      role === "from" ? n.hasClass("workload") : n.hasClass("workload") || n.hasClass("external");
    const clearDrawSource = () => {
      cy.nodes(".draw-source").removeClass("draw-source");
      drawSource.current = null;
    };
    const finishDraw = (from: string, to: string) => {
      clearDrawSource();
      if (from !== to) callbacks.current.onDraw(from, to);
    };
    // Drawing by clicks: the first click picks the source (a second click on it lets go), the next
    // click on another node finishes. A press is only a drag's start: a click's own press comes
    // before its tap, so it must not count as a first click.
    cy.on("tap", "node", (evt) => {
      const n = evt.target as NodeSingular;
      const shift = (evt.originalEvent as MouseEvent | undefined)?.shiftKey === true;
      if (callbacks.current.drawMode || shift || drawSource.current) {
        const from = drawSource.current;
        if (from === null) {
          if (isDrawable(n, "from")) {
            drawSource.current = n.id();
            n.addClass("draw-source");
          }
        } else if (from === n.id()) clearDrawSource();
        else if (isDrawable(n, "to")) finishDraw(from, n.id());
        return;
      }
      callbacks.current.onSelect({ kind: "node", id: n.id() });
    });
    cy.on("tap", "edge", (evt) => {
      callbacks.current.onSelect({ kind: "edge", id: evt.target.id() });
      // The panel opens over the right edge: both ends of the path stay in view beside it.
      const ends = (evt.target as cytoscape.EdgeSingular).connectedNodes();
      if (!inOpenArea(cy, ends, callbacks.current.panelWidth)) moveCamera(cy, framing(cy, ends, callbacks.current.panelWidth));
    });
    cy.on("tap", (evt) => {
      if (evt.target === cy) {
        clearDrawSource();
        callbacks.current.onSelect(null);
      }
    });
    cy.on("dbltap", "node.island", (evt) => callbacks.current.onExpand(evt.target.id()));
    // Drawing by dragging from a workload to another node (in draw mode nodes are not grabbable, so a drag draws).
    cy.on("tapstart", "node", (evt) => {
      dragTarget.current = null;
      pressed.current = callbacks.current.drawMode && isDrawable(evt.target, "from") ? evt.target.id() : null;
    });
    cy.on("tapdragover", "node", (evt) => {
      const from = pressed.current;
      if (!callbacks.current.drawMode || from === null || evt.target.id() === from || !isDrawable(evt.target, "to")) return;
      dragTarget.current = evt.target.id();
      cy.getElementById(from).addClass("draw-source");
    });
    // Let go over empty canvas and nothing is drawn.
    cy.on("tapdragout", "node", (evt) => {
      if (dragTarget.current === evt.target.id()) dragTarget.current = null;
    });
    cy.on("tapend", () => {
      const from = pressed.current;
      const to = dragTarget.current;
      pressed.current = null;
      dragTarget.current = null;
      if (from === null) return;
      if (callbacks.current.drawMode && to !== null) finishDraw(from, to);
      else if (from !== drawSource.current) cy.getElementById(from).removeClass("draw-source");
    });

    props.apiRef.current = {
      fit: () => cy.fit(cy.elements(":visible"), 24),
      has: (id) => cy.getElementById(id).nonempty(),
      focusNode: (id) => {
        const n = cy.getElementById(id);
        if (n.empty()) return false;
        cy.elements().unselect();
        cy.nodes(".focused").removeClass("focused");
        n.select();
        n.addClass("focused");
        moveCamera(cy, centredOn(cy, n, n.closedNeighborhood(":visible").nodes(), callbacks.current.panelWidth));
        return true;
      },
      selectEdge: (id) => {
        const e = cy.getElementById(id);
        if (e.empty()) return false;
        cy.elements().unselect();
        e.select();
        moveCamera(cy, framing(cy, e.connectedNodes(), callbacks.current.panelWidth));
        return true;
      },
      exportPng: () => cy.png({ output: "blob", full: true, scale: 2, bg: "#ffffff" }) as unknown as Blob,
      exportSvg: () => {
        const scene = sceneForSvg(cy);
        return toSvg(scene.nodes, scene.edges);
      },
    };
    return () => {
      props.apiRef.current = null;
      cy.destroy();
      cyRef.current = null;
    };
    // The instance lives as long as the component: later props are read through refs.
  }, []);

  // Elements: diff by id in one batch; lay out only when the id set changed.
  useEffect(() => {
    const cy = cyRef.current;
    if (!cy) return;
    const t0 = performance.now();
    const next = new Map(props.elements.map((e) => [e.data.id, e]));
    const key = props.elements.map((e) => e.data.id).join("\n");
    const changedIds = key !== idKey.current;
    // Where the new nodes should start: at the island they come out of (or go into).
    const oldPositions = new Map<string, { x: number; y: number }>();
    cy.nodes().forEach((n) => {
      oldPositions.set(n.id(), { ...n.position() });
    });
    let laid: GroupedLayout | undefined;
    let added: NodeCollection = cy.collection().nodes();
    // An island opens by losing its class (the group keeps its id) or by being replaced.
    const opened = cy
      .nodes(".island")
      .map((n) => n.id())
      .some((id) => !(next.get(id)?.classes.split(" ").includes("island") ?? false));
    cy.batch(() => {
      cy.elements()
        .filter((e) => !next.has(e.id()))
        .remove();
      const toAdd: ElementDefinition[] = [];
      for (const def of props.elements) {
        const existing = cy.getElementById(def.data.id);
        if (existing.nonempty()) {
          const { id: _id, parent: _parent, source: _source, target: _target, ...mutable } = def.data;
          existing.data(mutable);
          existing.classes(def.classes);
          if (existing.isNode()) {
            const wanted = (def.data.parent as string | undefined) ?? null;
            const parent = existing.parent();
            const current = parent.nonempty() ? parent[0]!.id() : null;
            if (wanted !== current) existing.move({ parent: wanted });
          }
        } else {
          const parentPos = def.data.parent ? oldPositions.get(String(def.data.parent)) : undefined;
          const start = parentPos ?? [...oldPositions.values()][0];
          toAdd.push({
            group: def.group,
            data: def.data,
            classes: def.classes,
            ...(start && def.group === "nodes"
              ? { position: { x: start.x + (toAdd.length % 7) * 12, y: start.y + Math.floor(toAdd.length / 7) * 12 } }
              : {}),
          });
        }
      }
      added = cy.add(toAdd).nodes();
      if (props.overlay) cy.edges().not(".added, .removed").addClass("context");
      else cy.edges(".context").removeClass("context");
      // One batch for everything that changes styles, so Cytoscape styles each element once.
      if (changedIds) {
        markHubs(cy);
        // Force-directed starts from grouped positions too when there are none yet.
        if (callbacks.current.layout === "grouped" || idKey.current === null) laid = placeGrouped(cy, props.elements);
      }
      applyHidden(cy, callbacks.current.hidden);
      highlight(cy, callbacks.current.highlight);
    });
    if (!changedIds) return;
    idKey.current = key;
    const layout = callbacks.current.layout;
    if (layout === "force") runForceLayout(cy);
    // An island opened in place: show what came out of it, not the whole drawing again.
    else if (opened && added.nonempty()) cy.fit(added.union(added.ancestors()), FIT_PADDING * 3);
    else showWhole(cy, laid!);
    appliedLayout.current = layout;
    reportWhenDrawn(cy, t0, (info) => callbacks.current.onLayout(info));
  }, [props.elements, props.overlay]);

  useEffect(() => {
    const cy = cyRef.current;
    if (!cy || idKey.current === null || appliedLayout.current === props.layout) return;
    const t0 = performance.now();
    layOut(cy, props.layout, callbacks.current.elements);
    appliedLayout.current = props.layout;
    reportWhenDrawn(cy, t0, (info) => callbacks.current.onLayout(info));
  }, [props.layout]);

  // Filters: class toggles only, positions stay.
  useEffect(() => {
    const cy = cyRef.current;
    if (!cy) return;
    applyHidden(cy, props.hidden);
  }, [props.hidden]);

  useEffect(() => {
    const cy = cyRef.current;
    if (cy) highlight(cy, props.highlight);
  }, [props.highlight]);

  useEffect(() => {
    const cy = cyRef.current;
    if (!cy) return;
    cy.autoungrabify(props.drawMode);
    // While drawing, a click picks an end: it does not select (the selection's highlight would move instead).
    cy.autounselectify(props.drawMode);
    if (!props.drawMode) {
      cy.nodes(".draw-source").removeClass("draw-source");
      drawSource.current = null;
    }
  }, [props.drawMode]);

  return <div ref={container} className="h-full w-full" data-testid="graph-canvas" role="img" aria-label="Graph of allowed paths" />;
}

const DrawnCanvas = memo(GraphCanvasImpl);

/** A failure while drawing stays in the canvas area, with a retry, instead of replacing the whole page. */
class CanvasBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <div
        role="alert"
        data-testid="graph-canvas-error"
        className="flex h-full min-h-64 flex-col items-center justify-center gap-3 p-6 text-center text-sm text-slate-700"
      >
        <p>The graph could not be drawn: {this.state.error.message}</p>
        <button
          type="button"
          className="rounded-lg bg-white px-3 py-1.5 font-medium ring-1 ring-inset ring-slate-300 hover:bg-slate-50"
          onClick={() => this.setState({ error: null })}
        >
          Draw it again
        </button>
      </div>
    );
  }
}

export function GraphCanvas(props: GraphCanvasProps) {
  return (
    <CanvasBoundary>
      <DrawnCanvas {...props} />
    </CanvasBoundary>
  );
}
