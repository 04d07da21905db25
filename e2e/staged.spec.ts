import { expect, test } from "@playwright/test";
import { PEOPLE, personIn, screenshot, trpc } from "./helpers";
import { paymentsIngressYaml } from "../server/testing/policies";

// An author marks their change staged on its page: the flag shows on the page
// and in the change list, and the switch reads "Mark enforced" from then on.
// The policy selects no pod, so its draft changes nothing other specs count.
const POLICY = `e2e-staged-${Date.now().toString(36)}`;
const yaml = paymentsIngressYaml(POLICY, { app: "e2e-staged-selects-nothing", description: "Staged from the e2e suite" });

test("an author marks a change staged on its page and sees the flag there and in the list", async ({ browser }) => {
  test.setTimeout(120_000);
  const { page, problems } = await personIn(browser, PEOPLE.author.email);
  await trpc(page, "policies.saveDraft", { policyName: null, baseVersion: null, yaml, message: "" });
  const { number } = await trpc<{ number: number }>(page, "policies.proposeChange", {
    title: `Stage ${POLICY}`,
    description: "",
    policies: [POLICY],
  });

  await page.goto(`/changes/${number}`);
  const panel = page.getByTestId("staged-panel");
  await expect(panel).toContainText("enforced when released", { timeout: 45_000 });
  await panel.getByRole("button", { name: "Mark staged" }).click();
  await expect(panel.getByRole("button", { name: "Mark enforced" })).toBeVisible({ timeout: 30_000 });
  await expect(panel).toContainText("Released audit-only");
  await expect(panel.getByText("staged", { exact: true })).toBeVisible();
  await screenshot(panel, "staged-change");

  await page.goto("/changes");
  const row = page.getByTestId("change-row").filter({ hasText: `Stage ${POLICY}` });
  await expect(row.getByText("staged", { exact: true })).toBeVisible({ timeout: 30_000 });

  // Leave the shared database as it was: the change is withdrawn.
  await trpc(page, "workflow.withdraw", { number, reason: "e2e done" });
  expect(problems).toEqual([]);
});
