import { expect, test } from "@playwright/test";
import { E2E_PORT } from "../playwright.config";
import { DEMO_PASSWORD, PEOPLE, signIn } from "./helpers";

test.describe("sign-in", () => {
  test("works at 127.0.0.1 as well as at localhost on a local start", async ({ page }) => {
    await page.goto(`http://127.0.0.1:${E2E_PORT}/sign-in`);
    await page.getByLabel("E-mail").fill(PEOPLE.viewer.email);
    await page.getByLabel("Password").fill(DEMO_PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`^http://127\\.0\\.0\\.1:${E2E_PORT}/overview$`));
    await expect(page.getByTestId("current-user")).toHaveText(PEOPLE.viewer.name);
  });

  for (const [role, person] of Object.entries(PEOPLE)) {
    test(`${role} signs in and sees their name and role`, async ({ page }) => {
      await signIn(page, person.email);
      await expect(page.getByTestId("current-user")).toHaveText(person.name);
      await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
    });
  }

  test("the sign-in page lists the demo accounts and fills the form from one", async ({ page }) => {
    await page.goto("/sign-in");
    const demo = page.getByTestId("demo-accounts");
    await expect(demo).toContainText("demo-only");
    await demo.getByRole("button", { name: /Avery Kim/ }).click();
    await expect(page.getByLabel("E-mail")).toHaveValue(PEOPLE.viewer.email);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page.getByTestId("current-user")).toHaveText("Avery Kim");
  });

  test("a wrong password says so and does not sign in", async ({ page }) => {
    await page.goto("/sign-in");
    await page.getByLabel("E-mail").fill(PEOPLE.admin.email);
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page.getByRole("alert").filter({ hasText: "do not match" })).toHaveText(
      "That e-mail and password do not match an account.",
    );
    await expect(page).toHaveURL(/\/sign-in$/);
  });

  test("a console page without a session sends you to sign in", async ({ page }) => {
    await page.goto("/audit");
    await expect(page).toHaveURL(/\/sign-in$/);
  });

  test("signing out ends the session on the server", async ({ page }) => {
    await signIn(page, PEOPLE.author.email);
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/sign-in$/);
    await page.goto("/overview");
    await expect(page).toHaveURL(/\/sign-in$/);
    const response = await page.request.get("/api/trpc/overview.counts");
    expect(response.status()).toBe(401);
  });
});
