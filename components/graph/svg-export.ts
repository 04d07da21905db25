// SVG export written from the laid-out positions (no extension needed):
// compound boxes, nodes, straight edges with arrowheads, and labels.

export interface SvgNode {
  x: number;
  y: number;
  w: number;
  h: number;
  label: string;
  /** Compound boxes are drawn first, as rounded rectangles with a title. */
  compound: boolean;
  fill: string;
  stroke: string;
  shape: "rect" | "ellipse";
}

export interface SvgEdge {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  label: string;
  colour: string;
  width: number;
  dashed: boolean;
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const r = (n: number) => Math.round(n * 10) / 10;

function text(x: number, y: number, label: string, size: number, weight = "normal", anchor = "middle"): string {
  return label
    .split("\n")
    .map((line, i) => `<text x="${r(x)}" y="${r(y + i * (size + 2))}" font-size="${size}" font-weight="${weight}" text-anchor="${anchor}">${escapeXml(line)}</text>`)
    .join("");
}

/** An SVG document of the scene, in graph coordinates, with a margin. */
export function toSvg(nodes: readonly SvgNode[], edges: readonly SvgEdge[], margin = 24): string {
  const xs = nodes.flatMap((n) => [n.x - n.w / 2, n.x + n.w / 2]);
  const ys = nodes.flatMap((n) => [n.y - n.h / 2, n.y + n.h / 2 + 16]);
  const minX = (xs.length ? Math.min(...xs) : 0) - margin;
  const minY = (ys.length ? Math.min(...ys) : 0) - margin - 16;
  const width = (xs.length ? Math.max(...xs) : 0) - minX + margin;
  const height = (ys.length ? Math.max(...ys) : 0) - minY + margin;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="${r(minX)} ${r(minY)} ${r(width)} ${r(height)}" width="${r(width)}" height="${r(height)}" font-family="Inter, system-ui, sans-serif">`,
    `<rect x="${r(minX)}" y="${r(minY)}" width="${r(width)}" height="${r(height)}" fill="#ffffff"/>`,
    `<defs>${[...new Set(edges.map((e) => e.colour))].map((c) => `<marker id="arrow-${c.replace(/[^a-z0-9]/gi, "")}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="${c}"/></marker>`).join("")}</defs>`,
  ];
  const compounds = nodes.filter((n) => n.compound).sort((a, b) => b.w * b.h - a.w * a.h);
  for (const n of compounds) {
    out.push(`<rect x="${r(n.x - n.w / 2)}" y="${r(n.y - n.h / 2)}" width="${r(n.w)}" height="${r(n.h)}" rx="8" fill="${n.fill}" stroke="${n.stroke}"/>`);
    out.push(text(n.x, n.y - n.h / 2 - 5, n.label, 12, "bold"));
  }
  for (const e of edges) {
    const dash = e.dashed ? ` stroke-dasharray="6 3"` : "";
    out.push(`<line x1="${r(e.x1)}" y1="${r(e.y1)}" x2="${r(e.x2)}" y2="${r(e.y2)}" stroke="${e.colour}" stroke-width="${e.width}"${dash} marker-end="url(#arrow-${e.colour.replace(/[^a-z0-9]/gi, "")})"/>`);
    if (e.label) out.push(text((e.x1 + e.x2) / 2, (e.y1 + e.y2) / 2 - 3, e.label, 9));
  }
  for (const n of nodes.filter((x) => !x.compound)) {
    const shape =
      n.shape === "ellipse"
        ? `<ellipse cx="${r(n.x)}" cy="${r(n.y)}" rx="${r(n.w / 2)}" ry="${r(n.h / 2)}" fill="${n.fill}" stroke="${n.stroke}" stroke-width="2"/>`
        : `<rect x="${r(n.x - n.w / 2)}" y="${r(n.y - n.h / 2)}" width="${r(n.w)}" height="${r(n.h)}" rx="4" fill="${n.fill}" stroke="${n.stroke}"/>`;
    out.push(shape, text(n.x, n.y + n.h / 2 + 12, n.label, 11));
  }
  out.push("</svg>");
  return out.join("\n");
}
