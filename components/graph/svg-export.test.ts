import { describe, expect, it } from "vitest";
import { escapeXml, toSvg } from "./svg-export";

describe("SVG export", () => {
  const svg = toSvg(
    [
      { x: 0, y: 0, w: 200, h: 100, label: "tenant payments", compound: true, fill: "#f1f5f9", stroke: "#94a3b8", shape: "rect" },
      { x: -50, y: 0, w: 26, h: 18, label: "payments-api", compound: false, fill: "#1e293b", stroke: "#1e293b", shape: "rect" },
      { x: 50, y: 0, w: 20, h: 20, label: "api.stripe.com", compound: false, fill: "#f8fafc", stroke: "#0369a1", shape: "ellipse" },
    ],
    [{ x1: -50, y1: 0, x2: 50, y2: 0, label: "443/TCP & more", colour: "#d97706", width: 2, dashed: true }],
  );

  it("draws groups, nodes, edges with arrowheads and escaped labels", () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain(">tenant payments</text>");
    expect(svg).toContain("<ellipse");
    expect(svg).toContain('stroke-dasharray="6 3"');
    expect(svg).toContain('marker-end="url(#arrow-d97706)"');
    expect(svg).toContain("443/TCP &amp; more");
    // Groups are drawn before the edges, edges before the leaf nodes (so nodes sit on top).
    expect(svg.indexOf("tenant payments")).toBeLessThan(svg.indexOf("<line"));
    expect(svg.indexOf("<line")).toBeLessThan(svg.indexOf("<ellipse"));
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
