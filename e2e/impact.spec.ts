import { expect, test, type Page } from "@playwright/test";
import { promotionsSmsYaml } from "../server/testing/policies";
import { PEOPLE, screenshotPath, signIn, watchConsole } from "./helpers";

const post = (page: Page, procedure: string, json: unknown) =>
  page.request.post(`/api/trpc/${procedure}`, { data: { json }, headers: { "content-type": "application/json" } });

test("a committee member opens a change request and sees the path it adds, with its rationale and risk", async ({ page, browser }) => {
  // The first impact computes the release's lint and graph of every cluster on a shared, loaded machine.
  test.setTimeout(180_000);
  await signIn(page, PEOPLE.checkoutAuthor.email);
  expect(
    (
      await post(page, "policies.saveDraft", {
        policyName: null,
        baseVersion: null,
        yaml: promotionsSmsYaml("promotions-sms-e2e"),
        message: "",
      })
    ).status(),
  ).toBe(200);
  const proposed = await post(page, "policies.proposeChange", {
    title: "Promotions send SMS",
    description: "",
    policies: ["promotions-sms-e2e"],
  });
  expect(proposed.status()).toBe(200);
  const number = (await proposed.json()).result.data.json.number as number;

  const context = await browser.newContext();
  const security = await context.newPage();
  const problems = watchConsole(security);
  await signIn(security, PEOPLE.security.email);
  await security.goto(`/changes/${number}`);

  const impact = security.locator("#impact");
  await expect(impact.getByTestId("impact-risk")).toHaveText("high risk", { timeout: 90_000 });
  await expect(impact.getByTestId("impact-reasons")).toContainText(
    "opens 3 path(s) to a high-criticality service: checkout/promotions → api.twilio.com 443/TCP in prod-eu-1",
  );
  const eu = impact.locator('[data-testid="impact-cluster"][data-cluster="prod-eu-1"]');
  const path = eu.getByTestId("impact-path");
  await expect(path).toHaveCount(1);
  await expect(path).toHaveAttribute("data-change", "added");
  await expect(path).toContainText("checkout/promotions → api.twilio.com 443/TCP");
  await expect(path).toContainText("high service");
  await expect(path.getByTestId("impact-rationale")).toContainText(
    '443/TCP allowed by namespace policy promotions-sms-e2e v1, egress rule 0 "sms"',
  );
  await expect(security.locator("#lint")).toContainText("0 error(s)");

  // The compiled objects the clusters would receive.
  const compiled = security.locator("#compiled");
  await expect(compiled.getByTestId("compiled-cluster").first()).toContainText("prod-eu-1", { timeout: 60_000 });
  await expect(compiled).toContainText("added prod-eu-1/checkout/networkpolicy-promotions-sms-e2e.yaml");
  await security.screenshot({ path: screenshotPath("change-page-with-impact"), fullPage: true });
  await impact.screenshot({ path: screenshotPath("change-impact") });
  expect(problems).toEqual([]);
});
