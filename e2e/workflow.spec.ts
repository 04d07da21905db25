import { expect, test } from "@playwright/test";
import { PEOPLE, draftAndPropose, newestVersion, personIn, screenshot, trpcPost as post } from "./helpers";

const COMMITTEE = "dana.payments-committee@acme.example";
const POLICY = "payments-backends";

test("an author proposes, is refused approval of their own change, the committee approves and the admin releases it", async ({
  browser,
}) => {
  // Four people sign in and work in turn on a production build shared by two cores.
  test.setTimeout(180_000);
  const author = await personIn(browser, PEOPLE.author.email);
  const security = await personIn(browser, PEOPLE.security.email);

  // The author drafts a new version (as the editor saves it) and proposes it from the policy page.
  const number = await draftAndPropose(author.page, POLICY, "Reviewed by the committee.", "Payments backends wording");
  // v2 on a first attempt; a retry after a failed one proposes (and releases) a later version.
  const proposed = (await newestVersion(author.page, POLICY)).version;

  // The checklist says which rule asks for which approval; the author is offered no Approve button.
  const checklist = author.page.getByTestId("approval-checklist");
  await expect(checklist).toContainText("namespace-tier");
  await expect(checklist.getByTestId("approval-requirement")).toHaveText([
    /1 × application of tenant payments\s*not given yet/,
    /1 × security \(organisation-wide\)\s*not given yet/,
  ]);
  await expect(author.page.getByRole("button", { name: "Approve" })).toHaveCount(0);
  await expect(author.page.getByRole("button", { name: "Withdraw" })).toBeVisible();
  await screenshot(author.page, "workflow-change-in-review", { fullPage: true });
  // Approving anyway (a crafted request) is refused by the server.
  const hash = await author.page.getByText(/^content [0-9a-f]{12}$/).textContent();
  const review = await (await post(author.page, "workflow.review", { number })).json();
  const contentHash = review.result.data.json.contentHash as string;
  expect(hash).toContain(contentHash.slice(0, 12));
  const own = await post(author.page, "workflow.approve", { number, contentHash, comment: "" });
  expect(own.status()).toBe(403);
  expect(JSON.stringify(await own.json())).toContain("authors never review their own change");

  // Security approves from its own session while the author's page stays open.
  await security.page.goto(`/changes/${number}`);
  await security.page.getByRole("button", { name: "Approve" }).click();
  await expect(security.page.getByText("Approved: the change is now in-review.")).toBeVisible();
  await expect(security.page.getByTestId("approval-requirement").nth(1)).toContainText(`given by ${PEOPLE.security.email}`);
  await expect(security.page.getByRole("button", { name: "Approve" })).toHaveCount(0);

  // The payments committee member completes the quorum.
  const committee = await personIn(browser, COMMITTEE);
  await committee.page.goto(`/changes/${number}`);
  await committee.page.getByRole("button", { name: "Approve" }).click();
  await expect(committee.page.getByText("Approved: the change is now approved.")).toBeVisible();

  // The admin releases it; the release and the policy's released version show.
  const admin = await personIn(browser, PEOPLE.admin.email);
  await admin.page.goto(`/changes/${number}`);
  await expect(admin.page.getByTestId("review-panel").getByText("met").first()).toBeVisible();
  await admin.page.getByRole("button", { name: "Release" }).click();
  await expect(admin.page.getByText(/^Released as release \d+\.$/)).toBeVisible();
  const release = Number(/release (\d+)/.exec((await admin.page.getByText(/^Released as release \d+\.$/).textContent())!)![1]);
  await screenshot(admin.page, "workflow-change-released", { fullPage: true });
  await admin.page.goto("/releases");
  await expect(admin.page.getByTestId("release-row").first()).toContainText(`release ${release}`);
  await admin.page.getByRole("link", { name: `release ${release}`, exact: true }).click();
  await expect(admin.page.getByTestId("release-changes")).toContainText(new RegExp(`${POLICY} v\\d+ → v${proposed}(?!\\d)`));
  await screenshot(admin.page, "workflow-release-detail", { fullPage: true });

  await author.page.goto("/policies");
  await expect(author.page.getByTestId("policy-row").filter({ hasText: POLICY }).first()).toContainText(`v${proposed} released`);
  await author.page.goto(`/changes/${number}`);
  await expect(author.page.getByText("released", { exact: true }).first()).toBeVisible();

  for (const person of [author, security, committee, admin]) expect(person.problems).toEqual([]);
});
