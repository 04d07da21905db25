import { expect, test } from "@playwright/test";
import { PEOPLE, screenshot, signIn, watchConsole } from "./helpers";

test("an admin rotates a token: the new one is shown once, both work during the grace period, the table says so", async ({
  page,
  request,
}) => {
  const problems = watchConsole(page);
  const name = `e2e rotate ${Date.now()}`;
  await signIn(page, PEOPLE.admin.email);
  await page.goto("/settings");
  await expect(page.getByTestId("token-limits")).toContainText("may live at most");

  // Asking for more than the maximum is refused next to the field.
  const form = page.getByRole("form", { name: "Create API token" });
  await form.getByLabel("Name").fill(name);
  await form.getByLabel("Expires in (days)").fill("400");
  await form.getByRole("button", { name: "Create token" }).click();
  await expect(form.getByRole("alert")).toHaveText("Tokens may live at most 365 days (the admin-set maximum); 400 days is too long.");

  // Empty expiry: the 90-day default.
  await form.getByLabel("Expires in (days)").fill("");
  await form.getByRole("button", { name: "Create token" }).click();
  const shown = page.getByTestId("new-token").locator("code");
  await expect(shown).toHaveText(/^ppt_/);
  const oldToken = (await shown.textContent())!;
  const row = page.getByTestId("token-row").filter({ hasText: name });
  await expect(row).toHaveCount(1);
  const expected = new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10);
  await expect(row).toContainText(expected);

  await row.getByRole("button", { name: "Rotate…" }).click();
  const rotate = row.getByRole("form", { name: `Rotate ${name}` });
  await rotate.getByLabel("Old one works for (hours)").fill("12");
  await rotate.getByRole("button", { name: "Rotate", exact: true }).click();
  await expect(page.getByTestId("new-token")).toContainText("rotated");
  await expect(page.getByTestId("new-token")).toContainText("The old token keeps working until");
  const newToken = (await shown.textContent())!;
  expect(newToken).not.toBe(oldToken);

  const rows = page.getByTestId("token-row").filter({ hasText: name });
  await expect(rows).toHaveCount(2);
  const newPrefix = newToken.split("_")[1]!;
  await expect(rows.getByTestId("token-rotated")).toContainText(`rotated → ppt_${newPrefix}_…, old valid until`);

  for (const token of [oldToken, newToken]) {
    const response = await request.get("/api/v1/whoami", { headers: { authorization: `Bearer ${token}` } });
    expect(response.status()).toBe(200);
  }
  await screenshot(page, "tokens-rotation", { fullPage: true });
  // The refused create answers 400, which the browser logs; nothing else may go wrong.
  expect(problems.filter((p) => !p.includes("status of 400 (Bad Request)"))).toEqual([]);
});
