import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { droppedHubbleRecord, flowsToken, PEOPLE, screenshot, serverTime, signIn, trpc, watchConsole } from "./helpers";

const fixture = readFileSync(new URL("../server/policy/__fixtures__/hubble/cilium-docs-export-dropped-2.jsonl", import.meta.url), "utf8");

test("flows pushed through the REST API show on the violations dashboard and lead to their rationale", async ({ page, request }) => {
  // A long journey (push, dashboard, rationale, graph, alert, silence): 37 s in a full run, and past 60 s beside both integration suites.
  test.setTimeout(150_000);
  const problems = watchConsole(page);
  await signIn(page, PEOPLE.admin.email);
  const token = await flowsToken(page, "e2e flows");

  // Unique per run: the suite shares one database.
  const probe = `e2e-probe-${Date.now().toString(36)}`;
  // Stamped at the server's time: alert windows are counted on its clock, which earlier specs may have moved ahead.
  const now = await serverTime(page);
  const lines = [0, 1, 2].map((i) => droppedHubbleRecord(probe, new Date(now - 60_000 + i * 1000).toISOString()));
  const ingested = await request.post("/api/v1/flows?cluster=prod-eu-1", {
    headers: { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson" },
    data: `${fixture}${lines.join("\n")}\n`,
  });
  expect(ingested.status()).toBe(200);
  const result = await ingested.json();
  // The fixture's ICMPv6 line is refused by number; its TCP drop and the three probes' are kept.
  expect(result).toMatchObject({ cluster: "prod-eu-1", lines: 5, accepted: 4, rejected: 1 });
  expect(result.errors[0]).toMatchObject({ line: 1 });

  await page.goto("/violations?range=1h&cluster=prod-eu-1");
  // The filter's select by its field name: its label also matches the "By cluster" breakdown, once the data is in.
  await expect(page.locator('select[name="cluster"]')).toHaveValue("prod-eu-1");
  const row = page.getByTestId("top-path").filter({ hasText: `checkout/${probe}` });
  await expect(row).toBeVisible();
  await expect(row).toContainText("payments/ledger");
  await expect(row).toContainText("Violation");
  await expect(row.getByRole("cell", { name: "3", exact: true })).toBeVisible();
  await expect(page.getByTestId("violations-chart").locator("path.recharts-area-curve").first()).toBeVisible();

  await row.getByRole("button", { name: "Details" }).click();
  await expect(page).toHaveURL(/[?&]path=/);
  const detail = page.getByTestId("flow-path-detail");
  await expect(detail).toBeVisible();
  await expect(detail.getByRole("region", { name: "Rationale" })).toContainText("Decided by");
  await expect(detail.getByTestId("decision-path")).toContainText("ingress:");
  await expect(detail.getByTestId("decision-path")).toContainText("POLICY_DENIED");
  await expect(detail.getByRole("region", { name: "Samples" })).toContainText(`${probe}-6c8d7f9b4-qwert`);
  await expect(detail.getByRole("link", { name: "Draft a policy that allows this" })).toHaveAttribute(
    "href",
    `/policies/new?from=checkout%2F${probe}&to=payments%2Fledger`,
  );
  await expect(detail.getByRole("link", { name: "Request an exception for this" })).toHaveAttribute(
    "href",
    `/exceptions?from=checkout%2F${probe}&to=payments%2Fledger`,
  );
  await expect(detail.getByRole("link", { name: `Show checkout/${probe} on the graph` })).toHaveAttribute(
    "href",
    /\/graph\?cluster=prod-eu-1&focus=/,
  );
  await screenshot(page, "violations", { fullPage: true });

  // The URL holds the view: a reload opens the same path.
  await page.reload();
  // Generous: under CI's load (integration suites beside this one) the reloaded page's path query once took over 10 s.
  await expect(page.getByTestId("flow-path-detail")).toContainText(`${probe}-6c8d7f9b4-qwert`, { timeout: 30_000 });
  // A filter change keeps the others and closes the drill-down.
  await page.getByLabel("Time range").selectOption("24h");
  await expect(page).toHaveURL(/\/violations\?cluster=prod-eu-1$/);
  await expect(page.getByTestId("top-path").filter({ hasText: `checkout/${probe}` })).toBeVisible();
  // Severity is a filter of its own, kept in the URL.
  const severity = (await row.getByRole("cell").nth(1).innerText()).trim();
  await page.getByLabel("Severity").selectOption(severity);
  await expect(page).toHaveURL(new RegExp(`/violations\\?cluster=prod-eu-1&severity=${severity}$`));
  await expect(page.getByTestId("top-path").filter({ hasText: `checkout/${probe}` })).toBeVisible();

  // A SIEM collector reads the same flows as CEF with its export token.
  const siem = await flowsToken(page, "e2e siem", ["export"]);
  // The path's event once its minute closes (the server closes minutes every second here), counting the three probes.
  await expect
    .poll(async () => {
      const cef = await request.get("/api/v1/violations/export?format=cef&limit=10000", { headers: { authorization: `Bearer ${siem}` } });
      expect(cef.status()).toBe(200);
      return (await cef.text())
        .split("\n")
        .filter((l) => l.includes(`suser=checkout/${probe}`))
        .reduce((n, l) => n + Number(/cnt=(\d+)/.exec(l)?.[1]), 0);
    })
    .toBe(3);

  // The drill-down's graph link draws the observed denials as red edges.
  await page.goto(`/graph?cluster=prod-eu-1&focus=checkout/${probe}&denials=24h`);
  await expect(page.getByTestId("graph-screen")).toHaveAttribute("data-ready", "true", { timeout: 30_000 });
  await expect(page.getByTestId("observed-denials")).toContainText("drawn in red");
  await expect(page.getByLabel("Observed denials (24h)")).toBeChecked();
  const red = await page.evaluate(() => {
    const cy = (
      window as unknown as { __policyplaneGraph: { edges(s: string): { map<T>(f: (e: { data(k: string): string }) => T): T[] } } }
    ).__policyplaneGraph;
    return cy.edges(".observed-denial").map((e) => `${e.data("source")} ${e.data("target")} ${e.data("label")}`);
  });
  expect(red.some((e) => e.startsWith("n:prod-eu-1/checkout ") && e.includes("payments") && e.includes("9090/TCP"))).toBe(true);
  await screenshot(page, "graph-observed-denials");

  // An alert rule for new denied paths fires for the probe's path; a silence is set from it, with its reason.
  const rule = await trpc<{ id: string }>(page, "alerts.createRule", {
    name: `e2e new paths ${probe}`,
    kind: "new-denied-path",
    params: { windowMinutes: 10, cluster: "prod-eu-1" },
  });
  await page.goto("/violations/alerts");
  const alert = page.getByTestId("alert").filter({ hasText: `checkout/${probe}` });
  await expect(alert).toContainText("firing", { timeout: 20_000 });
  await alert.getByRole("button", { name: "Silence…" }).click();
  const form = page.getByRole("form", { name: "New silence" });
  await expect(form.getByLabel("Destination")).toHaveValue("payments/ledger");
  await form.getByLabel("Why").fill(`probe ${probe} is expected`);
  await form.getByRole("button", { name: "Silence" }).click();
  await expect(page.getByTestId("silence").filter({ hasText: `probe ${probe} is expected` })).toContainText("active");
  await screenshot(page, "violations-alerts", { fullPage: true });
  await trpc(page, "alerts.deleteRule", { id: rule.id });
  expect(problems).toEqual([]);
});
