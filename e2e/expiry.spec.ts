import { expect, test, type Page } from "@playwright/test";
import { parseAllDocuments, stringify } from "yaml";
import { paymentsEgressYaml } from "../server/testing/policies";
import { PEOPLE, personIn, screenshot, trpc, trpcQuery } from "./helpers";

// Issue 10 item 4 / issue 14 item 5: an approved exception's objects are in its cluster's desired
// state; when the (test) clock passes its expiry, the sweeper re-renders without them, and until
// the cluster reports an observed state without them the Exceptions page says "expired, still
// enforced in 1 cluster".

const COMMITTEE = "dana.payments-committee@acme.example";
const CLUSTER = "staging-eu-1";
const MINUTE = 60_000;

type K8s = { kind: string; metadata: { name: string; namespace?: string } };

async function desiredOf(page: Page): Promise<K8s[]> {
  const response = await page.request.get(`/api/v1/clusters/${CLUSTER}/desired`);
  expect(response.status()).toBe(200);
  return parseAllDocuments(await response.text()).map((d) => d.toJSON() as K8s);
}

test("an expired exception leaves its cluster's desired state and reads 'still enforced' until the cluster reports", async ({
  browser,
}) => {
  test.setTimeout(300_000);
  const author = await personIn(browser, PEOPLE.checkoutAuthor.email);
  const security = await personIn(browser, PEOPLE.security.email);
  const committee = await personIn(browser, COMMITTEE);
  const admin = await personIn(browser, PEOPLE.admin.email);
  const suffix = Date.now().toString(36);
  const policy = `e2e-expiry-${suffix}`;

  // A release of our own, so the cluster has a desired state whatever ran before.
  const policyAuthor = await personIn(browser, PEOPLE.author.email);
  await trpc(policyAuthor.page, "policies.saveDraft", {
    policyName: null,
    baseVersion: null,
    yaml: paymentsEgressYaml(policy, { port: 9202, description: "Expiry end to end" }),
    message: "",
  });
  const change = await trpc<{ number: number }>(policyAuthor.page, "policies.proposeChange", {
    title: policy,
    description: "",
    policies: [policy],
  });
  const { contentHash } = await trpc<{ contentHash: string }>(policyAuthor.page, "workflow.review", { number: change.number });
  for (const person of [security, committee])
    await trpc(person.page, "workflow.approve", { number: change.number, contentHash, comment: "" });
  await trpc(admin.page, "workflow.release", { number: change.number });

  // An exception in the server's time (its clock may have been moved by an earlier spec).
  const { now } = await trpcQuery<{ now: string }>(admin.page, "exceptions.list", {});
  const title = `Cart reads the ledger until ${suffix}`;
  const requested = await trpc<{ number: number; contentHash: string }>(author.page, "exceptions.request", {
    title,
    flow: {
      direction: "egress",
      source: { namespace: "checkout", labels: { app: "cart" } },
      destination: { kind: "workload", namespace: "payments", labels: { app: "ledger" } },
      ports: [{ port: 9093, protocol: "TCP" }],
      clusters: [CLUSTER],
    },
    justification: "The ledger's read API moves behind the payments gateway next sprint.",
    ticket: "CHK-7777",
    startsAt: new Date(Date.parse(now) - MINUTE).toISOString(),
    expiresAt: new Date(Date.parse(now) + 10 * MINUTE).toISOString(),
  });
  const n = requested.number;
  await trpc(security.page, "exceptions.approve", { number: n, contentHash: requested.contentHash, comment: "" });
  const objectName = `pp-exception-exception-${n}`;

  // Its compiled objects are in the cluster's desired state; the cluster applies them and reports.
  const withIt = await desiredOf(admin.page);
  expect(withIt.some((o) => o.metadata.name.startsWith(objectName))).toBe(true);
  await trpc(admin.page, "clusters.uploadObserved", { name: CLUSTER, yaml: withIt.map((o) => stringify(o)).join("---\n") });

  // The clock passes the expiry; the sweeper expires it and re-renders without it.
  const detail = await trpcQuery<{ expiresAt: string }>(admin.page, "exceptions.get", { number: n });
  await trpc(admin.page, "exceptions.setTestClock", { at: new Date(Date.parse(detail.expiresAt) + 1000).toISOString() });
  const without = await desiredOf(admin.page);
  expect(without.some((o) => o.metadata.name.startsWith(objectName))).toBe(false);

  // The cluster still runs it: the page says so, naming the cluster.
  const page = admin.page;
  await page.goto(`/exceptions?number=${n}`);
  await expect(page.getByTestId("exception-detail-title")).toContainText("expired");
  const still = page.locator("#detail").getByTestId("still-enforced");
  await expect(still).toContainText(`expired, still enforced in 1 cluster (${CLUSTER})`);
  await expect(
    page
      .getByTestId("history-row")
      .filter({ has: page.getByText(`E-${n}`, { exact: true }) })
      .getByTestId("still-enforced"),
  ).toBeVisible();
  await page.locator("#detail").scrollIntoViewIfNeeded();
  await screenshot(page, "expiry-still-enforced", { fullPage: true });

  // The cluster applies the re-rendered state and reports it: no longer enforced anywhere.
  await trpc(admin.page, "clusters.uploadObserved", { name: CLUSTER, yaml: without.map((o) => stringify(o)).join("---\n") });
  await page.reload();
  await expect(page.getByTestId("exception-detail-title")).toContainText("expired");
  await expect(page.locator("#detail").getByTestId("still-enforced")).toHaveCount(0);

  for (const who of [author, security, committee, admin, policyAuthor]) expect(who.problems).toEqual([]);
});
