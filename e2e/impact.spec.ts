import { expect, test } from "@playwright/test";
import { paymentsEgressYaml, promotionsSmsYaml } from "../server/testing/policies";
import { PEOPLE, screenshot, signIn, trpcPost as post, watchConsole } from "./helpers";

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
  await screenshot(security, "change-page-with-impact", { fullPage: true });
  await screenshot(impact, "change-impact");
  expect(problems).toEqual([]);
});

test("an auditor compares two releases and reads the policy that moved between them side by side", async ({ page, browser }) => {
  test.setTimeout(180_000);
  const as = async (email: string) => {
    const p = await (await browser.newContext()).newPage();
    await signIn(p, email);
    return p;
  };
  const [author, security, committee, admin] = [
    await as(PEOPLE.author.email),
    await as(PEOPLE.security.email),
    await as("dana.payments-committee@acme.example"),
    await as(PEOPLE.admin.email),
  ];
  /** Drafts `yaml` as the next version of payments-e2e-diff, has it approved and released: the release number. */
  const release = async (yaml: string, baseVersion: number | null) => {
    expect(
      (
        await post(author, "policies.saveDraft", { policyName: baseVersion ? "payments-e2e-diff" : null, baseVersion, yaml, message: "" })
      ).status(),
    ).toBe(200);
    const proposed = await post(author, "policies.proposeChange", {
      title: `diff v${(baseVersion ?? 0) + 1}`,
      description: "",
      policies: ["payments-e2e-diff"],
    });
    const number = (await proposed.json()).result.data.json.number as number;
    const review = await (await post(author, "workflow.review", { number })).json();
    const contentHash = review.result.data.json.contentHash as string;
    expect((await post(security, "workflow.approve", { number, contentHash, comment: "" })).status()).toBe(200);
    expect((await post(committee, "workflow.approve", { number, contentHash, comment: "" })).status()).toBe(200);
    const released = await post(admin, "workflow.release", { number });
    expect(released.status()).toBe(200);
    return (await released.json()).result.data.json.release as number;
  };
  const first = await release(paymentsEgressYaml("payments-e2e-diff", { port: 443 }), null);
  const second = await release(paymentsEgressYaml("payments-e2e-diff", { port: 8443 }), 1);

  const problems = watchConsole(page);
  await signIn(page, PEOPLE.viewer.email);
  await page.goto("/releases");
  await page.getByRole("link", { name: "Compare two releases" }).click();
  await expect(page).toHaveURL(/\/releases\/diff$/);
  // The latest release against the one before it, by default.
  await expect(page.getByLabel("From release")).toHaveValue(String(first));
  await expect(page.getByLabel("To release")).toHaveValue(String(second));
  await expect(page.getByTestId("release-diff-summary")).toContainText("1 policy differ");
  await expect(page.getByTestId("release-diff-policy")).toHaveText(/payments-e2e-diff\s*changed\s*namespace tier · v1 → v2/);
  await expect(page.getByText("port: 8443")).toBeVisible();
  await screenshot(page, "release-diff", { fullPage: true });
  // Reversed through the pickers, the address follows.
  await page.getByLabel("From release").selectOption(String(second));
  await expect(page).toHaveURL(new RegExp(`from=${second}&to=${second}$`));
  await expect(page.getByTestId("release-diff-summary")).toContainText("0 policies differ");
  await page.getByLabel("To release").selectOption(String(first));
  await expect(page).toHaveURL(new RegExp(`from=${second}&to=${first}$`));
  await expect(page.getByTestId("release-diff-policy")).toHaveText(/v2 → v1/);
  expect(problems).toEqual([]);
});

test("lint errors block submission: the change page lists them and keeps Submit disabled, and the server refuses a proposal", async ({
  page,
}) => {
  test.setTimeout(180_000);
  const problems = watchConsole(page);
  await signIn(page, PEOPLE.author.email);
  const name = `e2e-lint-block-${Date.now().toString(36)}`;
  // Payments reaching Stripe directly, not through the PCI egress gateway: the PCI constraint's conflict, an error.
  const yaml = paymentsEgressYaml(name, { via: null, description: "Blocked by the lint" });
  // Held as a draft request (REST, the console's cookie with its Origin): proposing it for review is refused.
  const origin = new URL(page.url()).origin;
  const refused = await page.request.post("/api/v1/change-requests", {
    data: { title: "Straight to Stripe", documents: [yaml] },
    headers: { origin },
  });
  expect(refused.status(), await refused.text()).toBe(400);
  expect((await refused.json()).message).toContain(`Policy/${name} line 20 (spec.rules[0].peers[0]): constraint-conflict`);
  const held = await page.request.post("/api/v1/change-requests", {
    data: { title: "Straight to Stripe", documents: [yaml], draft: true },
    headers: { origin },
  });
  expect(held.status(), await held.text()).toBe(201);
  const number = (await held.json()).number as number;

  await page.goto(`/changes/${number}`);
  const blocked = page.getByTestId("submit-blocked");
  await expect(blocked).toBeVisible({ timeout: 120_000 });
  const panel = page.getByTestId("review-panel");
  await expect(panel).toContainText(
    `Policy/${name} line 20 (spec.rules[0].peers[0]): constraint-conflict: ComplianceConstraint/pci-egress-through-gateway denies this`,
  );
  await expect(panel.getByRole("button", { name: "Submit for review" })).toBeDisabled();
  await expect(page.locator("#lint")).toContainText("1 error(s)");
  await panel.scrollIntoViewIfNeeded();
  await screenshot(page, "change-submit-blocked-by-lint", { fullPage: true });
  // The server refuses it too, whatever the page shows.
  const submit = await post(page, "workflow.submit", { number, reason: "" });
  expect(submit.status()).toBe(400);
  expect(JSON.stringify(await submit.json())).toContain("cannot go to review: the lint finds 1 error(s)");
  expect(problems).toEqual([]);
});
