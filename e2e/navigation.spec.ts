import { expect, test } from "@playwright/test";
import { PEOPLE, screenshot, signIn, trpcPost, watchConsole } from "./helpers";

const SECTIONS = [
  "Overview",
  "Policies",
  "Graph",
  "Simulator",
  "Changes",
  "Reviews",
  "Releases",
  "Exceptions",
  "Clusters",
  "Violations",
  "Audit",
  "Settings",
];

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
  await signIn(page, PEOPLE.author.email);
  // An open change request, proposed as an author does (a saved draft, then a request for it).
  await page.goto("/policies/psp-egress");
  const yaml = await page
    .getByTestId("yaml-editor")
    .evaluate((el) => Array.from(el.querySelectorAll(".cm-line"), (l) => l.textContent ?? "").join("\n"));
  const post = (procedure: string, json: unknown) => trpcPost(page, procedure, json);
  expect(
    (
      await post("policies.saveDraft", {
        policyName: "psp-egress",
        baseVersion: 1,
        yaml: yaml.replace("description: ", "description: Reviewed. "),
        message: "",
      })
    ).status(),
  ).toBe(200);
  expect((await post("policies.proposeChange", { title: "PSP egress wording", description: "", policies: ["psp-egress"] })).status()).toBe(
    200,
  );
  await page.goto("/overview");
  await expect(page.getByTestId("count-clusters")).toHaveText("3");
  await expect(page.getByTestId("count-tenants")).toHaveText("6");
  await expect(page.getByTestId("tier-namespace")).not.toHaveText("0");
  await expect(page.getByText("prod-eu-1")).toBeVisible();
  // The demo's open change request is listed and leads to its page.
  const open = page.getByTestId("open-changes").getByRole("link", { name: /PSP egress wording/ });
  await expect(open).toHaveText(/^#\d+ PSP egress wording$/);
  // Every section is built now: none is marked "not built yet".
  const nav = page.getByRole("navigation", { name: "Main" });
  for (const built of ["Policies", "Simulator", "Exceptions", "Violations"])
    await expect(nav.getByRole("link", { name: built, exact: true })).not.toHaveAttribute("title", /.+/);
  await screenshot(page, "overview", { fullPage: true });
  await open.click();
  await expect(page).toHaveURL(/\/changes\/\d+$/);
  // Every figure leads somewhere.
  await page.goto("/overview");
  await page.getByTestId("count-clusters").click();
  await expect(page).toHaveURL(/\/clusters$/);
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
