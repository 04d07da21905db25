// The machine API through the production server: the console's API reference renders the decision
// point, and a token made in Settings gets a decision from it (issue 18).
import { expect, test } from "@playwright/test";
import { PEOPLE, screenshotPath, signIn, watchConsole } from "./helpers";

test("the API reference shows the decision point, and a decide token gets a decision", async ({ page, request }) => {
  const problems = watchConsole(page);
  await signIn(page, PEOPLE.admin.email);
  await page.goto("/settings");
  await page.getByRole("link", { name: "API reference" }).click();
  await expect(page).toHaveURL(/\/settings\/api$/);
  await expect(page.getByRole("heading", { name: "API reference", level: 1 })).toBeVisible();

  const decide = page.locator("#post-decide");
  await expect(decide).toContainText("/api/v1/decide");
  await expect(decide).toContainText("scope: decide");
  await expect(decide).toContainText("Decide one flow by the cluster's current release");
  const body = decide.getByRole("table", { name: "Request body" });
  for (const field of ["cluster", "source.namespace", "source.pod", "source.labels", "destination.ip", "port", "dryRun.changeRequest"])
    await expect(body.getByRole("cell", { name: new RegExp(`^${field.replace(".", "\\.")}( \\*)?$`) })).toBeVisible();
  await expect(decide.getByRole("table", { name: "Reply 200" })).toContainText("decisionId");
  await expect(page.locator("#post-admission")).toContainText("AdmissionReview");
  await decide.scrollIntoViewIfNeeded();
  await page.screenshot({ path: screenshotPath("machines-api-reference"), fullPage: false });

  // The OpenAPI document the page links to.
  const doc = await request.get("/api/v1/openapi.json");
  expect(doc.status()).toBe(200);
  expect(await doc.json()).toMatchObject({ openapi: "3.1.0", paths: { "/decide": { post: { "x-policyplane-scope": "decide" } } } });

  // A token with the decide scope (the form's default) asks the decision point through the real server.
  await page.goto("/settings");
  const name = `e2e decide ${Date.now()}`;
  const form = page.getByRole("form", { name: "Create API token" });
  await form.getByLabel("Name").fill(name);
  await form.getByRole("button", { name: "Create token" }).click();
  const token = (await page.getByTestId("new-token").locator("code").textContent())!;
  expect(token).toMatch(/^ppt_/);
  const flow = {
    cluster: "prod-eu-1",
    source: { namespace: "payments", pod: "payments-api" },
    destination: { ip: "8.8.8.8" },
    port: 53,
    protocol: "UDP",
  };
  const answer = await request.post("/api/v1/decide", { data: flow, headers: { authorization: `Bearer ${token}` } });
  expect(answer.status()).toBe(200);
  expect(await answer.json()).toMatchObject({
    decision: expect.stringMatching(/^(allow|deny)$/),
    release: expect.any(Number),
    reasons: expect.any(Array),
  });
  const bad = await request.post("/api/v1/decide", { data: { ...flow, port: 0 }, headers: { authorization: `Bearer ${token}` } });
  expect(bad.status()).toBe(400);
  expect(await bad.json()).toMatchObject({ error: "InvalidInput", field: "port" });
  expect(problems).toEqual([]);
});
