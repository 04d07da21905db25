import { expect, test, type Page } from "@playwright/test";
import { PEOPLE, screenshot, signIn } from "./helpers";

// Issue 12 item 13: the graph's filters live in the URL (reload, a shared link,
// back and forward), the counts follow them, and a change redraws in < 300 ms.

type El = { id(): string; visible(): boolean; hasClass(c: string): boolean };
type Cy = {
  nodes(s?: string): { filter(f: (n: El) => boolean): { map<T>(f: (n: El) => T): T[] } };
  edges(): { filter(f: (e: El) => boolean): { length: number } };
};

async function ready(page: Page) {
  await expect(page.getByTestId("graph-screen")).toHaveAttribute("data-ready", "true", { timeout: 30_000 });
}

/** The leaves drawn on the canvas, and the paths between them. */
const onCanvas = (page: Page) =>
  page.evaluate(() => {
    const cy = (window as unknown as { __policyplaneGraph: Cy }).__policyplaneGraph;
    return {
      workloads: cy
        .nodes(".workload")
        .filter((n) => n.visible())
        .map((n) => n.id())
        .sort(),
      externals: cy
        .nodes(".external")
        .filter((n) => n.visible())
        .map((n) => n.id())
        .sort(),
      paths: cy.edges().filter((e) => e.visible() && !e.hasClass("fronts")).length,
    };
  });

const counts = async (page: Page) => (await page.getByTestId("graph-counts").innerText()).trim();

/**
 * A filter change as a person makes it, timed in the page with performance marks:
 * from the select's change event until the canvas, the figures and the URL all
 * show the new filter and the next frame has been painted.
 */
const timedChange = (page: Page, label: string, value: string) =>
  page.evaluate(
    async ({ label, value }) => {
      const cy = (window as unknown as { __policyplaneGraph: { nodes(s: string): { length: number } } }).__policyplaneGraph;
      const select = document.querySelector<HTMLSelectElement>(`select[aria-label="${label}"]`)!;
      const figures = () => document.querySelector('[data-testid="graph-counts"]')!.textContent;
      const before = { hidden: cy.nodes(".hidden").length, figures: figures(), url: location.search };
      const frame = () => new Promise((r) => requestAnimationFrame(r));
      performance.mark("filter-change");
      Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, "value")!.set!.call(select, value);
      select.dispatchEvent(new Event("change", { bubbles: true }));
      for (
        let i = 0;
        i < 600 && (cy.nodes(".hidden").length === before.hidden || figures() === before.figures || location.search === before.url);
        i++
      )
        await frame();
      await frame();
      performance.mark("filter-drawn");
      return performance.measure("filter redraw", "filter-change", "filter-drawn").duration;
    },
    { label, value },
  );

test("the filters are the URL: a reload or a shared link opens the same view, and back and forward step through the changes", async ({
  page,
  context,
}) => {
  test.setTimeout(120_000);
  await signIn(page, PEOPLE.viewer.email);
  await page.goto("/graph?cluster=prod-eu-1");
  await ready(page);
  const whole = await onCanvas(page);
  const wholeCounts = await counts(page);
  expect(wholeCounts).toMatch(/^\d+ workloads · \d+ allowed paths$/);
  // Without a filter the figures are the view's own, and they add up to what is drawn.
  expect(wholeCounts).toBe(`${whole.workloads.length} workloads · ${whole.paths} allowed paths`);

  await page.getByLabel("Tenant", { exact: true }).selectOption("payments");
  await expect(page).toHaveURL(/\/graph\?cluster=prod-eu-1&tenant=payments$/);
  await expect.poll(async () => (await onCanvas(page)).workloads.length).toBeLessThan(whole.workloads.length);
  const payments = await onCanvas(page);
  // The figures follow the filter: what is drawn, out of the view's total.
  await expect(page.getByTestId("graph-counts")).toHaveText(
    `showing ${payments.workloads.length} of ${whole.workloads.length} workloads · ${payments.paths} of ${whole.paths} allowed paths`,
  );

  await page.getByLabel("External destinations").uncheck();
  await expect(page).toHaveURL(/tenant=payments&external=hide$/);
  await page.getByLabel(/^Layer Admin tier/).uncheck();
  await expect(page).toHaveURL(/tenant=payments&hide=admin&external=hide$/);
  await page.getByLabel("Layout").selectOption("force");
  await expect(page).toHaveURL(/tenant=payments&hide=admin&external=hide&layout=force$/);
  await ready(page);
  const filtered = await onCanvas(page);
  const filteredCounts = await counts(page);
  expect(filtered.externals).toEqual([]);
  expect(filtered.workloads.length).toBeGreaterThan(0);
  const filteredUrl = page.url();
  await screenshot(page, "graph-filtered", { fullPage: true });

  // A reload: the same controls, the same drawing, the same figures.
  await page.reload();
  await ready(page);
  await expect(page.getByLabel("Tenant", { exact: true })).toHaveValue("payments");
  await expect(page.getByLabel("External destinations")).not.toBeChecked();
  await expect(page.getByLabel(/^Layer Admin tier/)).not.toBeChecked();
  await expect(page.getByLabel("Layout")).toHaveValue("force");
  await expect.poll(() => onCanvas(page)).toEqual(filtered);
  expect(await counts(page)).toBe(filteredCounts);

  // A shared link, opened in another tab.
  const other = await context.newPage();
  await other.goto(filteredUrl);
  await ready(other);
  await expect.poll(() => onCanvas(other)).toEqual(filtered);
  expect(await counts(other)).toBe(filteredCounts);
  await other.close();
  // The first tab active again, as a user clicking back to it makes it: a history move on a background
  // tab once failed in Chromium with "Not attached to an active page".
  await page.bringToFront();

  // Back steps through the changes one by one, forward comes back.
  await page.goBack();
  await expect(page).toHaveURL(/tenant=payments&hide=admin&external=hide$/);
  await expect(page.getByLabel("Layout")).toHaveValue("grouped");
  await page.goBack();
  await expect(page).toHaveURL(/tenant=payments&external=hide$/);
  await expect(page.getByLabel(/^Layer Admin tier/)).toBeChecked();
  await page.goBack();
  await expect(page).toHaveURL(/\/graph\?cluster=prod-eu-1&tenant=payments$/);
  await expect.poll(() => onCanvas(page)).toEqual(payments);
  await page.goBack();
  await expect(page).toHaveURL(/\/graph\?cluster=prod-eu-1$/);
  await expect(page.getByLabel("Tenant", { exact: true })).toHaveValue("");
  await expect.poll(() => onCanvas(page)).toEqual(whole);
  await expect(page.getByTestId("graph-counts")).toHaveText(wholeCounts);
  await page.goForward();
  await expect(page).toHaveURL(/tenant=payments$/);
  await expect(page.getByLabel("Tenant", { exact: true })).toHaveValue("payments");
  await expect.poll(() => onCanvas(page)).toEqual(payments);
});

// prod-eu-1 (the demo's own cluster, 72 elements drawn) must answer in < 300 ms; every cluster at
// once (184 nodes, 478 paths) is measured and must not take seconds (issue 12 saw 2.6 s).
for (const [cluster, budget] of [
  ["prod-eu-1", 300],
  ["all", 1000],
] as const)
  test(`a filter change redraws the demo organisation's graph (${cluster}) in under ${budget} ms`, async ({ page }) => {
    await signIn(page, PEOPLE.viewer.email);
    await page.goto(`/graph?cluster=${cluster}`);
    await ready(page);
    const tenants = await page
      .getByLabel("Tenant", { exact: true })
      .locator("option")
      .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value).filter(Boolean));
    expect(tenants.length).toBeGreaterThanOrEqual(3);
    const times: number[] = [];
    // One warm-up change (first use of the code paths), then every tenant and back.
    await timedChange(page, "Tenant", tenants[0]!);
    await timedChange(page, "Tenant", "");
    for (const tenant of tenants) {
      times.push(await timedChange(page, "Tenant", tenant));
      times.push(await timedChange(page, "Tenant", ""));
    }
    const sorted = [...times].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    const figure = `${cluster}: filter change → redrawn, median ${Math.round(median)} ms of ${times.length} (range ${Math.round(sorted[0]!)}–${Math.round(sorted.at(-1)!)} ms; ${times.map(Math.round).join(", ")})`;
    console.log(figure);
    test.info().annotations.push({ type: "figure", description: figure });
    expect(median).toBeLessThan(budget);
  });
