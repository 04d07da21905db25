import { expect, test } from "@playwright/test";
import { PEOPLE, screenshotPath, signIn, watchConsole } from "./helpers";

const SECTIONS = ["Overview", "Policies", "Graph", "Simulator", "Changes", "Exceptions", "Clusters", "Violations", "Audit", "Settings"];

test("every navigation item loads without console errors", async ({ page }) => {
  const problems = watchConsole(page);
  await signIn(page, PEOPLE.admin.email);
  const nav = page.getByRole("navigation", { name: "Main" });
  for (const section of SECTIONS) {
    await nav.getByRole("link", { name: section, exact: true }).click();
    await expect(nav.getByRole("link", { name: section, exact: true })).toHaveAttribute("aria-current", "page");
    await expect(page.locator("main h1")).toBeVisible();
    await page.waitForLoadState("networkidle");
  }
  expect(problems).toEqual([]);
});

test("the overview shows the demo organisation's real figures", async ({ page }) => {
  await signIn(page, PEOPLE.viewer.email);
  await expect(page.getByTestId("count-clusters")).toHaveText("3");
  await expect(page.getByTestId("count-tenants")).toHaveText("6");
  await expect(page.getByTestId("tier-namespace")).not.toHaveText("0");
  await expect(page.getByText("prod-eu-1")).toBeVisible();
  await page.screenshot({ path: screenshotPath("overview"), fullPage: true });
});

test("the clusters page lists the registered clusters", async ({ page }) => {
  await signIn(page, PEOPLE.viewer.email);
  await page.goto("/clusters");
  for (const name of ["prod-eu-1", "prod-us-1", "staging-eu-1"]) await expect(page.getByRole("cell", { name, exact: true })).toBeVisible();
});

test("a browser's own request for /favicon.ico gets the icon, not a 404 in the console", async ({ request }) => {
  const response = await request.get("/favicon.ico");
  expect(response.status()).toBe(200);
  expect(response.headers()["content-type"]).toContain("image/svg+xml");
});
