import { expect, test } from "@playwright/test";
import { droppedHubbleRecord, flowsToken, PEOPLE, screenshot, signIn, trpc, watchConsole } from "./helpers";

interface Committee {
  violations: { last24h: number };
  coverage: { workloads: number; ingress: number };
  releases: { number: number }[];
}

test("the overview gives the committee its figures, each leading to its page", async ({ page, request }) => {
  const problems = watchConsole(page);
  await signIn(page, PEOPLE.admin.email);
  const before = await trpc<Committee>(page, "overview.committee");

  // Four dropped flows pushed through the REST API, as a cluster's agent does.
  const token = await flowsToken(page, "e2e overview");
  const probe = `e2e-overview-${Date.now().toString(36)}`;
  const now = Date.now();
  const lines = [0, 1, 2, 3].map((i) => droppedHubbleRecord(probe, new Date(now - 120_000 + i * 1000).toISOString(), "10.20.0.8"));
  const ingested = await request.post("/api/v1/flows?cluster=prod-eu-1", {
    headers: { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson" },
    data: `${lines.join("\n")}\n`,
  });
  expect(ingested.status()).toBe(200);
  expect(await ingested.json()).toMatchObject({ accepted: 4, classes: { violation: 4 } });

  // Warm (the release's graphs are cached at start-up): the committee's figures answer fast.
  const t0 = Date.now();
  await trpc<Committee>(page, "overview.committee");
  console.log(`overview.committee warm: ${Date.now() - t0} ms`);

  await page.goto("/overview");
  const cards = page.getByTestId("committee-cards");
  await expect(cards).toBeVisible();
  // The violations of the last 24 h went up by exactly the four dropped flows.
  await expect(page.getByTestId("figure-violations")).toHaveText(String(before.violations.last24h + 4));
  await expect(page.getByTestId("violations-trend").locator("rect")).toHaveCount(24);
  // Coverage: the engine's share of workloads under a default deny, with its counts.
  await expect(page.getByTestId("coverage-workloads")).toHaveText(String(before.coverage.workloads));
  await expect(page.getByTestId("coverage-ingress")).toHaveText(String(before.coverage.ingress));
  await expect(page.getByTestId("figure-coverage")).toHaveText(
    `${Math.round((before.coverage.ingress / before.coverage.workloads) * 100)}%`,
  );
  for (const id of ["drift", "expiring", "approvals", "releases"]) await expect(page.getByTestId(`figure-${id}`)).toHaveText(/\S/);
  await screenshot(page, "overview-committee", { fullPage: true });
  expect(problems).toEqual([]);

  // Each card leads to its page.
  const follow = async (card: string, link: string, url: RegExp) => {
    await page.goto("/overview");
    await page
      .getByTestId(`card-${card}`)
      .getByRole("link", { name: `${link} →`, exact: true })
      .click();
    await expect(page).toHaveURL(url);
  };
  await follow("violations", "Violations", /\/violations\?range=24h$/);
  await follow("coverage", "Graph", /\/graph/);
  await follow("drift", "Clusters", /\/clusters$/);
  await follow("expiring", "Exceptions", /\/exceptions$/);
  await follow("approvals", "Review queue", /\/reviews$/);
  await follow("releases", "Releases", /\/releases$/);
});

test("a reader limited to one tenant sees their tenant's figures", async ({ page }) => {
  // The payments committee's member holds grants in payments only (server/seed/demo-data.ts).
  await signIn(page, "dana.payments-committee@acme.example");
  const mine = await trpc<Committee>(page, "overview.committee");
  await page.goto("/overview");
  await expect(page.getByTestId("coverage-workloads")).toHaveText(String(mine.coverage.workloads));
  await expect(page.getByTestId("figure-violations")).toHaveText(String(mine.violations.last24h));
  await page.context().clearCookies();
  await signIn(page, PEOPLE.admin.email);
  const all = await trpc<Committee>(page, "overview.committee");
  expect(mine.coverage.workloads).toBeGreaterThan(0);
  expect(mine.coverage.workloads).toBeLessThan(all.coverage.workloads);
  expect(mine.violations.last24h).toBeLessThanOrEqual(all.violations.last24h);
});
