import { expect, test, type Page } from "@playwright/test";
import { paymentsEgressYaml } from "../server/testing/policies";
import { PEOPLE, draftAndPropose, personIn, screenshot, trpc } from "./helpers";

const COMMITTEE = "dana.payments-committee@acme.example";
// A payments policy of this spec's own: other specs assert on the demo's policies and their histories.
const POLICY = `e2e-notifications-${Date.now().toString(36)}`;

/** Marks every notification of the page's person read: other specs (same database) notified them too. */
async function clearBell(page: Page) {
  await trpc(page, "notifications.markRead", {});
  await page.reload();
}

test("an author proposes; the approver sees the bell count and the notification, opens it, and the author hears of the approval", async ({
  browser,
}) => {
  test.setTimeout(180_000);
  const author = await personIn(browser, PEOPLE.author.email);
  const security = await personIn(browser, PEOPLE.security.email);
  const committee = await personIn(browser, COMMITTEE);
  for (const person of [author, security, committee]) await clearBell(person.page);
  await expect(security.page.getByTestId("notification-count")).toHaveCount(0);
  const created = await author.page.request.post("/api/trpc/policies.saveDraft", {
    data: {
      json: {
        policyName: null,
        baseVersion: null,
        yaml: paymentsEgressYaml(POLICY, { description: "Notifications end to end" }),
        message: "",
      },
    },
    headers: { "content-type": "application/json" },
  });
  expect(created.status(), await created.text()).toBe(200);

  // The author drafts a new version (as the editor saves it) and proposes it from the policy page.
  const number = await draftAndPropose(author.page, POLICY, "Notified.", "Payments database wording");
  // Nobody notifies the author of their own proposal.
  await expect(author.page.getByTestId("notification-count")).toHaveCount(0);

  // The security approver's bell counts it (on the next page load, or within the poll interval).
  await security.page.goto("/overview");
  await expect(security.page.getByTestId("notification-count")).toHaveText("1");
  await security.page.getByTestId("notification-bell").click();
  const item = security.page.getByTestId("notification").first();
  await expect(item).toContainText(`#${number} “Payments database wording” by ${PEOPLE.author.email} wants your approval (security)`);
  await expect(item).toHaveAttribute("data-unread", "true");
  await screenshot(security.page, "notifications-bell-open");

  // Opening it leads to the change and marks it read.
  await item.getByRole("link").click();
  await expect(security.page).toHaveURL(new RegExp(`/changes/${number}$`));
  await expect(security.page.getByTestId("notification-count")).toHaveCount(0);
  await security.page.getByRole("button", { name: "Approve" }).click();
  await expect(security.page.getByText("Approved: the change is now in-review.")).toBeVisible();

  // The payments committee completes the quorum; the author's bell tells them.
  await committee.page.reload();
  await expect(committee.page.getByTestId("notification-count")).toHaveText("1");
  await committee.page.goto(`/changes/${number}`);
  await committee.page.getByRole("button", { name: "Approve" }).click();
  await expect(committee.page.getByText("Approved: the change is now approved.")).toBeVisible();
  await author.page.goto("/overview");
  await expect(author.page.getByTestId("notification-count")).toHaveText("1");
  await author.page.getByTestId("notification-bell").click();
  await expect(author.page.getByTestId("notification").first()).toContainText(`#${number} “Payments database wording” was approved`);
  await author.page.getByRole("button", { name: "Mark all read" }).click();
  await expect(author.page.getByTestId("notification-count")).toHaveCount(0);

  for (const person of [author, security, committee]) expect(person.problems).toEqual([]);
});
