import { expect, test } from "@playwright/test";
import { PEOPLE, screenshot, signIn, trpc } from "./helpers";

test("an author cannot reach admin settings: the server refuses, not just the UI", async ({ page }) => {
  await signIn(page, PEOPLE.author.email);
  await page.goto("/settings");
  await expect(page.getByTestId("settings-refused")).toContainText("This needs the admin role");
  // The platform default decides what every cluster enforces: everyone sees it, with its scope and version, read-only.
  await expect(page.getByTestId("platform-default-scope")).toContainText("every namespace, system namespaces (kube-system, …) included");
  await expect(page.getByTestId("platform-default-version")).toHaveText("version 1");
  await expect(page.getByRole("button", { name: "Propose a change" })).toHaveCount(0);
  // Call the API directly with the author's own session cookie.
  const response = await page.request.post("/api/trpc/settings.createToken", {
    data: { json: { name: "sneaky", role: "admin", tenantId: null, scopes: ["decide"], expiresInDays: null } },
    headers: { "content-type": "application/json" },
  });
  expect(response.status()).toBe(403);
  const body = await response.text();
  expect(body).not.toMatch(/at \w+ \(|\.ts:\d+/);
});

test("an admin creates an API token, sees it once, uses it, and revokes it", async ({ page, request }) => {
  await signIn(page, PEOPLE.admin.email);
  await page.goto("/settings");
  const form = page.getByRole("form", { name: "Create API token" });
  await form.getByLabel("Name").fill("e2e prod-eu-1 agent");
  await form.getByRole("button", { name: "Create token" }).click();
  const shown = page.getByTestId("new-token").locator("code");
  await expect(shown).toHaveText(/^ppt_/);
  const token = (await shown.textContent())!;

  const ok = await request.get("/api/v1/whoami", { headers: { authorization: `Bearer ${token}` } });
  expect(ok.status()).toBe(200);
  expect(await ok.json()).toMatchObject({ label: "token:e2e prod-eu-1 agent" });

  await page.reload();
  await expect(page.getByText(token)).toHaveCount(0);
  const row = page.getByTestId("token-row").filter({ hasText: "e2e prod-eu-1 agent" });
  await expect(row.getByTestId("token-scopes")).toHaveText("decide");
  await row.getByRole("button", { name: "Revoke" }).click();
  await expect(row).toContainText("revoked");
  const refused = await request.get("/api/v1/whoami", { headers: { authorization: `Bearer ${token}` } });
  expect(refused.status()).toBe(401);
  await screenshot(page, "settings", { fullPage: true });
});

test("an admin proposes a platform default change: a change request with both settings, in force only once released", async ({ page }) => {
  await signIn(page, PEOPLE.admin.email);
  await page.goto("/settings");
  await page.getByRole("button", { name: "Propose a change" }).click();
  const form = page.getByRole("form", { name: "Propose a platform default change" });
  await form.getByLabel("Namespaces not covered").fill("kube-system");
  await form.getByLabel("Why").fill("kube-system is the platform team's own");
  await form.getByRole("button", { name: "Propose for approval" }).click();
  await expect(page).toHaveURL(/\/changes\/\d+$/);
  const number = Number(/\/changes\/(\d+)$/.exec(page.url())![1]);
  const change = page.getByTestId("platform-default-change");
  await expect(change).toContainText("loosens");
  await expect(change).toContainText("leaves kube-system out");
  await expect(page.getByTestId("platform-default-to")).toContainText("every namespace except kube-system");
  await screenshot(page, "platform-default-change", { fullPage: true });
  // Proposed is not in force: Settings still shows version 1, with the open request.
  await page.goto("/settings");
  await expect(page.getByTestId("platform-default-version")).toHaveText("version 1");
  await expect(page.getByTestId("platform-default-proposed")).toContainText(`Change request #${number}`);
  await expect(page.getByRole("button", { name: "Propose a change" })).toHaveCount(0);
  await screenshot(page, "platform-default-settings", { fullPage: true });
  // Leave the shared database as it was: withdrawn, the setting may be proposed again.
  await trpc(page, "workflow.withdraw", { number, reason: "e2e: done looking" });
});

test("adding a user shows field errors from the server next to the fields", async ({ page }) => {
  await signIn(page, PEOPLE.admin.email);
  await page.goto("/settings");
  const form = page.getByRole("form", { name: "Add user" });
  await form.getByLabel("Name").fill("Robin Test");
  await form.getByLabel("E-mail").fill("not-an-email");
  await form.getByLabel("Initial password").fill("short");
  await form.getByRole("button", { name: "Add user" }).click();
  await expect(form.getByText("Enter a valid e-mail address")).toBeVisible();
  await expect(form.getByText("At least 10 characters")).toBeVisible();
  await form.getByLabel("E-mail").fill("robin.test@acme.example");
  await form.getByLabel("Initial password").fill("a-long-enough-password");
  await form.getByRole("button", { name: "Add user" }).click();
  await expect(page.getByText("robin.test@acme.example can now sign in")).toBeVisible();
  await expect(page.getByTestId("user-row").filter({ hasText: "robin.test@acme.example" })).toBeVisible();
});

test("the audit page lists what happened and shows the chain is intact", async ({ page }) => {
  await signIn(page, PEOPLE.viewer.email);
  await page.goto("/audit");
  await expect(page.getByTestId("chain-status")).toHaveAttribute("data-ok", "true");
  await expect(page.getByTestId("audit-row").first()).toBeVisible();
  await page.getByLabel("Action").fill("token.");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page.getByTestId("audit-row").first()).toContainText("token.");
  await page.getByLabel("Action").fill("");
  await page.getByRole("button", { name: "Filter" }).click();
  await page.getByTestId("audit-row").first().getByRole("button", { name: "Details" }).click();
  await screenshot(page, "audit", { fullPage: true });
});

test("a sign-in is audited with the address the server saw, not one the client claims in X-Forwarded-For", async ({ page }) => {
  await page.setExtraHTTPHeaders({ "x-forwarded-for": "203.0.113.77" });
  await signIn(page, PEOPLE.networking.email);
  await page.goto("/audit");
  await page.getByLabel("Action").fill("auth.signed_in");
  await page.getByRole("button", { name: "Filter" }).click();
  const row = page.getByTestId("audit-row").first();
  await expect(row).toContainText(PEOPLE.networking.email);
  await row.getByRole("button", { name: "Details" }).click();
  const details = page.locator("pre").filter({ hasText: "ipAddress" }).first();
  // Loopback: IPv4, or IPv6 grouped by its /64 as better-auth stores it (::1 → all zeros).
  await expect(details).toContainText(/"ipAddress": "(127\.0\.0\.1|::1|0000(:0000){7})"/);
  await expect(details).not.toContainText("203.0.113.77");
});
