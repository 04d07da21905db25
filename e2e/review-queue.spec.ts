import { expect, test, type Page } from "@playwright/test";
import { paymentsEgressYaml } from "../server/testing/policies";
import { PEOPLE, personIn, screenshot, trpcPost as post } from "./helpers";

// Unique per run: a retry must not find the first attempt's policy.
const NAME = `e2e-review-queue-${Date.now().toString(36)}`;
const YAML = paymentsEgressYaml(NAME, { description: "Reviewed through the queue" });

test("an approver finds a change in the queue, opens it and comments; an admin edits a rule and the checklist follows", async ({
  browser,
}) => {
  // Four people, two impact computations and a rule edited twice: minutes on a loaded 2-core machine.
  test.setTimeout(300_000);
  const author = await personIn(browser, PEOPLE.author.email);
  expect((await post(author.page, "policies.saveDraft", { policyName: null, baseVersion: null, yaml: YAML, message: "" })).status()).toBe(
    200,
  );
  const proposed = await post(author.page, "policies.proposeChange", {
    title: "Payments egress via the queue",
    description: "",
    policies: [NAME],
  });
  expect(proposed.status()).toBe(200);
  const number = (await proposed.json()).result.data.json.number as number;
  // Other specs propose changes into the same database: #1 must not match #12.
  // The row's text runs its cells together ("#1Payments…"), so a word-bounded #N never matches it: find the row by its link.
  const rowOf = (page: Page) => page.getByTestId("queue-row").filter({ has: page.getByRole("link", { name: `#${number}`, exact: true }) });

  // Security sees it in its queue (reached from the navigation), with what it asks and its risk.
  const security = await personIn(browser, PEOPLE.security.email);
  await security.page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Reviews", exact: true }).click();
  await expect(security.page).toHaveURL(/\/reviews$/);
  const row = rowOf(security.page);
  await expect(row).toContainText("Payments egress via the queue");
  await expect(row).toContainText("1 × security");
  await expect(row).toContainText("1 policy · namespace");
  // Its risk is the change page's impact risk (the edits' lower bound only until the impact answers).
  const risk = row.getByTestId("queue-risk");
  await expect(risk).toHaveAttribute("data-basis", "impact", { timeout: 120_000 });
  const level = (await risk.locator("span").first().innerText()).trim();
  expect(["low", "medium", "high", "critical"]).toContain(level);
  await screenshot(security.page, "review-queue", { fullPage: true });

  // The author has nothing in a queue: no committee function.
  await author.page.goto("/reviews");
  await expect(author.page.getByText("You hold no committee function")).toBeVisible();

  // Security opens the change and comments on it, then on one line of the proposed policy.
  await row.getByRole("link", { name: `#${number}`, exact: true }).click();
  await expect(security.page).toHaveURL(new RegExp(`/changes/${number}$`));
  await expect(security.page.getByTestId("impact-risk")).toHaveText(`${level} risk`, { timeout: 120_000 });
  const comments = security.page.getByTestId("comments");
  await comments.getByLabel("Comment", { exact: true }).fill("Why not through the egress gateway?");
  await comments.getByRole("button", { name: "Comment" }).click();
  await expect(comments.getByTestId("comment")).toHaveCount(1);
  await comments.getByLabel("Comment on").selectOption(`proposed:${NAME}`);
  await comments.getByLabel("Line").selectOption("22");
  await comments.getByLabel("Comment", { exact: true }).fill("443 only: good.");
  await comments.getByRole("button", { name: "Comment" }).click();
  await expect(comments.getByTestId("comment")).toHaveCount(2);
  await expect(comments.getByTestId("comment").nth(1)).toContainText(`on ${NAME} (proposed) line 22`);
  await expect(comments.getByTestId("comment").nth(1)).toContainText("- port: 443");
  await expect(security.page.getByTestId("timeline-entry")).toHaveText([
    /proposed 1 policy/,
    /commentedWhy not through the egress gateway\?$/,
    /commented on .* line 22443 only: good\.$/,
  ]);
  // A 1 MB comment is refused by size.
  const huge = await post(security.page, "reviews.comment", { number, body: "x".repeat(1024 * 1024) });
  expect(huge.status()).toBe(413);
  expect(JSON.stringify(await huge.json())).toContain("A comment is at most 10,000 characters; this one has 1,048,576.");
  await screenshot(security.page, "review-comments-timeline", { fullPage: true });

  // The admin asks namespace-tier changes for a networking approver too; a rule no one can meet is refused.
  const admin = await personIn(browser, PEOPLE.admin.email);
  await admin.page.goto("/settings");
  const rules = admin.page.getByTestId("approval-rules");
  await rules.getByRole("button", { name: "Edit namespace-tier" }).click();
  const form = admin.page.getByRole("form", { name: "Edit rule namespace-tier" });
  await form.getByRole("button", { name: "Add a requirement" }).click();
  await form.getByLabel("Function 3").selectOption("networking");
  await form.getByLabel("Count 3").fill("3");
  await form.getByRole("button", { name: "Save rule" }).click();
  await expect(form.getByTestId("rule-error")).toContainText(
    `No one can ever satisfy rule namespace-tier. It needs 3 × networking, but only 1 person holds that organisation-wide committee function (${PEOPLE.networking.email}).`,
  );
  await screenshot(admin.page, "approval-rule-refused", { fullPage: true });
  await form.getByLabel("Count 3").fill("1");
  await form.getByRole("button", { name: "Save rule" }).click();
  await expect(form).toHaveCount(0);
  await expect(rules.getByTestId("approval-rule-row").filter({ hasText: "namespace-tier" })).toContainText(
    "1 × networking (organisation-wide)",
  );

  // The preview of the change names the new requirement and who could give it.
  await rules.getByLabel("Change request").selectOption(String(number));
  await expect(admin.page.getByTestId("rule-preview-result")).toContainText(
    `1 × networking (organisation-wide) · could give it: ${PEOPLE.networking.email}`,
  );
  await screenshot(admin.page, "approval-rules-settings", { fullPage: true });

  // The change's checklist follows at once; the networking approver now finds it in their queue.
  await security.page.reload();
  await expect(security.page.getByTestId("approval-requirement")).toHaveText([
    /1 × application of tenant payments/,
    /1 × security \(organisation-wide\)/,
    /1 × networking \(organisation-wide\)/,
  ]);
  const networking = await personIn(browser, PEOPLE.networking.email);
  await networking.page.goto("/reviews");
  await expect(rowOf(networking.page)).toContainText("1 × networking");

  // Put the default back (other specs rely on it) and the checklist follows again.
  await rules.getByRole("button", { name: "Edit namespace-tier" }).click();
  await form.getByRole("button", { name: "Remove" }).nth(2).click();
  await form.getByRole("button", { name: "Save rule" }).click();
  await expect(form).toHaveCount(0);
  await security.page.reload();
  await expect(security.page.getByTestId("approval-requirement")).toHaveCount(2);

  for (const person of [author, security, networking]) expect(person.problems).toEqual([]);
  // The browser logs the refused save (a 400) itself; nothing else went wrong on the admin's page.
  expect(admin.problems).toEqual(["console: Failed to load resource: the server responded with a status of 400 (Bad Request)"]);
});
