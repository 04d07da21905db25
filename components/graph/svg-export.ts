// SVG export written from the laid-out positions (no extension needed):
// compound boxes, nodes, edges drawn as the canvas draws them (straight,
// bezier, segments, loops) with arrowheads along their end tangent, and labels.

export interface SvgNode {
  x: number;
  y: number;
  w: number;
  h: number;
  label: string;
  /** The label's font size in graph units, as the canvas draws it. */
  fontSize: number;
  /** Compound boxes are drawn first, as rounded rectangles with a title. */
  compound: boolean;
  /** Islands carry their label inside the box, centred, instead of below it. */
  labelInside?: boolean;
  fill: string;
  stroke: string;
  shape: "rect" | "ellipse";
}

export interface SvgPoint {
  x: number;
  y: number;
}

export interface SvgEdge {
  /** Source endpoint (Cytoscape `edge.sourceEndpoint()`). */
  x1: number;
  y1: number;
  /** Target endpoint, where the arrow's tip is (`edge.targetEndpoint()`). */
  x2: number;
  y2: number;
  label: string;
  colour: string;
  width: number;
  dashed: boolean;
  /** Bezier edges and loops: Cytoscape `edge.controlPoints()`. Absent or empty: not curved. */
  controlPoints?: readonly SvgPoint[];
  /** Segments edges: Cytoscape `edge.segmentPoints()`. */
  segmentPoints?: readonly SvgPoint[];
  /** A self-loop (`edge.isLoop()`); without control points it gets a loop of its own. */
  loop?: boolean;
}

/** The drawn shape of an edge: its path data, where its label sits, and the direction it arrives in. */
export interface EdgeGeometry {
  d: string;
  mid: SvgPoint;
  /** Unit vector of the end tangent (the arrow points along it). */
  dir: SvgPoint;
  /** The points that bound the drawing (endpoints and control points). */
  extent: SvgPoint[];
}

// The canvas's loops (stylesheet: loop-direction -45deg, loop-sweep -60deg, step 24): the two
// control points leave at -105° and -165° from the node, 1.4 steps away.
const LOOP_OUT = (-105 * Math.PI) / 180;
const LOOP_IN = (-165 * Math.PI) / 180;
const LOOP_DISTANCE = 1.4 * 24;

const r = (n: number) => Math.round(n * 10) / 10;
const lerp = (a: SvgPoint, b: SvgPoint, t: number): SvgPoint => ({ x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t });
const qAt = (p0: SvgPoint, c: SvgPoint, p1: SvgPoint, t: number): SvgPoint => lerp(lerp(p0, c, t), lerp(c, p1, t), t);

function unit(from: SvgPoint, to: SvgPoint): SvgPoint | null {
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  const len = Math.hypot(dx, dy);
  return len < 1e-6 ? null : { x: dx / len, y: dy / len };
}

/**
 * The edge's geometry, as Cytoscape draws it: a bezier edge is a chain of quadratic curves, one
 * per control point, joined at the midpoints between consecutive control points; its label
 * sits at the chain's middle (Cytoscape's rule: the middle joint, or the middle curve at t=0.5).
 * The path stops `trimEnd` short of the target endpoint, where the arrowhead takes over.
 */
export function edgeGeometry(e: SvgEdge, trimEnd = 0): EdgeGeometry {
  const start = { x: e.x1, y: e.y1 };
  const end = { x: e.x2, y: e.y2 };
  let controls = e.controlPoints ?? [];
  const segments = e.segmentPoints ?? [];
  if (controls.length === 0 && segments.length === 0 && (e.loop || !unit(start, end))) {
    controls = [LOOP_OUT, LOOP_IN].map((a) => ({ x: e.x1 + Math.cos(a) * LOOP_DISTANCE, y: e.y1 + Math.sin(a) * LOOP_DISTANCE }));
  }
  const straight = unit(start, end) ?? { x: 0, y: 1 };
  const at = (p: SvgPoint) => `${r(p.x)} ${r(p.y)}`;
  const drawnEnd = (dir: SvgPoint) => ({ x: end.x - dir.x * trimEnd, y: end.y - dir.y * trimEnd });
  if (controls.length > 0) {
    const joints = controls.map((c, i) => {
      const next = controls[i + 1];
      return next ? lerp(c, next, 0.5) : end;
    });
    const n = controls.length;
    const m = (n - 1) / 2;
    const mid = n % 2 === 1 ? qAt(m === 0 ? start : joints[m - 1]!, controls[m]!, joints[m]!, 0.5) : joints[n / 2 - 1]!;
    const dir = unit(controls[n - 1]!, end) ?? unit(n > 1 ? joints[n - 2]! : start, end) ?? straight;
    const curves = controls.map((c, i) => `Q ${at(c)} ${at(i === n - 1 ? drawnEnd(dir) : joints[i]!)}`);
    return { d: `M ${at(start)} ${curves.join(" ")}`, mid, dir, extent: [start, end, ...controls] };
  }
  if (segments.length > 0) {
    const k = segments.length;
    const mid = k % 2 === 0 ? lerp(segments[k / 2 - 1]!, segments[k / 2]!, 0.5) : segments[(k - 1) / 2]!;
    const dir = unit(segments[k - 1]!, end) ?? straight;
    return {
      d: `M ${at(start)} ${[...segments, drawnEnd(dir)].map((p) => `L ${at(p)}`).join(" ")}`,
      mid,
      dir,
      extent: [start, end, ...segments],
    };
  }
  return { d: `M ${at(start)} L ${at(drawnEnd(straight))}`, mid: lerp(start, end, 0.5), dir: straight, extent: [start, end] };
}

const arrowLength = (width: number) => 4 + 3 * width;

/** A filled triangle with its tip at `tip`, pointing along `dir`, sized to the edge's width. */
function arrowhead(tip: SvgPoint, dir: SvgPoint, width: number, colour: string): string {
  const length = arrowLength(width);
  const half = length * 0.45;
  const base = { x: tip.x - dir.x * length, y: tip.y - dir.y * length };
  const points = [tip, { x: base.x - dir.y * half, y: base.y + dir.x * half }, { x: base.x + dir.y * half, y: base.y - dir.x * half }];
  return `<polygon points="${points.map((p) => `${r(p.x)},${r(p.y)}`).join(" ")}" fill="${colour}"/>`;
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function text(x: number, y: number, label: string, size: number, weight = "normal", anchor = "middle"): string {
  return label
    .split("\n")
    .map(
      (line, i) =>
        `<text x="${r(x)}" y="${r(y + i * (size + 2))}" font-size="${size}" font-weight="${weight}" text-anchor="${anchor}">${escapeXml(line)}</text>`,
    )
    .join("");
}

/** An SVG document of the scene, in graph coordinates, with a margin. */
export function toSvg(nodes: readonly SvgNode[], edges: readonly SvgEdge[], margin = 24): string {
  // The line stops inside the arrowhead, so its square end does not show around the tip.
  const shapes = edges.map((e) => ({ e, g: edgeGeometry(e, arrowLength(e.width) * 0.7) }));
  const xs = [...nodes.flatMap((n) => [n.x - n.w / 2, n.x + n.w / 2]), ...shapes.flatMap((s) => s.g.extent.map((p) => p.x))];
  const lines = (n: SvgNode) => n.label.split("\n").length;
  // Compound titles sit above the box, leaf labels below the shape.
  const ys = [
    ...nodes.flatMap((n) =>
      n.compound
        ? [n.y - n.h / 2 - lines(n) * (n.fontSize + 2), n.y + n.h / 2]
        : [n.y - n.h / 2, n.y + n.h / 2 + (n.labelInside ? 0 : lines(n) * (n.fontSize + 2))],
    ),
    ...shapes.flatMap((s) => s.g.extent.map((p) => p.y)),
  ];
  const minX = (xs.length ? Math.min(...xs) : 0) - margin;
  const minY = (ys.length ? Math.min(...ys) : 0) - margin;
  const width = (xs.length ? Math.max(...xs) : 0) - minX + margin;
  const height = (ys.length ? Math.max(...ys) : 0) - minY + margin;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="${r(minX)} ${r(minY)} ${r(width)} ${r(height)}" width="${r(width)}" height="${r(height)}" font-family="Inter, system-ui, sans-serif">`,
    `<rect x="${r(minX)}" y="${r(minY)}" width="${r(width)}" height="${r(height)}" fill="#ffffff"/>`,
  ];
  const compounds = nodes.filter((n) => n.compound).sort((a, b) => b.w * b.h - a.w * a.h);
  for (const n of compounds) {
    out.push(
      `<rect x="${r(n.x - n.w / 2)}" y="${r(n.y - n.h / 2)}" width="${r(n.w)}" height="${r(n.h)}" rx="8" fill="${n.fill}" stroke="${n.stroke}"/>`,
    );
    out.push(text(n.x, n.y - n.h / 2 - 5 - (lines(n) - 1) * (n.fontSize + 2), n.label, n.fontSize, "bold"));
  }
  for (const { e, g } of shapes) {
    const dash = e.dashed ? ` stroke-dasharray="6 3"` : "";
    out.push(
      `<path d="${g.d}" fill="none" stroke="${e.colour}" stroke-width="${e.width}"${dash}/>`,
      arrowhead({ x: e.x2, y: e.y2 }, g.dir, e.width, e.colour),
    );
    if (e.label) out.push(text(g.mid.x, g.mid.y - 3, e.label, 9));
  }
  for (const n of nodes.filter((x) => !x.compound)) {
    const shape =
      n.shape === "ellipse"
        ? `<ellipse cx="${r(n.x)}" cy="${r(n.y)}" rx="${r(n.w / 2)}" ry="${r(n.h / 2)}" fill="${n.fill}" stroke="${n.stroke}" stroke-width="2"/>`
        : `<rect x="${r(n.x - n.w / 2)}" y="${r(n.y - n.h / 2)}" width="${r(n.w)}" height="${r(n.h)}" rx="4" fill="${n.fill}" stroke="${n.stroke}"/>`;
    // Inside: the lines centred on the box (a baseline sits about a third of the font below the middle).
    const labelTop = n.labelInside ? n.y - ((lines(n) - 1) * (n.fontSize + 2)) / 2 + n.fontSize / 3 : n.y + n.h / 2 + n.fontSize;
    out.push(shape, text(n.x, labelTop, n.label, n.fontSize, n.labelInside ? "bold" : "normal"));
  }
  out.push("</svg>");
  return out.join("\n");
}
