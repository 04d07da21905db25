import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { PEOPLE, screenshotPath, signIn, watchConsole } from "./helpers";

const fixture = readFileSync(new URL("../server/policy/__fixtures__/hubble/cilium-docs-export-dropped-2.jsonl", import.meta.url), "utf8");

/** A Hubble record (`hubble observe -o json`) of a probe pod the inventory does not list, known by its labels. */
function dropped(probe: string, time: string): string {
  return JSON.stringify({
    flow: {
      time,
      verdict: "DROPPED",
      drop_reason_desc: "POLICY_DENIED",
      IP: { source: "10.20.0.7", destination: "10.20.1.9", ipVersion: "IPv4" },
      l4: { TCP: { source_port: 51234, destination_port: 9090, flags: { SYN: true } } },
      source: {
        namespace: "checkout",
        pod_name: `${probe}-6c8d7f9b4-qwert`,
        labels: [`k8s:app=${probe}`, "k8s:io.kubernetes.pod.namespace=checkout"],
      },
      destination: { namespace: "payments", pod_name: "ledger-6c8d7f9b4-abcde" },
      node_name: "prod-eu-1/node-a",
    },
    node_name: "prod-eu-1/node-a",
    time,
  });
}

test("flows pushed through the REST API show on the violations dashboard and lead to their rationale", async ({ page, request }) => {
  const problems = watchConsole(page);
  await signIn(page, PEOPLE.admin.email);
  const created = await page.request.post("/api/trpc/settings.createToken", {
    data: { json: { name: `e2e flows ${Date.now()}`, role: "viewer", tenantId: null, scopes: ["flows"], expiresInDays: 1 } },
    headers: { "content-type": "application/json" },
  });
  expect(created.status()).toBe(200);
  const token = ((await created.json()) as { result: { data: { json: { token: string } } } }).result.data.json.token;

  // Unique per run: the suite shares one database.
  const probe = `e2e-probe-${Date.now().toString(36)}`;
  const now = Date.now();
  const lines = [0, 1, 2].map((i) => dropped(probe, new Date(now - 60_000 + i * 1000).toISOString()));
  const ingested = await request.post("/api/v1/flows?cluster=prod-eu-1", {
    headers: { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson" },
    data: `${fixture}${lines.join("\n")}\n`,
  });
  expect(ingested.status()).toBe(200);
  const result = await ingested.json();
  // The fixture's ICMPv6 line is refused by number; its TCP drop and the three probes' are kept.
  expect(result).toMatchObject({ cluster: "prod-eu-1", lines: 5, accepted: 4, rejected: 1 });
  expect(result.errors[0]).toMatchObject({ line: 1 });

  await page.goto("/violations?range=1h&cluster=prod-eu-1");
  await expect(page.getByLabel("Cluster")).toHaveValue("prod-eu-1");
  const row = page.getByTestId("top-path").filter({ hasText: `checkout/${probe}` });
  await expect(row).toBeVisible();
  await expect(row).toContainText("payments/ledger");
  await expect(row).toContainText("Violation");
  await expect(row.getByRole("cell", { name: "3", exact: true })).toBeVisible();
  await expect(page.getByTestId("violations-chart").locator("path.recharts-area-curve").first()).toBeVisible();

  await row.getByRole("button", { name: "Details" }).click();
  await expect(page).toHaveURL(/[?&]path=/);
  const detail = page.getByTestId("flow-path-detail");
  await expect(detail).toBeVisible();
  await expect(detail.getByRole("region", { name: "Rationale" })).toContainText("Decided by");
  await expect(detail.getByTestId("decision-path")).toContainText("ingress:");
  await expect(detail.getByTestId("decision-path")).toContainText("POLICY_DENIED");
  await expect(detail.getByRole("region", { name: "Samples" })).toContainText(`${probe}-6c8d7f9b4-qwert`);
  await expect(detail.getByRole("link", { name: "Draft a policy that allows this" })).toHaveAttribute(
    "href",
    `/policies/new?from=checkout%2F${probe}&to=payments%2Fledger`,
  );
  await expect(detail.getByRole("link", { name: "Request an exception for this" })).toHaveAttribute(
    "href",
    `/exceptions?from=checkout%2F${probe}&to=payments%2Fledger`,
  );
  await expect(detail.getByRole("link", { name: `Show checkout/${probe} on the graph` })).toHaveAttribute(
    "href",
    /\/graph\?cluster=prod-eu-1&focus=/,
  );
  await page.screenshot({ path: screenshotPath("violations"), fullPage: true });

  // The URL holds the view: a reload opens the same path.
  await page.reload();
  await expect(page.getByTestId("flow-path-detail")).toContainText(`${probe}-6c8d7f9b4-qwert`);
  // A filter change keeps the others and closes the drill-down.
  await page.getByLabel("Time range").selectOption("24h");
  await expect(page).toHaveURL(/\/violations\?cluster=prod-eu-1$/);
  await expect(page.getByTestId("top-path").filter({ hasText: `checkout/${probe}` })).toBeVisible();
  expect(problems).toEqual([]);
});
