import { expect, test, type Page } from "@playwright/test";
import { PEOPLE, screenshot, signIn } from "./helpers";

// Issue 12 item 12: focus centres a workload and fades what is not connected to
// it; a path's panel keeps both ends of the path in view beside the panel.

type Box = { x1: number; y1: number; x2: number; y2: number };

async function openGraph(page: Page) {
  await page.goto("/graph?cluster=prod-eu-1");
  await expect(page.getByTestId("graph-screen")).toHaveAttribute("data-ready", "true", { timeout: 30_000 });
}

/** Where nodes are drawn, in the canvas's pixels, and the part of the canvas the details panel leaves open. */
const drawn = (page: Page, ids: string[]) =>
  page.evaluate((nodeIds) => {
    type Node = { renderedBoundingBox(o: object): Box; renderedPosition(): { x: number; y: number } };
    const cy = (window as unknown as { __policyplaneGraph: { getElementById(id: string): Node } }).__policyplaneGraph;
    const canvas = document.querySelector('[data-testid="graph-canvas"]')!.getBoundingClientRect();
    const aside = document.querySelector('aside[aria-label="Details"]')?.getBoundingClientRect();
    return {
      open: { x1: 0, y1: 0, x2: (aside ? aside.left : canvas.right) - canvas.left, y2: canvas.height },
      nodes: nodeIds.map((id) => ({
        id,
        box: cy.getElementById(id).renderedBoundingBox({ includeLabels: false }),
        at: cy.getElementById(id).renderedPosition(),
      })),
    };
  }, ids);

const inside = (b: Box, a: Box) => b.x1 >= a.x1 && b.x2 <= a.x2 && b.y1 >= a.y1 && b.y2 <= a.y2;

const emit = (page: Page, id: string, event: string) =>
  page.evaluate(
    ([i, e]) => {
      (window as unknown as { __policyplaneGraph: { getElementById(id: string): { emit(e: string): void } } }).__policyplaneGraph
        .getElementById(i!)
        .emit(e!);
    },
    [id, event],
  );

test("focusing a workload centres it beside the details and fades everything not one path away from it", async ({ page }) => {
  await signIn(page, PEOPLE.viewer.email);
  await openGraph(page);
  const id = "w:prod-eu-1/checkout/Deployment/checkout-api";
  await page.getByLabel("Find a workload").fill("checkout/checkout-api");
  await page.getByRole("button", { name: "Focus" }).click();
  await expect(page.getByTestId("node-panel").getByRole("heading", { name: "checkout/checkout-api" })).toBeVisible();

  // Centred in the part of the canvas the panel leaves open (the camera moves for a quarter second).
  await expect
    .poll(async () => {
      const { open, nodes } = await drawn(page, [id]);
      const at = nodes[0]!.at;
      return Math.round(Math.hypot(at.x - (open.x1 + open.x2) / 2, at.y - (open.y1 + open.y2) / 2));
    })
    .toBeLessThan(12);

  // What is drawn, as the screen shows it: a group's opacity carries to what is inside it.
  const reading = await page.evaluate((focused) => {
    type El = { id(): string; hasClass(c: string): boolean; effectiveOpacity(): number; isParent(): boolean };
    type Coll = { map<T>(fn: (e: El) => T): T[]; filter(fn: (e: El) => boolean): Coll; nodes(): Coll; edges(): Coll; length: number };
    const cy = (
      window as unknown as {
        __policyplaneGraph: {
          getElementById(id: string): { closedNeighborhood(): Coll; connectedEdges(): Coll };
          nodes(s?: string): Coll;
          edges(): Coll;
        };
      }
    ).__policyplaneGraph;
    const around = cy.getElementById(focused).closedNeighborhood();
    const near = new Set(around.nodes().map((n) => n.id()));
    const paths = new Set(around.edges().map((e) => e.id()));
    const leaves = cy.nodes().filter((n) => !n.isParent());
    return {
      near: near.size,
      far: leaves.filter((n) => !near.has(n.id())).length,
      nearFaded: leaves.filter((n) => near.has(n.id()) && n.effectiveOpacity() < 0.9).map((n) => n.id()),
      farClear: leaves.filter((n) => !near.has(n.id()) && n.effectiveOpacity() > 0.2).map((n) => n.id()),
      otherPathsClear: cy.edges().filter((e) => !paths.has(e.id()) && e.effectiveOpacity() > 0.2).length,
      pathsNotForward: cy
        .getElementById(focused)
        .connectedEdges()
        .filter((e) => !e.hasClass("highlighted") || e.effectiveOpacity() < 1).length,
    };
  }, id);
  expect(reading.near).toBeGreaterThan(2);
  expect(reading.far).toBeGreaterThan(10);
  expect(reading.nearFaded).toEqual([]);
  expect(reading.farClear).toEqual([]);
  expect(reading.otherPathsClear).toBe(0);
  expect(reading.pathsNotForward).toBe(0);
  await screenshot(page, "graph-focus", { fullPage: true });

  await page.getByRole("button", { name: "Close details" }).click();
  await expect
    .poll(() =>
      page.evaluate(
        () =>
          (window as unknown as { __policyplaneGraph: { nodes(s: string): { length: number } } }).__policyplaneGraph.nodes(".faded").length,
      ),
    )
    .toBe(0);
});

test("a path's panel keeps both of its ends in view beside it, however far apart they are drawn", async ({ page }) => {
  await signIn(page, PEOPLE.viewer.email);
  await openGraph(page);
  // The path whose ends are drawn farthest apart, with the reader zoomed in on its source.
  const far = await page.evaluate(() => {
    type Node = { id(): string; position(): { x: number; y: number }; isParent(): boolean };
    type Edge = { id(): string; source(): Node; target(): Node; hasClass(c: string): boolean };
    const cy = (
      window as unknown as {
        __policyplaneGraph: {
          edges(): { filter(f: (e: Edge) => boolean): { map<T>(f: (e: Edge) => T): T[] } };
          zoom(o: object): void;
          center(n: unknown): void;
          getElementById(id: string): unknown;
        };
      }
    ).__policyplaneGraph;
    const d = (e: Edge) => Math.hypot(e.source().position().x - e.target().position().x, e.source().position().y - e.target().position().y);
    const [edge] = cy
      .edges()
      .filter((e) => !e.hasClass("fronts") && !e.source().isParent() && !e.target().isParent())
      .map((e) => ({ id: e.id(), source: e.source().id(), target: e.target().id(), distance: d(e) }))
      .sort((a, b) => b.distance - a.distance);
    cy.zoom({ level: 1.5, renderedPosition: { x: 0, y: 0 } });
    cy.center(cy.getElementById(edge!.source));
    return edge!;
  });
  const ends = [far.source, far.target];
  const before = await drawn(page, ends);
  expect(before.nodes.every((n) => inside(n.box, before.open))).toBe(false);

  await emit(page, far.id, "tap");
  await expect(page.getByTestId("edge-panel")).toBeVisible();
  await expect
    .poll(async () => {
      const { open, nodes } = await drawn(page, ends);
      return nodes.filter((n) => !inside(n.box, open)).map((n) => n.id);
    })
    .toEqual([]);
  await screenshot(page, "graph-edge", { fullPage: true });

  // From a workload's list of paths: the path opens framed the same way.
  await page.getByRole("button", { name: "Close details" }).click();
  const ledger = "w:prod-eu-1/payments/Deployment/ledger";
  await emit(page, ledger, "tap");
  const panel = page.getByTestId("node-panel");
  await expect(panel.getByRole("heading", { name: "payments/ledger" })).toBeVisible();
  // zoom() returns the graph: returned from evaluate, Playwright would serialise all of it.
  await page.evaluate(() => {
    (window as unknown as { __policyplaneGraph: { zoom(o: object): void } }).__policyplaneGraph.zoom({
      level: 2.5,
      renderedPosition: { x: 0, y: 0 },
    });
  });
  await panel.getByRole("button", { name: /→/ }).first().click();
  await expect(page.getByTestId("edge-panel")).toBeVisible();
  const selected = await page.evaluate(() => {
    type Edge = { source(): { id(): string }; target(): { id(): string } };
    const cy = (window as unknown as { __policyplaneGraph: { $(s: string): { map<T>(f: (e: Edge) => T): T[] } } }).__policyplaneGraph;
    return cy.$("edge:selected").map((e) => [e.source().id(), e.target().id()])[0]!;
  });
  expect(selected).toContain(ledger);
  await expect
    .poll(async () => {
      const { open, nodes } = await drawn(page, selected);
      return nodes.filter((n) => !inside(n.box, open)).map((n) => n.id);
    })
    .toEqual([]);
});
