import cytoscape from "cytoscape";
import { describe, expect, it } from "vitest";
import { toElements } from "@/lib/graph/elements";
import { project } from "@/lib/graph/islands";
import type { GraphData, GraphEdge, GraphNode } from "@/lib/graph/types";
import { DEFAULT_FILTERS, filterElements, filtering, shownCounts, type CanvasFilters } from "./filters";

const ns = (name: string, tenant: string, workloads: number): GraphNode => ({
  id: `n:c/${name}`,
  kind: "namespace",
  label: name,
  parent: `t:c/${tenant}`,
  cluster: "c",
  tenant,
  namespace: name,
  workloads,
});
const tenant = (name: string, workloads: number): GraphNode => ({
  id: `t:c/${name}`,
  kind: "tenant",
  label: name,
  cluster: "c",
  tenant: name,
  workloads,
});
const wl = (namespace: string, name: string, tenant: string): GraphNode => ({
  id: `w:c/${namespace}/Deployment/${name}`,
  kind: "workload",
  label: name,
  parent: `n:c/${namespace}`,
  cluster: "c",
  tenant,
  namespace,
});
const path = (source: string, target: string, layer: GraphEdge["allowance"]["layer"]): GraphEdge => ({
  id: `e:${source}->${target}`,
  source,
  target,
  ports: ["8080/TCP"],
  allowance: { layer },
});

const WEB = "w:c/shop/Deployment/web";
const API = "w:c/shop/Deployment/api";
const DB = "w:c/pay/Deployment/db";
const GRAFANA = "w:c/ops/Deployment/grafana";
const STRIPE = "x:api.stripe.com";

const DATA: GraphData = {
  nodes: [
    tenant("shop", 2),
    tenant("pay", 1),
    tenant("ops", 1),
    ns("shop", "shop", 2),
    ns("pay", "pay", 1),
    ns("ops", "ops", 1),
    wl("shop", "web", "shop"),
    wl("shop", "api", "shop"),
    wl("pay", "db", "pay"),
    wl("ops", "grafana", "ops"),
    { id: "g:external", kind: "externals", label: "external" },
    { id: STRIPE, kind: "external", label: "api.stripe.com", parent: "g:external", externalKind: "dns" },
  ],
  edges: [path(WEB, API, "namespace"), path(API, DB, "admin"), path(API, STRIPE, "exception"), path(GRAFANA, DB, "baseline")],
};

const f = (change: Partial<CanvasFilters>): CanvasFilters => ({ ...DEFAULT_FILTERS, ...change });
const leaves = (shown: ReadonlySet<string>) => [...shown].filter((id) => id.startsWith("w:") || id.startsWith("x:")).sort();

/** What Cytoscape itself draws with the "hidden" classes set as filterElements says. */
function drawnByCytoscape(data: GraphData, filters: CanvasFilters) {
  const elements = toElements(data);
  const { hidden } = filterElements(elements, filters);
  const cy = cytoscape({
    headless: true,
    styleEnabled: true,
    style: [{ selector: ".hidden", style: { display: "none" } }],
    elements: elements.map((e) => ({ ...e, classes: hidden.has(e.data.id) ? `${e.classes} hidden` : e.classes })),
  });
  const visible = {
    nodes: new Set(
      cy
        .nodes()
        .filter((n) => n.visible())
        .map((n) => n.id()),
    ),
    edges: new Set(
      cy
        .edges()
        .filter((e) => e.visible())
        .map((e) => e.id()),
    ),
  };
  cy.destroy();
  return visible;
}

describe("graph filters", () => {
  it("a tenant keeps its workloads, the peers they talk to and those paths, and nothing else", () => {
    const { shown } = filterElements(toElements(DATA), f({ tenant: "shop" }));
    expect(leaves(shown.nodes)).toEqual([STRIPE, DB, API, WEB].sort());
    expect([...shown.edges].sort()).toEqual([`e:${API}->${DB}`, `e:${API}->${STRIPE}`, `e:${WEB}->${API}`]);
    expect(shown.nodes.has("n:c/ops")).toBe(false);
    expect(shown.nodes.has("t:c/pay")).toBe(true);
  });

  it("a peer reached only through a hidden layer leaves with that layer", () => {
    const { shown } = filterElements(toElements(DATA), f({ tenant: "shop", layers: { ...DEFAULT_FILTERS.layers, admin: false } }));
    expect(leaves(shown.nodes)).toEqual([STRIPE, API, WEB].sort());
    expect(shown.nodes.has("n:c/pay")).toBe(false);
  });

  it("only paths to a destination keeps the paths into it and their sources", () => {
    const { shown } = filterElements(toElements(DATA), f({ destination: DB }));
    expect(leaves(shown.nodes)).toEqual([DB, GRAFANA, API].sort());
    expect([...shown.edges].sort()).toEqual([`e:${API}->${DB}`, `e:${GRAFANA}->${DB}`].sort());
  });

  it("hiding external destinations hides their paths too", () => {
    const { shown } = filterElements(toElements(DATA), f({ showExternal: false }));
    expect(shown.nodes.has(STRIPE)).toBe(false);
    expect(shown.edges.has(`e:${API}->${STRIPE}`)).toBe(false);
    expect(shown.edges.size).toBe(3);
  });

  it("decides exactly what Cytoscape draws, for every filter", () => {
    const cases: CanvasFilters[] = [
      DEFAULT_FILTERS,
      f({ tenant: "shop" }),
      f({ tenant: "pay", showExternal: false }),
      f({ namespace: "ops" }),
      f({ destination: STRIPE }),
      f({ destination: "n:c/pay" }),
      f({ layers: { ...DEFAULT_FILTERS.layers, namespace: false, baseline: false } }),
      f({ tenant: "shop", showExternal: false, layers: { ...DEFAULT_FILTERS.layers, exception: false } }),
    ];
    for (const data of [DATA, project(DATA, ["n:c/pay"]), project(DATA, ["t:c/shop", "g:external"])])
      for (const filters of cases) {
        const { shown } = filterElements(toElements(data), filters);
        const drawn = drawnByCytoscape(data, filters);
        expect({ filters, nodes: [...shown.nodes].sort(), edges: [...shown.edges].sort() }).toEqual({
          filters,
          nodes: [...drawn.nodes].sort(),
          edges: [...drawn.edges].sort(),
        });
      }
  });

  it("marks only the outermost of what it hides: a hidden tenant's namespaces, workloads and paths go with it", () => {
    const { hidden } = filterElements(toElements(DATA), f({ tenant: "shop", showExternal: false }));
    expect([...hidden].sort()).toEqual(["t:c/ops", STRIPE].sort());
  });

  it("counts what is shown: an island counts the workloads and paths it holds", () => {
    const all = filterElements(toElements(DATA), DEFAULT_FILTERS);
    expect(shownCounts(DATA, all.shown)).toEqual({ workloads: 4, paths: 4 });
    const islands = project(DATA, ["t:c/shop"]);
    const whole = filterElements(toElements(islands), DEFAULT_FILTERS);
    // web → api is inside the island now; the two paths out of it are two aggregated edges.
    expect(shownCounts(islands, whole.shown)).toEqual({ workloads: 4, paths: 4 });
    // The shop island is shown as db's peer: it counts what it holds, as it does without a filter.
    const pay = filterElements(toElements(islands), f({ tenant: "pay" }));
    expect(shownCounts(islands, pay.shown)).toEqual({ workloads: 4, paths: 3 });
    const ops = filterElements(toElements(DATA), f({ namespace: "ops" }));
    expect(shownCounts(DATA, ops.shown)).toEqual({ workloads: 2, paths: 1 });
  });

  it("knows when a filter is on", () => {
    expect(filtering(DEFAULT_FILTERS)).toBe(false);
    expect(filtering(f({ tenant: "shop" }))).toBe(true);
    expect(filtering(f({ showExternal: false }))).toBe(true);
    expect(filtering(f({ layers: { ...DEFAULT_FILTERS.layers, default: false } }))).toBe(true);
  });
});
