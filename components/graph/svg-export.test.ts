import { describe, expect, it } from "vitest";
import { edgeGeometry, escapeXml, toSvg, type SvgEdge } from "./svg-export";

const style = { label: "", colour: "#16a34a", width: 2, dashed: false };

/** The arrowhead polygons of an SVG document: tip first, then the two base corners. */
function arrowheads(svg: string): { x: number; y: number }[][] {
  return [...svg.matchAll(/<polygon points="([^"]+)"/g)].map((m) =>
    m[1]!.split(" ").map((p) => ({ x: Number(p.split(",")[0]), y: Number(p.split(",")[1]) })),
  );
}

const labelAt = (svg: string, label: string) => {
  const m = new RegExp(`<text x="([-\\d.]+)" y="([-\\d.]+)"[^>]*>${label}</text>`).exec(svg)!;
  return { x: Number(m[1]), y: Number(m[2]) };
};

describe("SVG export", () => {
  const svg = toSvg(
    [
      {
        x: 0,
        y: 0,
        w: 200,
        h: 100,
        label: "tenant payments",
        fontSize: 32,
        compound: true,
        fill: "#f1f5f9",
        stroke: "#94a3b8",
        shape: "rect",
      },
      {
        x: -50,
        y: 0,
        w: 26,
        h: 18,
        label: "payments-api",
        fontSize: 30,
        compound: false,
        fill: "#1e293b",
        stroke: "#1e293b",
        shape: "rect",
      },
      {
        x: 50,
        y: 0,
        w: 20,
        h: 20,
        label: "api.stripe.com",
        fontSize: 30,
        compound: false,
        fill: "#f8fafc",
        stroke: "#0369a1",
        shape: "ellipse",
      },
    ],
    [{ x1: -50, y1: 0, x2: 50, y2: 0, label: "443/TCP & more", colour: "#d97706", width: 2, dashed: true }],
  );

  it("draws groups, nodes, edges with arrowheads and escaped labels", () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain(">tenant payments</text>");
    expect(svg).toContain("<ellipse");
    expect(svg).toContain('stroke-dasharray="6 3"');
    expect(svg).toContain('<polygon points="50,0 ');
    expect(svg).toContain('fill="#d97706"/>');
    expect(svg).toContain("443/TCP &amp; more");
    // Groups are drawn before the edges, edges before the leaf nodes (so nodes sit on top).
    expect(svg.indexOf("tenant payments")).toBeLessThan(svg.indexOf("<path"));
    expect(svg.indexOf("<path")).toBeLessThan(svg.indexOf("<ellipse"));
  });

  it("draws a straight edge as a line that stops inside its arrowhead, label at the middle", () => {
    expect(svg).toMatch(/<path d="M -50 0 L (4[0-9](\.\d)?) 0" fill="none"/);
    const [tip, a, b] = arrowheads(svg)[0]!;
    expect(tip).toEqual({ x: 50, y: 0 });
    expect(a!.x).toBeLessThan(50);
    expect(a!.x).toBe(b!.x);
    expect(labelAt(svg, "443/TCP &amp; more")).toEqual({ x: 0, y: -3 });
  });

  it("fits the view box around every node with a margin", () => {
    const m = /viewBox="([-\d.]+) ([-\d.]+) ([\d.]+) ([\d.]+)"/.exec(svg)!;
    expect(Number(m[1])).toBeLessThanOrEqual(-100 - 24);
    expect(Number(m[1]) + Number(m[3])).toBeGreaterThanOrEqual(100 + 24);
  });

  it("escapes XML metacharacters", () => {
    expect(escapeXml(`<a href="x">&</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;");
  });
});

describe("curved edges in the SVG export", () => {
  // A bezier edge bowing upwards: it leaves (0,0) heading up-right and arrives at (100,0) heading straight down.
  const bezier: SvgEdge = { x1: 0, y1: 0, x2: 100, y2: 0, controlPoints: [{ x: 100, y: -100 }], ...style, label: "8080/TCP" };

  it("draws a bezier edge as a quadratic curve through its control point, like the canvas", () => {
    expect(edgeGeometry(bezier).d).toBe("M 0 0 Q 100 -100 100 0");
    const svg = toSvg([], [bezier]);
    expect(svg).toMatch(/<path d="M 0 0 Q 100 -100 100 -\d+(\.\d)?" fill="none" stroke="#16a34a"/);
    expect(svg).not.toContain("<line");
  });

  it("points the arrowhead along the curve's end tangent, not along the chord", () => {
    const [tip, a, b] = arrowheads(toSvg([], [bezier]))[0]!;
    expect(tip).toEqual({ x: 100, y: 0 });
    // Arriving downwards: the base sits above the tip, centred on it.
    expect(a!.y).toBeLessThan(0);
    expect(a!.y).toBe(b!.y);
    expect((a!.x + b!.x) / 2).toBeCloseTo(100, 5);
  });

  it("puts the label at the curve's midpoint", () => {
    // B(0.5) = 0.25·P0 + 0.5·C + 0.25·P1
    expect(edgeGeometry(bezier).mid).toEqual({ x: 75, y: -50 });
    expect(labelAt(toSvg([], [bezier]), "8080/TCP")).toEqual({ x: 75, y: -53 });
  });

  it("chains one quadratic curve per control point, joined halfway between them (parallel edges, loops)", () => {
    const loop: SvgEdge = {
      x1: -5,
      y1: -10,
      x2: 5,
      y2: -10,
      controlPoints: [
        { x: -20, y: -40 },
        { x: 20, y: -40 },
      ],
      loop: true,
      ...style,
    };
    const g = edgeGeometry(loop);
    expect(g.d).toBe("M -5 -10 Q -20 -40 0 -40 Q 20 -40 5 -10");
    expect(g.mid).toEqual({ x: 0, y: -40 });
    const three = edgeGeometry({
      ...bezier,
      controlPoints: [
        { x: 20, y: -20 },
        { x: 50, y: -40 },
        { x: 80, y: -20 },
      ],
    });
    expect(three.d).toBe("M 0 0 Q 20 -20 35 -30 Q 50 -40 65 -30 Q 80 -20 100 0");
    expect(three.mid).toEqual({ x: 50, y: -35 });
  });

  it("gives a loop without control points a visible loop of its own above its node", () => {
    const g = edgeGeometry({ x1: 10, y1: 10, x2: 10, y2: 10, loop: true, ...style });
    expect(g.d).toMatch(/^M 10 10 Q [-\d.]+ [-\d.]+ [-\d.]+ [-\d.]+ Q [-\d.]+ [-\d.]+ 10 10$/);
    const ys = g.extent.map((p) => p.y);
    expect(Math.min(...ys)).toBeLessThan(-10);
    // The view box makes room for it.
    const m = /viewBox="([-\d.]+) ([-\d.]+)/.exec(
      toSvg(
        [{ x: 10, y: 10, w: 20, h: 20, label: "", fontSize: 30, compound: false, fill: "#fff", stroke: "#000", shape: "rect" }],
        [{ x1: 10, y1: 10, x2: 10, y2: 10, loop: true, ...style }],
      ),
    )!;
    expect(Number(m[2])).toBeLessThan(Math.min(...ys) - 24);
  });

  it("draws a segments edge through its segment points, the arrow along the last segment", () => {
    const seg: SvgEdge = { x1: 0, y1: 0, x2: 100, y2: 50, segmentPoints: [{ x: 0, y: 50 }], ...style };
    const g = edgeGeometry(seg);
    expect(g.d).toBe("M 0 0 L 0 50 L 100 50");
    expect(g.mid).toEqual({ x: 0, y: 50 });
    expect(g.dir).toEqual({ x: 1, y: 0 });
  });
});

describe("island labels", () => {
  it("are drawn inside the island, centred, not below it", () => {
    const island = {
      x: 100,
      y: 50,
      w: 170,
      h: 60,
      label: "payments\n20 workloads",
      fontSize: 16,
      compound: false,
      labelInside: true,
      fill: "#e2e8f0",
      stroke: "#64748b",
      shape: "rect" as const,
    };
    const svg = toSvg([island], []);
    const ys = [...svg.matchAll(/<text x="[-\d.]+" y="([-\d.]+)"/g)].map((m) => Number(m[1]));
    expect(ys).toHaveLength(2);
    for (const y of ys) expect(y).toBeGreaterThan(island.y - island.h / 2);
    for (const y of ys) expect(y).toBeLessThan(island.y + island.h / 2);
    expect((ys[0]! + ys[1]!) / 2).toBeCloseTo(island.y + 16 / 3, 0);
  });
});
