import { expect, test, type Page } from "@playwright/test";
import { parseAllDocuments, stringify } from "yaml";
import { paymentsEgressYaml } from "../server/testing/policies";
import { PEOPLE, personIn, screenshot } from "./helpers";

const COMMITTEE = "dana.payments-committee@acme.example";
const CLUSTER = "prod-us-1";

async function trpc<T = unknown>(page: Page, procedure: string, json: unknown): Promise<T> {
  const response = await page.request.post(`/api/trpc/${procedure}`, { data: { json }, headers: { "content-type": "application/json" } });
  const body = await response.json();
  expect(response.status(), JSON.stringify(body)).toBe(200);
  return body.result.data.json as T;
}

type K8s = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; spec?: unknown };

test("an admin uploads observed state with injected drift and sees each drift, the modified one with its field diff", async ({
  browser,
}) => {
  test.setTimeout(300_000);
  const author = await personIn(browser, PEOPLE.author.email);
  const security = await personIn(browser, PEOPLE.security.email);
  const committee = await personIn(browser, COMMITTEE);
  const admin = await personIn(browser, PEOPLE.admin.email);
  const suffix = Date.now().toString(36);
  const policy = `e2e-drift-${suffix}`;

  // A release of our own, so the cluster has desired objects whatever ran before.
  await trpc(author.page, "policies.saveDraft", {
    policyName: null,
    baseVersion: null,
    yaml: paymentsEgressYaml(policy, { port: 9201, description: "Drift end to end" }),
    message: "",
  });
  const { number } = await trpc<{ number: number }>(author.page, "policies.proposeChange", {
    title: policy,
    description: "",
    policies: [policy],
  });
  const { contentHash } = await trpc<{ contentHash: string }>(author.page, "workflow.review", { number });
  for (const person of [security, committee]) await trpc(person.page, "workflow.approve", { number, contentHash, comment: "" });
  await trpc(admin.page, "workflow.release", { number });

  // The desired manifests, as the console offers them for download (remediation).
  const desiredResponse = await admin.page.request.get(`/api/v1/clusters/${CLUSTER}/desired`);
  expect(desiredResponse.status()).toBe(200);
  const desired = parseAllDocuments(await desiredResponse.text()).map((d) => d.toJSON() as K8s);
  expect(desired.length).toBeGreaterThanOrEqual(3);

  // Injected drift: one desired object deleted, one edited by hand (a label), one allow-all hotfix; and a broken object.
  const [gone, changed, ...rest] = desired;
  const edited = structuredClone(changed!) as K8s & { metadata: { labels?: Record<string, string> } };
  edited.metadata.labels = { ...(edited.metadata.labels ?? {}), hotfix: suffix };
  const hotfix = `allow-all-${suffix}`;
  // Adopted below: it selects no pod, so the draft it becomes opens nothing in the specs that share this database.
  const adoptable = `e2e-adopt-${suffix}`;
  const items = [
    ...rest,
    edited,
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: hotfix, namespace: "payments" },
      spec: { podSelector: {}, ingress: [{}] },
    },
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: adoptable, namespace: "payments" },
      spec: { podSelector: { matchLabels: { app: `e2e-nothing-${suffix}` } }, ingress: [{}] },
    },
    { apiVersion: "networking.k8s.io/v1", metadata: { name: "broken" } },
  ];
  const upload = stringify({ apiVersion: "v1", kind: "List", items }, { lineWidth: 0 });

  const page = admin.page;
  await page.goto(`/clusters/${CLUSTER}`);
  await page.getByLabel("Observed state YAML").fill(upload);
  await page.getByRole("button", { name: "Upload", exact: true }).click();
  await expect(page.getByText(`Kept ${items.length - 1} objects, rejected 1`)).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId("rejected")).toContainText(`object ${items.length - 1} in the list`);
  await expect(page.getByTestId("rejected")).toContainText("kind is missing");

  const rows = page.getByTestId("drift-row");
  // The hand-applied allow-all opens paths into payments (the engine's effect); the label edit changes none.
  await expect(rows.filter({ hasText: hotfix })).toContainText("unmanaged");
  await expect(rows.filter({ hasText: hotfix })).toContainText(/opens \d+/);
  await expect(rows.filter({ hasText: gone!.metadata.name })).toContainText("missing");
  const modified = rows.filter({ hasText: edited.metadata.name }).filter({ hasText: "modified" });
  await modified.getByRole("button", { name: "Details" }).click();
  const diff = page.getByTestId("field-diff");
  await expect(diff).toHaveCount(1);
  await expect(diff).toContainText("metadata.labels.hotfix");
  await expect(diff).toContainText(suffix);
  await expect(modified).toContainText("no path changes");
  await rows.filter({ hasText: hotfix }).getByRole("button", { name: "Details" }).click();
  await expect(page.getByTestId("drift-effect")).toContainText(/→ payments\//);
  await screenshot(page, "cluster-drift", { fullPage: true });

  // The Clusters page counts it.
  await page.goto("/clusters");
  const row = page.getByTestId("cluster-row").filter({ has: page.getByRole("link", { name: CLUSTER, exact: true }) });
  await expect(row).toContainText("1 missing, 2 unmanaged, 1 modified");
  await expect(row).toContainText("just now");
  // This server has no GitOps repository configured: the export says so (not a server error).
  await page.getByRole("button", { name: "Export to GitOps" }).click();
  await expect(page.getByText(/No GitOps repository is configured: set POLICYPLANE_GITOPS_DIR/)).toBeVisible({ timeout: 30_000 });
  await screenshot(page, "clusters", { fullPage: true });
  // The refused export is the one failed request the browser logs.
  expect(admin.problems.filter((p) => !p.includes("status of 409 (Conflict)"))).toEqual([]);

  // The payments author adopts a hand-applied policy into a draft change request; the trend shows the upload.
  const mine = author.page;
  await mine.goto(`/clusters/${CLUSTER}`);
  await expect(mine.getByTestId("drift-trend").locator(".recharts-area")).toHaveCount(3);
  const adoptableRow = mine.getByTestId("drift-row").filter({ hasText: adoptable });
  await adoptableRow.getByRole("button", { name: "Details" }).click();
  await mine.getByRole("button", { name: "Adopt into a change request" }).click();
  await expect(mine.getByTestId("adopted")).toContainText(`payments-${adoptable}`, { timeout: 30_000 });
  await screenshot(mine, "cluster-adopt", { fullPage: true });
  await mine.getByTestId("adopted").getByRole("link").click();
  await expect(mine.getByText(`Adopt unmanaged NetworkPolicy payments/${adoptable} from ${CLUSTER}`).first()).toBeVisible();
});
