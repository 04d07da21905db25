import { expect, test, type Page } from "@playwright/test";
import { PEOPLE, personIn, screenshot, trpc } from "./helpers";

// Two changes to one policy: A is released while B waits. B's page offers the
// rebase, shows the conflict (both reworded the description) side by side, and
// the author keeps their wording; the change then goes from the new release.
const POLICY = "psp-egress";
const COMMITTEE = "dana.payments-committee@acme.example";

const query = <T>(page: Page, procedure: string, input: unknown) =>
  trpc<T>(page, `${procedure}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`);
const reword = (yaml: string, words: string) => yaml.replace(/^ {2}description: .*$/m, `  description: ${words}`);

test("an author rebases a change onto a release made meanwhile, resolving the conflict on the change page", async ({ browser }) => {
  test.setTimeout(120_000);
  const stamp = Date.now();
  const author = await personIn(browser, PEOPLE.author.email);
  const policy = () =>
    query<{ policy: { releasedVersion: number }; versions: { version: number; yaml: string }[] }>(author.page, "policies.get", {
      name: POLICY,
    });
  const draft = async (words: string) => {
    const newest = (await policy()).versions.at(-1)!;
    await trpc(author.page, "policies.saveDraft", {
      policyName: POLICY,
      baseVersion: newest.version,
      yaml: reword(newest.yaml, words),
      message: "",
    });
    return trpc<{ number: number }>(author.page, "policies.proposeChange", { title: `${words}`, description: "", policies: [POLICY] });
  };
  // A rewords the newest version; B rewords the released one (restored first), so neither holds the other.
  const a = await draft(`Release wording ${stamp}`);
  await trpc(author.page, "policies.restoreVersion", { policyName: POLICY, version: (await policy()).policy.releasedVersion });
  const b = await draft(`Author wording ${stamp}`);

  for (const email of [PEOPLE.security.email, COMMITTEE]) {
    const { page } = await personIn(browser, email);
    const { contentHash } = await query<{ contentHash: string }>(page, "workflow.review", { number: a.number });
    await trpc(page, "workflow.approve", { number: a.number, contentHash, comment: "" });
  }
  const admin = await personIn(browser, PEOPLE.admin.email);
  await trpc(admin.page, "workflow.release", { number: a.number });

  await author.page.goto(`/changes/${b.number}`);
  const panel = author.page.getByTestId("rebase-panel");
  // The page's other sections (impact, compile) load beside it on a busy machine.
  await expect(panel).toContainText("1 conflict to resolve", { timeout: 45_000 });
  const conflict = panel.getByTestId("rebase-conflicts");
  await expect(conflict).toContainText(`Author wording ${stamp}`);
  await expect(conflict).toContainText(`Release wording ${stamp}`);
  await expect(panel.getByRole("button", { name: "Rebase", exact: true })).toBeDisabled();
  await screenshot(panel, "rebase-conflict");

  await panel.getByRole("button", { name: "Keep mine" }).click();
  await expect(panel).toContainText("resolved");
  await expect(panel.getByLabel(`Merged YAML of ${POLICY}`)).toHaveValue(new RegExp(`description: Author wording ${stamp}`));
  await panel.getByRole("button", { name: "Rebase", exact: true }).click();

  // The change now goes from the release that holds A's wording to the author's, and says so in its timeline.
  // The rebase checks the merged YAML and the lint in the engine's workers: seconds on a busy machine.
  await expect(author.page.getByTestId("rebase-panel")).toHaveCount(0, { timeout: 45_000 });
  await expect(
    author.page.getByText(/rebased onto the current release \(psp-egress onto v\d+, conflicts resolved by hand\)/),
  ).toBeVisible();
  const change = await query<{ items: { fromYaml: string; toYaml: string }[] }>(author.page, "changes.get", { number: b.number });
  expect(change.items[0]!.fromYaml).toContain(`Release wording ${stamp}`);
  expect(change.items[0]!.toYaml).toContain(`Author wording ${stamp}`);
  expect(author.problems).toEqual([]);
});
