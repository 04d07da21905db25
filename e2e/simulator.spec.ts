import { expect, test } from "@playwright/test";
import { PEOPLE, screenshot, signIn, watchConsole } from "./helpers";

// Issue 15 item 5: the Simulator's what-if decides one typed flow by the release and by a
// proposal at once, with both rationales; a flow it cannot decide says which field and why.

test("what-if: one flow, the release and the pending drafts side by side", async ({ page }) => {
  const errors = watchConsole(page);
  await signIn(page, PEOPLE.author.email);
  await page.goto("/simulator");
  await expect(page.getByRole("heading", { name: "Simulator" })).toBeVisible();
  await expect(page.getByText("Replay recorded traffic", { exact: false })).toBeVisible();

  const form = page.getByRole("form", { name: "What-if flow" });
  await expect(form.getByLabel("Cluster")).toHaveValue("prod-eu-1");
  await form.getByLabel("From", { exact: true }).fill("payments-batch/reconciliation");
  await form.getByLabel("To", { exact: true }).fill("payments/ledger");
  await form.getByLabel("Port").fill("9090");
  await form.getByRole("button", { name: "Decide" }).click();

  await expect(page.getByTestId("what-if-change")).toHaveText("unchanged: allowed by both");
  await expect(page.getByTestId("release-path")).toContainText('egress: [namespace] allow (payments-batch egress rule 0 "to-ledger")');
  await expect(page.getByTestId("proposal-path")).toHaveText(await page.getByTestId("release-path").innerText());
  await screenshot(page, "simulator-what-if", { fullPage: true });

  // The PSP adapter straight to Stripe: the PCI constraint denies it (the rule sends it through the gateway).
  await form.getByLabel("From", { exact: true }).fill("payments/psp-adapter");
  await form.getByLabel("To", { exact: true }).fill("api.stripe.com");
  await form.getByLabel("Port").fill("443");
  await form.getByRole("button", { name: "Decide" }).click();
  await expect(page.getByTestId("what-if-change")).toHaveText("unchanged: denied by both");
  await expect(page.getByTestId("release-path")).toContainText("[constraint] deny (pci-egress-through-gateway");

  // A pod that does not exist: the field and the reason, no result.
  await form.getByLabel("From", { exact: true }).fill("payments/no-such-pod");
  await form.getByRole("button", { name: "Decide" }).click();
  await expect(page.getByText("from: no pod payments/no-such-pod in the manifests")).toBeVisible();
  expect(errors.filter((e) => !/400|Bad Request/.test(e))).toEqual([]);
});
