// The machine API through the production server: the console's API reference renders the decision
// point, a token made in Settings gets a decision from it, the decision log (sampled at 100 %) finds
// that decision by its id, and the cluster page issues the admission webhook's certificate (issue 18).
import { expect, test } from "@playwright/test";
import { PEOPLE, screenshot, signIn, trpc, watchConsole } from "./helpers";

test("the API reference shows the decision point, a decide token gets a decision the decision log finds, and a cluster gets its webhook certificate", async ({
  page,
  request,
}) => {
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
  await expect(page.locator("#post-admission-cluster")).toContainText("AdmissionReview");
  await decide.scrollIntoViewIfNeeded();
  await screenshot(page, "machines-api-reference", { fullPage: false });

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

  // The decision log: every decision sampled, then the next answer found by its id.
  await page.goto("/settings");
  await page.getByRole("link", { name: "Decision log" }).click();
  const sampling = page.getByRole("form", { name: "Decision log sampling" });
  await sampling.getByLabel("Sampled share (%)").fill("100");
  await sampling.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("sampling-summary")).toContainText("100 % of decisions");
  const logged = (await (
    await request.post("/api/v1/decide", {
      data: { ...flow, destination: { dns: "api.stripe.com" }, port: 443, protocol: "TCP" },
      headers: { authorization: `Bearer ${token}` },
    })
  ).json()) as { decisionId: string; decision: string };
  // Written in batches off the hot path: within a second or so (asked of the server before the page searches).
  const query = `decisions.search?input=${encodeURIComponent(JSON.stringify({ json: { decisionId: logged.decisionId } }))}`;
  await expect.poll(async () => (await trpc<{ rows: unknown[] }>(page, query)).rows.length, { timeout: 10_000 }).toBe(1);
  const search = page.getByRole("form", { name: "Search decisions" });
  await search.getByLabel("Decision id").fill(logged.decisionId);
  await search.getByRole("button", { name: "Search" }).click();
  await expect(page.getByTestId("decision-row")).toHaveCount(1);
  const row = page.getByTestId("decision-row");
  await expect(row).toContainText("api.stripe.com");
  await expect(row).toContainText(logged.decision);
  await row.getByRole("button", { name: "Why" }).click();
  await expect(page.getByText(`decision ${logged.decisionId}`)).toBeVisible();
  await screenshot(page, "machines-decision-log", { fullPage: true });

  // The admission webhook of a cluster: its certificate, then the configuration to download.
  await page.goto("/clusters/prod-us-1");
  const webhook = page.getByTestId("cluster-webhook");
  await expect(webhook).toContainText("/api/v1/admission/prod-us-1");
  await webhook.getByRole("button", { name: /^(Generate|Rotate) certificate$/ }).click();
  await expect(page.getByTestId("webhook-certificate")).toContainText("policyplane-webhook.policyplane.svc");
  await expect(page.getByTestId("webhook-certificate")).toContainText("Secret not downloaded yet");
  const download = page.waitForEvent("download");
  await webhook.getByRole("button", { name: "Download ValidatingWebhookConfiguration" }).click();
  expect((await download).suggestedFilename()).toBe("policyplane-webhook-prod-us-1.yaml");
  await page.getByTestId("cluster-webhook").scrollIntoViewIfNeeded();
  await screenshot(page, "machines-cluster-webhook", { fullPage: true });
  expect(problems).toEqual([]);
});
