import { expect, test } from "@playwright/test";
import { paymentsEgressYaml } from "../server/testing/policies";
import { PEOPLE, personIn, screenshot, trpc } from "./helpers";

const COMMITTEE = "dana.payments-committee@acme.example";

test("the admin releases a change, rolls out the canary wave, pauses and resumes; a rollback through the emergency rule is flagged", async ({
  browser,
}) => {
  // Four people on a production build shared by two cores (and other engineers' builds).
  test.setTimeout(480_000);
  const author = await personIn(browser, PEOPLE.author.email);
  const security = await personIn(browser, PEOPLE.security.email);
  const committee = await personIn(browser, COMMITTEE);
  const admin = await personIn(browser, PEOPLE.admin.email);
  const name = `e2e-rollout-${Date.now().toString(36)}`;

  /** The author drafts and proposes a version of the policy; security and the payments committee approve it. */
  async function approvedChange(port: number, base: number | null): Promise<number> {
    await trpc(author.page, "policies.saveDraft", {
      policyName: base ? name : null,
      baseVersion: base,
      yaml: paymentsEgressYaml(name, { port, description: "Rollout end to end" }),
      message: "",
    });
    const { number } = await trpc<{ number: number }>(author.page, "policies.proposeChange", {
      title: `${name} on ${port}`,
      description: "",
      policies: [name],
    });
    const { contentHash } = await trpc<{ contentHash: string }>(author.page, "workflow.review", { number });
    for (const person of [security, committee]) await trpc(person.page, "workflow.approve", { number, contentHash, comment: "" });
    return number;
  }

  // A first release to roll back to later, then the one this test rolls out, released from the change page.
  const first = await trpc<{ release: number }>(admin.page, "workflow.release", { number: await approvedChange(9101, null) });
  const change = await approvedChange(9102, 1);
  await admin.page.goto(`/changes/${change}`);
  await admin.page.getByRole("button", { name: "Release", exact: true }).click();
  await expect(admin.page.getByText(/^Released as release \d+\.$/)).toBeVisible({ timeout: 30_000 });
  const release = Number(/release (\d+)/.exec((await admin.page.getByText(/^Released as release \d+\.$/).textContent())!)![1]);

  // The release page shows the waves: the staging canary first, every cluster pending.
  await admin.page.goto(`/releases/${release}`);
  const rows = admin.page.getByTestId("rollout-cluster");
  await expect(rows).toHaveCount(3);
  await expect(rows.first()).toHaveAttribute("data-cluster", "staging-eu-1");
  await expect(rows.first()).toContainText("canary");
  await expect(admin.page.getByTestId("rollout-state")).toHaveText("not started");

  await admin.page.getByRole("button", { name: "Roll out wave 1" }).click();
  await expect(rows.first()).toHaveAttribute("data-status", "rendered");
  await expect(rows.first()).toContainText(/\d+ objects, [0-9a-f]{12}/);
  await expect(rows.nth(1)).toHaveAttribute("data-status", "pending");
  await expect(admin.page.getByTestId("rollout-state")).toHaveText("rolling out");
  // Wave 2 waits for the canary to apply.
  await expect(admin.page.getByRole("button", { name: /Roll out wave/ })).toHaveCount(0);

  await admin.page.getByRole("button", { name: "Pause" }).click();
  await expect(admin.page.getByTestId("rollout-state")).toHaveText("paused");
  await expect(admin.page.getByText(`paused by ${PEOPLE.admin.email}`)).toBeVisible();
  await screenshot(admin.page, "rollout-paused", { fullPage: true });
  await admin.page.getByRole("button", { name: "Resume" }).click();
  await expect(admin.page.getByTestId("rollout-state")).toHaveText("rolling out");

  // The cluster side reports through the REST API (here with the console's cookie and Origin).
  const origin = new URL(admin.page.url()).origin;
  const reported = await admin.page.request.post(`/api/v1/releases/${release}/clusters/staging-eu-1/status`, {
    data: { status: "applied", message: "synced" },
    headers: { origin },
  });
  expect(reported.status()).toBe(200);
  await admin.page.reload();
  await expect(rows.first()).toHaveAttribute("data-status", "applied");
  await expect(admin.page.getByRole("button", { name: "Roll out wave 2" })).toBeVisible();
  await screenshot(admin.page, "rollout-canary-applied", { fullPage: true });

  // Roll back to the first release through the emergency rule: one security approval, flagged, reviewed afterwards.
  await admin.page.goto(`/releases/${first.release}`);
  await admin.page.getByLabel("Why roll back").fill("The new port broke checkout in staging");
  await admin.page.getByRole("button", { name: "Propose rollback" }).click();
  const proposed = admin.page.getByTestId("rollback-proposed").getByRole("link", { name: /^change #\d+$/ });
  await expect(proposed).toBeVisible();
  const rollback = Number(/#(\d+)/.exec((await proposed.textContent())!)![1]);
  await security.page.goto(`/changes/${rollback}`);
  await security.page.getByRole("button", { name: "Approve" }).click();
  await expect(security.page.getByText(/^Approved: the change is now/)).toBeVisible();
  await admin.page.goto(`/changes/${rollback}`);
  await admin.page.getByLabel("Reason (the author reads it)").fill("Checkout is failing: roll back now, review after");
  await admin.page.getByRole("button", { name: "Emergency release" }).click();
  await expect(admin.page.getByText(/^Released as release \d+\.$/)).toBeVisible({ timeout: 30_000 });
  const rolledBack = Number(/release (\d+)/.exec((await admin.page.getByText(/^Released as release \d+\.$/).textContent())!)![1]);

  await admin.page.goto(`/releases/${rolledBack}`);
  await expect(admin.page.getByText(`A rollback: this release has the policy set of release ${first.release}.`)).toBeVisible();
  await expect(admin.page.getByTestId("emergency-review")).toContainText("post-emergency review is open");
  await screenshot(admin.page, "rollout-emergency-rollback", { fullPage: true });

  // The audit trail flags it.
  await admin.page.goto("/audit");
  await admin.page.getByLabel("Action").fill("change.emergency-release");
  await admin.page.getByRole("button", { name: "Filter" }).click();
  const event = admin.page
    .getByTestId("audit-row")
    .filter({ hasText: `Roll back to release ${first.release}` })
    .first();
  await expect(event).toBeVisible();
  await event.getByRole("button", { name: "Details" }).click();
  await expect(admin.page.getByText('"emergency": true')).toBeVisible();
  await screenshot(admin.page, "rollout-audit-flag", { fullPage: true });

  // A reviewer other than the releaser acknowledges the review on the release page.
  await security.page.goto(`/releases/${rolledBack}`);
  await security.page.getByLabel("Review note").fill("Reviewed: the rollback was the right call");
  await security.page.getByRole("button", { name: "Acknowledge review" }).click();
  await expect(security.page.getByTestId("emergency-review")).toContainText(`Reviewed by ${PEOPLE.security.email}`);

  for (const person of [author, security, committee, admin]) expect(person.problems).toEqual([]);
});
