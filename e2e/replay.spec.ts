import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { PEOPLE, proposeYaml, screenshot, signIn, watchConsole } from "./helpers";
import { paymentsDbYaml } from "../server/testing/policies";

// Issue 15: a recorded dataset uploaded in the browser, replayed against a change request the test
// proposes (payments-db's ingress narrowed to the API, so the ledger's calls become denied), with
// the run's progress, its totals and table, a drill-down to the recorded lines and the CSV export.

const T0 = Date.parse("2026-11-30T10:00:00Z");

/** 3 × `rounds` records: ledger → db (denied by the change), API → db (allowed by both), checkout → db (denied by both); line 4 is bad. */
function dataset(rounds: number): string {
  const lines: string[] = [];
  const flow = (src: string, i: number) =>
    JSON.stringify({ src, dst: "payments/payments-db", port: 5432, time: new Date(T0 + i * 1000).toISOString() });
  for (let i = 0; i < rounds; i++) {
    lines.push(flow("payments/ledger", i), flow("payments/payments-api", i), flow("checkout/checkout-api", i));
    if (i === 0) lines.push('{"src":"payments/ledger","dst":"payments/payments-db"');
  }
  return lines.join("\n") + "\n";
}

test("replay: upload a dataset, run it against a change request, see progress, totals, rows and the CSV", async ({ page }) => {
  test.setTimeout(180_000);
  const errors = watchConsole(page);
  await signIn(page, PEOPLE.author.email);
  const stamp = Date.now().toString(36);
  const title = `Payments DB for the API only ${stamp}`;
  const number = await proposeYaml(page, "payments-db", paymentsDbYaml(`The API only (${stamp}).`, ["payments-api"]), title);

  // Upload: the file streams to the server; the list then shows its records and the bad line by number.
  // 60,000 rounds: the counts below are written out, thousands separators included (issue 15 item 7).
  const ROUNDS = 60_000;
  const name = `ledger traffic ${stamp}`;
  await page.goto("/simulator");
  const upload = page.getByRole("form", { name: "Upload a dataset" });
  await upload
    .getByLabel("Dataset file")
    .setInputFiles({ name: "flows.jsonl", mimeType: "application/x-ndjson", buffer: Buffer.from(dataset(ROUNDS)) });
  await upload.getByLabel("Dataset name").fill(name);
  await upload.getByRole("button", { name: "Upload" }).click();
  await expect(page.getByText(`Uploaded ${name}`)).toBeVisible({ timeout: 60_000 });
  const row = page.getByTestId("dataset-row").filter({ hasText: name });
  await expect(row.getByTestId("dataset-records")).toHaveText(`180,000 record(s)`, { timeout: 60_000 });
  await row.getByTestId("dataset-bad-lines").click();
  await expect(row.getByText("line 4: not JSON")).toBeVisible();
  await screenshot(page, "replay-datasets", { fullPage: true });

  // Start the run against the change: the run page shows its progress, then the results.
  const start = page.getByRole("form", { name: "Start a replay" });
  await start.getByLabel("Dataset").selectOption({ label: `${name} (180,000 records)` });
  await start.getByLabel("Proposal").selectOption({ label: `change #${number}: ${title}` });
  await start.getByLabel("Cluster").selectOption("prod-eu-1");
  await start.getByRole("button", { name: "Start replay" }).click();
  await expect(page).toHaveURL(/\/simulator\/runs\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("progressbar", { name: "Replay progress" })).toBeVisible();
  await screenshot(page, "replay-run-progress", { fullPage: true });
  await expect(page.getByTestId("run-headline")).toHaveText(
    `This proposal would have denied 60,000 flow(s) on 1 path(s) and newly allowed 0 flow(s) on 0 path(s), of 180,000 recorded flow(s).`,
    { timeout: 120_000 },
  );
  await expect(page.getByTestId("total-newly-denied")).toHaveText("60,000");
  await expect(page.getByTestId("total-unchanged-allow")).toHaveText("60,000");
  await expect(page.getByTestId("total-unchanged-deny")).toHaveText("60,000");

  // The table: the changed path first, both verdicts with their rationales; filter to it and drill down.
  const rows = page.getByTestId("path-row");
  await expect(rows).toHaveCount(3);
  await page.getByLabel("Filter by class").selectOption("newly-denied");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("payments/ledger");
  await expect(rows.first()).toContainText("allow → deny");
  await rows.first().click();
  await expect(page.getByTestId("run-samples")).toContainText("line 1");
  await expect(page.getByTestId("run-samples")).toContainText('"src":"payments/ledger"');
  await screenshot(page, "replay-run-results", { fullPage: true });

  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-csv").click()]);
  const csv = readFileSync((await download.path())!, "utf8")
    .trimEnd()
    .split("\n");
  expect(csv[0]).toBe(
    "cluster,src,dst,port,protocol,change,baseline,proposal,flows,records,first_seen,last_seen,baseline_rationale,proposal_rationale,sample_lines",
  );
  expect(csv).toHaveLength(2);
  expect(csv[1]).toMatch(/^prod-eu-1,payments\/ledger,payments\/payments-db,5432,TCP,newly-denied,allow,deny,60000,60000,/);

  // The change's page shows its latest run for the approvers.
  await page.goto(`/changes/${number}`);
  await expect(page.getByTestId("change-replay-headline")).toContainText(`This change would have denied 60,000 flow(s) on 1 path(s)`);
  await page.getByTestId("change-replay-headline").scrollIntoViewIfNeeded();
  await screenshot(page, "replay-change-page", { fullPage: true });
  expect(errors).toEqual([]);
});
