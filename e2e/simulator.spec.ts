import { expect, test } from "@playwright/test";
import { PEOPLE, screenshotPath, signIn, watchConsole } from "./helpers";

// Issue 15 item 5: the Simulator's what-if decides one typed flow by the release and by a
// proposal at once, with both rationales; a flow it cannot decide says which field and why.

test("what-if: one flow, the release and the pending drafts side by side", async ({ page }) => {
  const errors = watchConsole(page);
  await signIn(page, PEOPLE.author.email);
  await page.goto("/simulator");
  await expect(page.getByRole("heading", { name: "Simulator" })).toBeVisible();
  await expect(page.getByText("not built yet", { exact: false })).toContainText("uploading datasets here");

  const form = page.getByRole("form", { name: "What-if flow" });
  await expect(form.getByLabel("Cluster")).toHaveValue("prod-eu-1");
  await form.getByLabel("From").fill("payments/payments-api");
  await form.getByLabel("To").fill("api.stripe.com");
  await form.getByLabel("Port").fill("443");
  await form.getByRole("button", { name: "Decide" }).click();

  await expect(page.getByTestId("what-if-change")).toHaveText("unchanged: allowed by both");
  await expect(page.getByTestId("release-path")).toContainText("egress:");
  await expect(page.getByTestId("proposal-path")).toHaveText(await page.getByTestId("release-path").innerText());
  await page.screenshot({ path: screenshotPath("simulator-what-if"), fullPage: true });

  // The same flow to a port nothing allows: denied by both, and the rationale says by what.
  await form.getByLabel("Port").fill("8443");
  await form.getByRole("button", { name: "Decide" }).click();
  await expect(page.getByTestId("what-if-change")).toHaveText("unchanged: denied by both");

  // A pod that does not exist: the field and the reason, no result.
  await form.getByLabel("From").fill("payments/no-such-pod");
  await form.getByRole("button", { name: "Decide" }).click();
  await expect(page.getByText("from: no pod payments/no-such-pod in the manifests")).toBeVisible();
  expect(errors.filter((e) => !/400|Bad Request/.test(e))).toEqual([]);
});
