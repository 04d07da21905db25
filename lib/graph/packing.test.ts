import { describe, expect, it } from "vitest";
import type { ElementDef } from "./elements";
import { LABEL_MAX_WIDTH } from "./geometry";
import { byNeighbourHeight, edgesOverOtherColumns, estimateLabel, groupedLayout, type Box } from "./packing";

const node = (id: string, classes: string, label: string, parent?: string): ElementDef => ({
  group: "nodes",
  data: { id, label, ...(parent ? { parent } : {}) },
  classes,
});
const edge = (source: string, target: string, classes = "layer-namespace"): ElementDef => ({
  group: "edges",
  data: { id: `${source}->${target}`, source, target },
  classes,
});

/** Tenants × namespaces × workloads, a platform tenant with a service, and loose external destinations. */
function organisation(tenants: number, namespaces: number, workloads: number): ElementDef[] {
  const out: ElementDef[] = [];
  for (let t = 0; t < tenants; t++) {
    out.push(node(`t${t}`, "tenant", `tenant team-${t}`));
    for (let n = 0; n < namespaces; n++) {
      out.push(node(`t${t}n${n}`, "namespace", `team-${t}-ns-${n}`, `t${t}`));
      for (let w = 0; w < workloads; w++) out.push(node(`t${t}n${n}w${w}`, "workload", `service-${w}-with-a-longer-name`, `t${t}n${n}`));
    }
  }
  out.push(node("platform", "tenant platform", "no tenant (platform)"), node("kube-system", "namespace", "kube-system", "platform"));
  out.push(
    node("coredns", "workload", "coredns", "kube-system"),
    node("svc-kube-dns", "service", "svc kube-dns", "kube-system"),
    node("aaa", "workload", "aaa-first-by-name", "kube-system"),
  );
  out.push(edge("svc-kube-dns", "coredns", "fronts"));
  out.push(
    node("x1", "external ext-dns", "api.stripe.com"),
    node("x2", "external ext-cidr", "0.0.0.0/0 except 10.0.0.0/8,169.254.0.0/16,172.16.0.0/12"),
    node("x3", "island namespace", "big-ns\n120 workloads"),
  );
  return out;
}

const overlaps = (a: Box, b: Box) => a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;
const inside = (inner: Box, outer: Box) => inner.x1 >= outer.x1 && inner.x2 <= outer.x2 && inner.y1 >= outer.y1 && inner.y2 <= outer.y2;

describe("grouped layout", () => {
  const elements = organisation(6, 3, 5);
  const laid = groupedLayout(elements, 1.6);
  const nodes = elements.filter((e) => e.group === "nodes");
  const parentOf = new Map(nodes.map((n) => [n.data.id, n.data.parent as string | undefined]));
  const isParent = new Set([...parentOf.values()].filter(Boolean));

  it("places every leaf, and only leaves (compound nodes follow their children)", () => {
    const leaves = nodes.filter((n) => !isParent.has(n.data.id)).map((n) => n.data.id);
    expect(Object.keys(laid.positions).sort()).toEqual(leaves.sort());
  });

  it("keeps siblings apart, labels and titles included, and every node inside its group", () => {
    const siblings = new Map<string, string[]>();
    for (const n of nodes) siblings.set(String(n.data.parent ?? ""), [...(siblings.get(String(n.data.parent ?? "")) ?? []), n.data.id]);
    for (const ids of siblings.values()) {
      for (let i = 0; i < ids.length; i++)
        for (let j = i + 1; j < ids.length; j++)
          expect(overlaps(laid.boxes[ids[i]!]!, laid.boxes[ids[j]!]!), `${ids[i]} and ${ids[j]}`).toBe(false);
    }
    for (const n of nodes) {
      const parent = parentOf.get(n.data.id);
      if (parent) expect(inside(laid.boxes[n.data.id]!, laid.boxes[parent]!), `${n.data.id} inside ${parent}`).toBe(true);
      expect(inside(laid.boxes[n.data.id]!, { x1: 0, y1: 0, x2: laid.width, y2: laid.height })).toBe(true);
    }
  });

  it("packs the whole to about the canvas's shape", () => {
    for (const aspect of [1, 1.6, 2.5]) {
      const { width, height } = groupedLayout(elements, aspect);
      expect(width / height).toBeGreaterThan(aspect / 2);
      expect(width / height).toBeLessThan(aspect * 2);
    }
  });

  it("orders a group's contents by name, with a Service right after the workload it fronts", () => {
    const order = ["aaa", "coredns", "svc-kube-dns"].map((id) => laid.positions[id]!);
    const reading = (p: { x: number; y: number }) => p.y * 10_000 + p.x;
    expect(reading(order[0]!)).toBeLessThan(reading(order[1]!));
    expect(reading(order[1]!)).toBeLessThan(reading(order[2]!));
  });

  it("is deterministic: the same elements give the same positions", () => {
    expect(groupedLayout(organisation(6, 3, 5), 1.6)).toEqual(laid);
  });

  it("gives an empty drawing for no elements", () => {
    expect(groupedLayout([], 1.6)).toEqual({ positions: {}, boxes: {}, width: 0, height: 0 });
  });
});

describe("islands", () => {
  it("keep room for a name longer than their shape, so neighbouring islands' labels do not meet", () => {
    const islands = ["payments-settlement-production-eu", "a", "b", "c"].map((name) =>
      node(name, "island namespace", `${name}\n20 workloads`, "t"),
    );
    const laid = groupedLayout([node("t", "tenant", "tenant t"), ...islands], 1.6);
    const long = laid.boxes["payments-settlement-production-eu"]!;
    expect(long.x2 - long.x1).toBeGreaterThan(estimateLabel("payments-settlement-production-eu", 16, true).width);
    for (const other of ["a", "b", "c"]) expect(overlaps(long, laid.boxes[other]!)).toBe(false);
  });
});

describe("label estimate", () => {
  it("wraps at spaces past the stylesheet's max width and never breaks a word", () => {
    const oneWord = estimateLabel("x".repeat(60), 30);
    expect(oneWord.width).toBeGreaterThan(LABEL_MAX_WIDTH);
    expect(oneWord.height).toBe(36);
    const words = estimateLabel("0.0.0.0/0 except 10.0.0.0/8,169.254.0.0/16", 30);
    expect(words.height).toBe(36 * 3);
    expect(estimateLabel("a\nb", 20).height).toBe(48);
  });
});

/** Clusters of namespace islands in tenants, and the shared external destinations' group. */
function clusters(names: string[], tenants: number, namespaces: number): ElementDef[] {
  const out: ElementDef[] = [];
  for (const c of names) {
    out.push(node(`c:${c}`, "cluster", c));
    for (let t = 0; t < tenants; t++) {
      out.push(node(`t:${c}/${t}`, "tenant", `tenant team-${t}`, `c:${c}`));
      for (let n = 0; n < namespaces; n++) {
        const island = node(`n:${c}/${t}-${n}`, "namespace island", `team-${t}-ns-${n}\n4 workloads`, `t:${c}/${t}`);
        out.push({ ...island, data: { ...island.data, cluster: c } });
      }
    }
  }
  out.push(node("g:external", "externals", "External destinations"));
  for (const x of ["api.stripe.com", "world", "s3.eu-west-1.amazonaws.com"]) out.push(node(`x:${x}`, "external ext-dns", x, "g:external"));
  return out;
}

describe("the all-clusters layout", () => {
  const names = ["prod-eu-1", "prod-us-1", "staging-eu-1"];
  const elements = [
    ...clusters(names, 4, 3),
    // Reached from low down in one cluster, from the top of another.
    edge("n:prod-eu-1/3-2", "x:world", "aggregate"),
    edge("n:prod-us-1/0-0", "x:api.stripe.com", "aggregate"),
  ];
  const laid = groupedLayout(elements, 1.6);
  const box = (id: string) => laid.boxes[id]!;

  it("puts the clusters side by side in name order, top-aligned, each a column of its own", () => {
    const [a, b, c] = names.map((n) => box(`c:${n}`));
    expect(a!.x2).toBeLessThan(b!.x1);
    expect(b!.x2).toBeLessThan(c!.x1);
    expect([a!.y1, b!.y1, c!.y1]).toEqual([0, 0, 0]);
    for (const n of names)
      for (let t = 0; t < 4; t++) expect(inside(box(`t:${n}/${t}`), box(`c:${n}`)), `${n} tenant ${t} in its column`).toBe(true);
  });

  it("puts the shared destinations in one column between the clusters, ordered by the height of what reaches them", () => {
    const externals = box("g:external");
    expect(externals.x1).toBeGreaterThan(box("c:prod-us-1").x2);
    expect(externals.x2).toBeLessThan(box("c:staging-eu-1").x1);
    const x = ["api.stripe.com", "world", "s3.eu-west-1.amazonaws.com"].map((h) => laid.positions[`x:${h}`]!);
    expect(new Set(x.map((p) => p.x)).size).toBe(1);
    // Stripe is reached from a top namespace, world from a low one, S3 from nowhere (last).
    expect(x[0]!.y).toBeLessThan(x[1]!.y);
    expect(x[1]!.y).toBeLessThan(x[2]!.y);
  });

  it("shapes the columns to the canvas: the drawing is about as wide as the canvas's shape asks", () => {
    for (const aspect of [1.2, 1.6, 2.4]) {
      const l = groupedLayout(elements, aspect);
      const ratio = l.width / l.height;
      expect(ratio, `aspect ${aspect}`).toBeGreaterThan(aspect / 2);
      expect(ratio, `aspect ${aspect}`).toBeLessThan(aspect * 2);
    }
  });

  it("draws light only the paths that pass over another cluster's column", () => {
    // prod-eu-1 is left of prod-us-1, the shared column right of it: its path to world crosses prod-us-1.
    expect(edgesOverOtherColumns(elements, laid)).toEqual(["n:prod-eu-1/3-2->x:world"]);
  });

  it("keeps every island, destination and title apart", () => {
    const ids = Object.keys(laid.boxes);
    const parent = new Map(elements.filter((e) => e.group === "nodes").map((e) => [e.data.id, e.data.parent as string | undefined]));
    const related = (a: string, b: string) => {
      for (let p = parent.get(a); p; p = parent.get(p)) if (p === b) return true;
      return false;
    };
    const clashes: string[] = [];
    for (let i = 0; i < ids.length; i++)
      for (let j = i + 1; j < ids.length; j++)
        if (!related(ids[i]!, ids[j]!) && !related(ids[j]!, ids[i]!) && overlaps(box(ids[i]!), box(ids[j]!)))
          clashes.push(`${ids[i]} × ${ids[j]}`);
    expect(clashes).toEqual([]);
  });
});

describe("destinations by the height of what reaches them", () => {
  it("orders by the mean height of their neighbours, the unreached last in their own order", () => {
    const y = { a: { x: 0, y: 100 }, b: { x: 0, y: 10 }, c: { x: 0, y: 50 } };
    const edges = [edge("a", "x1"), edge("b", "x2"), edge("x2", "a"), edge("c", "x3")];
    // x1: 100; x2: (10 + 100) / 2 = 55; x3: 50; x4: unreached.
    expect(byNeighbourHeight(["x1", "x2", "x3", "x4", "x0"], edges, y)).toEqual(["x3", "x2", "x1", "x4", "x0"]);
  });
});
