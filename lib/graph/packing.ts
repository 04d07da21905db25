// The grouped layout: every group (cluster, tenant, namespace) is a box packed
// with its contents in rows, workloads in a grid inside their namespace, and the
// top level packed to the canvas's shape. Deterministic and linear in the number
// of nodes, so it runs on every change of what is drawn; it keeps labels apart
// (each leaf's box includes its label) and the grouping plain to see. Edges do
// not move nodes: the force-directed layout is the view for connectivity.
import type { ElementDef } from "./elements";
import { GROUP_BOXES, LABEL_MARGIN, LABEL_MAX_WIDTH, NODE_BOXES } from "./geometry";

export type Position = { x: number; y: number };
export type Box = { x1: number; y1: number; x2: number; y2: number };

interface Placement {
  /** Leaf node id → the centre of its shape. */
  positions: Record<string, Position>;
  /** Every node's room: leaves with their labels, groups with their titles. */
  boxes: Record<string, Box>;
}

/** Width of an average glyph relative to the font size (a wide sans-serif face: safer to overestimate). */
const GLYPH_WIDTH = 0.62;
const BOLD_GLYPH_WIDTH = 0.68;
const LINE_HEIGHT = 1.2;
const LEAF_GAP = 20;
const GROUP_GAP = 36;
/** Shape of a namespace's grid and of a tenant's or cluster's rows of namespaces. */
const GROUP_ASPECT = 1.8;

/**
 * A label's box without a canvas to measure it. Like Cytoscape's "wrap", lines break at spaces
 * once wider than the stylesheet's max width; a single word never breaks, however long.
 */
export function estimateLabel(text: string, fontSize: number, bold = false): { width: number; height: number } {
  const glyph = fontSize * (bold ? BOLD_GLYPH_WIDTH : GLYPH_WIDTH);
  let width = 0;
  let lines = 0;
  for (const line of text.split("\n")) {
    let current = 0;
    for (const word of line.split(" ")) {
      const w = word.length * glyph;
      if (current > 0 && current + glyph + w > LABEL_MAX_WIDTH) {
        width = Math.max(width, current);
        lines++;
        current = w;
      } else current += (current > 0 ? glyph : 0) + w;
    }
    width = Math.max(width, current);
    lines++;
  }
  return { width, height: lines * fontSize * LINE_HEIGHT };
}

interface Laid {
  w: number;
  h: number;
  /** Writes the absolute positions of the leaves inside, with this box's top-left corner at (x, y). */
  place(x: number, y: number, out: Placement): void;
}

interface Tree {
  def: ElementDef;
  classes: string[];
  children: Tree[];
  /** Sort key among siblings. */
  key: string;
}

function leafBox(node: Tree): Laid {
  const has = (c: string) => node.classes.includes(c);
  const id = node.def.data.id;
  if (has("island")) {
    const box = has("cluster") ? NODE_BOXES.clusterIsland : has("tenant") ? NODE_BOXES.tenantIsland : NODE_BOXES.island;
    // The label is drawn inside, but a long single-word name runs past the shape: keep room for it.
    const label = estimateLabel(String(node.def.data.label ?? ""), box.fontSize, true);
    const w = Math.max(box.width, label.width + 10);
    const h = Math.max(box.height, label.height + 10);
    return { w, h, place: (x, y, out) => placeLeaf(out, id, x, y, w, h, h / 2) };
  }
  const box = has("workload")
    ? NODE_BOXES.workload
    : has("service")
      ? NODE_BOXES.service
      : has("ext-world")
        ? NODE_BOXES.world
        : has("external")
          ? NODE_BOXES.external
          : NODE_BOXES.node;
  const label = estimateLabel(String(node.def.data.label ?? ""), box.fontSize);
  const w = Math.max(box.width, label.width);
  const h = box.height + LABEL_MARGIN + label.height;
  return { w, h, place: (x, y, out) => placeLeaf(out, id, x, y, w, h, box.height / 2) };
}

/** A leaf's shape is centred horizontally at the top of its box; its label hangs below. */
function placeLeaf(out: Placement, id: string, x: number, y: number, w: number, h: number, shapeHalfHeight: number) {
  out.positions[id] = { x: x + w / 2, y: y + shapeHalfHeight };
  out.boxes[id] = { x1: x, y1: y, x2: x + w, y2: y + h };
}

/**
 * Rows of boxes (next-fit shelves) about `aspect` times as wide as high. `uniform`: every box gets
 * the widest one's cell, so leaves line up in a grid.
 */
function packRows(items: readonly Laid[], aspect: number, gap: number, uniform: boolean): Laid {
  if (items.length === 0) return { w: 0, h: 0, place: () => undefined };
  const cellW = uniform ? Math.max(...items.map((i) => i.w)) : 0;
  const widthOf = (i: Laid) => (uniform ? cellW : i.w);
  const area = items.reduce((sum, i) => sum + (widthOf(i) + gap) * (i.h + gap), 0);
  const target = Math.max(Math.max(...items.map(widthOf)), Math.sqrt(area * aspect));
  const slots: { item: Laid; x: number; y: number; cell: number }[] = [];
  let x = 0;
  let y = 0;
  let rowH = 0;
  let w = 0;
  for (const item of items) {
    const cell = widthOf(item);
    if (x > 0 && x + cell > target) {
      y += rowH + gap;
      x = 0;
      rowH = 0;
    }
    slots.push({ item, x, y, cell });
    x += cell + gap;
    rowH = Math.max(rowH, item.h);
    w = Math.max(w, x - gap);
  }
  return {
    w,
    h: y + rowH,
    place: (ox, oy, out) => {
      for (const s of slots) s.item.place(ox + s.x + (s.cell - s.item.w) / 2, oy + s.y, out);
    },
  };
}

function groupBox(node: Tree): Laid {
  const kind = node.classes[0] as keyof typeof GROUP_BOXES;
  const style = GROUP_BOXES[kind] ?? GROUP_BOXES.namespace;
  const leavesOnly = node.children.every((c) => c.children.length === 0);
  const content = packRows(node.children.map(lay), GROUP_ASPECT, leavesOnly ? LEAF_GAP : GROUP_GAP, leavesOnly);
  const title = estimateLabel(String(node.def.data.label ?? ""), style.fontSize, true);
  const titleH = title.height + LABEL_MARGIN;
  const w = Math.max(content.w, title.width) + 2 * style.padding;
  const h = titleH + content.h + 2 * style.padding;
  return {
    w,
    h,
    place: (x, y, out) => {
      out.boxes[node.def.data.id] = { x1: x, y1: y, x2: x + w, y2: y + h };
      content.place(x + (w - content.w) / 2, y + titleH + style.padding, out);
    },
  };
}

function lay(node: Tree): Laid {
  return node.children.length === 0 ? leafBox(node) : groupBox(node);
}

const RANK: Record<string, number> = { cluster: 0, tenant: 0, namespace: 0, externals: 0, workload: 2, service: 2, external: 3 };

export interface GroupedLayout extends Placement {
  /** The whole drawing spans (0, 0) to (width, height). */
  width: number;
  height: number;
}

/**
 * Positions of the leaf nodes (compound nodes follow their children), packed into a whole about
 * `aspect` times as wide as high (the canvas's shape). Groups come before loose leaves, the
 * platform's group after the tenants', a Service right after the workload it fronts.
 */
export function groupedLayout(elements: readonly ElementDef[], aspect: number): GroupedLayout {
  const nodes = new Map<string, Tree>();
  for (const e of elements) {
    if (e.group !== "nodes") continue;
    const classes = e.classes.split(" ");
    const label = String(e.data.label ?? "");
    const rank = classes.includes("island") ? 1 : classes.includes("platform") ? 1 : (RANK[classes[0]!] ?? 2);
    nodes.set(e.data.id, { def: e, classes, children: [], key: `${rank}\u0000${label}` });
  }
  for (const e of elements) {
    if (e.group !== "edges" || !e.classes.split(" ").includes("fronts")) continue;
    const service = nodes.get(String(e.data.source));
    const workload = nodes.get(String(e.data.target));
    if (service && workload && service.key.startsWith("2")) service.key = `${workload.key}\u0001${service.key}`;
  }
  const roots: Tree[] = [];
  for (const n of nodes.values()) {
    const parent = n.def.data.parent ? nodes.get(String(n.def.data.parent)) : undefined;
    (parent ? parent.children : roots).push(n);
  }
  const byKey = (a: Tree, b: Tree) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  for (const n of nodes.values()) n.children.sort(byKey);
  // The top level holds boxes of very different sizes: tallest first packs them tightest.
  const top = roots.sort(byKey).map(lay);
  const ordered = top.map((laid, i) => ({ laid, i })).sort((a, b) => b.laid.h - a.laid.h || a.i - b.i);
  const out: Placement = { positions: {}, boxes: {} };
  const whole = packRows(
    ordered.map((o) => o.laid),
    aspect,
    GROUP_GAP,
    false,
  );
  whole.place(0, 0, out);
  return { ...out, width: whole.w, height: whole.h };
}
