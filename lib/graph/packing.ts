// The grouped layout: every group (cluster, tenant, namespace) is a box packed
// with its contents in rows, workloads in a grid inside their namespace, and the
// top level packed to the canvas's shape. Deterministic and linear in the number
// of nodes, so it runs on every change of what is drawn; it keeps labels apart
// (each leaf's box includes its label) and the grouping plain to see. Edges do
// not move nodes: the force-directed layout is the view for connectivity.
import type { ElementDef } from "./elements";
import { GROUP_BOXES, LABEL_MARGIN, LABEL_MAX_WIDTH, NODE_BOXES } from "./geometry";
import { clusterNodeId } from "./ids";

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

/** A group's box: its title over its children packed in rows about `aspect` times as wide as high. */
function groupBox(node: Tree, aspect = GROUP_ASPECT, children: readonly Laid[] = node.children.map(lay)): Laid {
  const kind = node.classes[0] as keyof typeof GROUP_BOXES;
  const style = GROUP_BOXES[kind] ?? GROUP_BOXES.namespace;
  const leavesOnly = node.children.every((c) => c.children.length === 0);
  const content = packRows(children, aspect, leavesOnly ? LEAF_GAP : GROUP_GAP, leavesOnly);
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
  const roots = forest(elements);
  if (roots.filter((r) => r.classes.includes("cluster")).length > 1) return clusterColumns(roots, elements, aspect);
  // The top level holds boxes of very different sizes: tallest first packs them tightest.
  const top = roots.map(lay);
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

/** The node trees of the drawn elements, siblings in order, roots in order. */
function forest(elements: readonly ElementDef[]): Tree[] {
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
  return roots.sort(byKey);
}

/** Column shapes (width : height) tried for the clusters; the one that shows the whole largest on the canvas wins. */
const COLUMN_ASPECTS = [0.25, 0.35, 0.5, 0.7, 1, 1.4, 2];
/** Room between columns: wide enough for the paths that cross to the shared destinations. */
const COLUMN_GAP = 120;

/**
 * Destinations ordered by where what reaches them sits (the mean height of their drawn
 * neighbours, barycentre ordering), so paths into the shared column cross as little as they can.
 */
export function byNeighbourHeight(
  ids: readonly string[],
  elements: readonly ElementDef[],
  y: Readonly<Record<string, Position>>,
): string[] {
  const sums = new Map<string, { total: number; count: number }>(ids.map((id) => [id, { total: 0, count: 0 }]));
  for (const e of elements) {
    if (e.group !== "edges") continue;
    const source = String(e.data.source);
    const target = String(e.data.target);
    for (const [end, other] of [
      [source, target],
      [target, source],
    ] as const) {
      const s = sums.get(end);
      const p = y[other];
      if (s && p && !sums.has(other)) {
        s.total += p.y;
        s.count++;
      }
    }
  }
  const mean = (id: string) => {
    const s = sums.get(id)!;
    return s.count > 0 ? s.total / s.count : Number.POSITIVE_INFINITY;
  };
  return ids
    .map((id, i) => ({ id, i, m: mean(id) }))
    .sort((a, b) => a.m - b.m || a.i - b.i)
    .map((x) => x.id);
}

/**
 * Several clusters (the all-clusters view): each cluster a column, side by side in name order, and
 * the destinations outside every cluster in one shared column between them (each cluster's paths
 * to them then cross at most the columns in between). The column shape is chosen so that the
 * whole fills the canvas (`aspect`: its width over its height) as far as it can.
 */
function clusterColumns(roots: readonly Tree[], elements: readonly ElementDef[], aspect: number): GroupedLayout {
  const clusters = roots.filter((r) => r.classes.includes("cluster"));
  const shared = roots.filter((r) => !r.classes.includes("cluster"));
  const groups = shared.filter((t) => t.children.length > 0);
  const loose = shared.filter((t) => t.children.length === 0);
  // The shared column, its destinations in the given order (its size does not depend on the order).
  const sharedColumnOf = (order: (a: Tree, b: Tree) => number) => {
    const stack = (items: readonly Tree[]) => stackColumn([...items].sort(order).map(lay), Number.POSITIVE_INFINITY);
    const parts = [...groups.map((g) => groupBox(g, 0, [stack(g.children)])), ...(loose.length > 0 ? [stack(loose)] : [])];
    return parts.length > 0 ? stackColumn(parts, Number.POSITIVE_INFINITY) : null;
  };
  const unordered = sharedColumnOf(() => 0);
  let best: { laid: Laid[]; score: number } | null = null;
  for (const a of COLUMN_ASPECTS) {
    // The column's shape reaches into its tenants too: a narrow column stacks their namespaces.
    const shaped = (t: Tree) => (t.children.length === 0 ? lay(t) : groupBox(t, a));
    const laid = clusters.map((c) => (c.children.length === 0 ? lay(c) : groupBox(c, a, c.children.map(shaped))));
    const w = laid.reduce((sum, l) => sum + l.w, 0) + (unordered ? unordered.w + COLUMN_GAP : 0) + COLUMN_GAP * (clusters.length - 1);
    const h = Math.max(unordered?.h ?? 0, ...laid.map((l) => l.h));
    // The zoom at fit, up to the canvas's scale: the largest wins.
    const score = Math.min(aspect / w, 1 / h);
    if (!best || score > best.score) best = { laid, score };
  }
  const columns = best!.laid;
  const height = Math.max(...columns.map((l) => l.h));

  // Where the clusters' leaves sit (their heights do not depend on the columns' order).
  const probe: Placement = { positions: {}, boxes: {} };
  for (const c of columns) c.place(0, 0, probe);
  // The shared column: a group (the external destinations) keeps its box and title; loose leaves stack.
  const sharedLeaves = shared.flatMap((t) => (t.children.length > 0 ? t.children : [t]));
  const order = byNeighbourHeight(
    sharedLeaves.map((t) => t.def.data.id),
    elements,
    probe.positions,
  );
  const rank = new Map(order.map((id, i) => [id, i]));
  const sharedColumn = sharedColumnOf((a, b) => rank.get(a.def.data.id)! - rank.get(b.def.data.id)!);

  const middle = Math.ceil(clusters.length / 2);
  const sequence = [...columns.slice(0, middle), ...(sharedColumn ? [sharedColumn] : []), ...columns.slice(middle)];
  const out: Placement = { positions: {}, boxes: {} };
  let x = 0;
  for (const col of sequence) {
    // The shared column faces the clusters' middle height.
    col.place(x, col === sharedColumn ? Math.max(0, (height - col.h) / 2) : 0, out);
    x += col.w + COLUMN_GAP;
  }
  return { ...out, width: x - COLUMN_GAP, height: Math.max(height, sharedColumn?.h ?? 0) };
}

/** Boxes one under another, centred, wrapping into another column past `maxHeight`. */
function stackColumn(items: readonly Laid[], maxHeight: number): Laid {
  const columns: { items: { item: Laid; y: number }[]; w: number; h: number }[] = [];
  let current: (typeof columns)[number] | undefined;
  for (const item of items) {
    if (!current || (current.items.length > 0 && current.h + LEAF_GAP + item.h > maxHeight)) {
      current = { items: [], w: 0, h: 0 };
      columns.push(current);
    }
    const y = current.items.length === 0 ? 0 : current.h + LEAF_GAP;
    current.items.push({ item, y });
    current.h = y + item.h;
    current.w = Math.max(current.w, item.w);
  }
  const w = columns.reduce((sum, c) => sum + c.w, 0) + LEAF_GAP * Math.max(0, columns.length - 1);
  const h = Math.max(0, ...columns.map((c) => c.h));
  return {
    w,
    h,
    place: (ox, oy, out) => {
      let x = ox;
      for (const c of columns) {
        for (const { item, y } of c.items) item.place(x + (c.w - item.w) / 2, oy + y, out);
        x += c.w + LEAF_GAP;
      }
    },
  };
}

/**
 * Paths drawn across a cluster column they do not belong to (the all-clusters view): their ends'
 * horizontal span covers another cluster's box. The canvas draws them light until one of their
 * ends is selected, so each column reads on its own.
 */
export function edgesOverOtherColumns(elements: readonly ElementDef[], laid: GroupedLayout): string[] {
  const clusterOf = new Map<string, string>();
  const columns: { id: string; box: Box }[] = [];
  for (const e of elements) {
    if (e.group !== "nodes") continue;
    if (e.classes.split(" ").includes("cluster") && laid.boxes[e.data.id]) columns.push({ id: e.data.id, box: laid.boxes[e.data.id]! });
    if (typeof e.data.cluster === "string") clusterOf.set(e.data.id, clusterNodeId(e.data.cluster));
  }
  if (columns.length < 2) return [];
  const out: string[] = [];
  for (const e of elements) {
    if (e.group !== "edges") continue;
    const s = String(e.data.source);
    const t = String(e.data.target);
    const a = laid.positions[s];
    const b = laid.positions[t];
    if (!a || !b) continue;
    const [x1, x2] = a.x < b.x ? [a.x, b.x] : [b.x, a.x];
    const own = new Set([clusterOf.get(s), clusterOf.get(t)]);
    if (columns.some((c) => !own.has(c.id) && c.box.x1 < x2 && c.box.x2 > x1)) out.push(e.data.id);
  }
  return out;
}
