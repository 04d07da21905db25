import { expect, test, type Page } from "@playwright/test";
import { PEOPLE, personIn, screenshot } from "./helpers";

// Issue 14: an author requests an exception for a denied path (the form the graph's
// "request an exception" leads to), a security approver approves it in another
// browser context, the graph draws the path dashed with its time left; then the
// server's clock is moved past the expiry (no sleeping) and the path is gone, and
// the audit trail shows the expiry.

const CLUSTER = "staging-eu-1";
const CART = `w:${CLUSTER}/checkout/Deployment/cart`;
const LEDGER = `w:${CLUSTER}/payments/Deployment/ledger`;
const EDGE = `e:${CART}->${LEDGER}`;

type Cy = {
  getElementById(id: string): { length: number; hasClass(c: string): boolean; style(p: string): string; emit(e: string): void };
};

async function pathOnGraph(page: Page): Promise<{ drawn: boolean; exception: boolean; lineStyle: string | null }> {
  await page.goto(`/graph?cluster=${CLUSTER}&focus=${encodeURIComponent("checkout/cart")}`);
  await expect(page.getByTestId("graph-screen")).toHaveAttribute("data-ready", "true", { timeout: 60_000 });
  await expect(page.getByTestId("node-panel").getByRole("heading", { name: "checkout/cart" })).toBeVisible();
  return page.evaluate((id) => {
    const edge = (window as unknown as { __policyplaneGraph: Cy }).__policyplaneGraph.getElementById(id);
    if (edge.length === 0) return { drawn: false, exception: false, lineStyle: null };
    return { drawn: true, exception: edge.hasClass("layer-exception"), lineStyle: edge.style("line-style") };
  }, EDGE);
}

test("an exception requested by an author and approved by security opens a dashed path with its countdown, until the clock passes its expiry", async ({
  browser,
}) => {
  test.setTimeout(240_000);
  const author = await personIn(browser, PEOPLE.checkoutAuthor.email);
  const security = await personIn(browser, PEOPLE.security.email);
  const title = `Cart reads the ledger ${Date.now()}`;

  // The path is denied: no edge between them.
  expect((await pathOnGraph(author.page)).drawn).toBe(false);

  // The graph's draw mode leads here, with both ends of the drawn path.
  await author.page.goto(`/exceptions?from=${encodeURIComponent("checkout/cart")}&to=${encodeURIComponent("payments/ledger")}`);
  const form = author.page.getByRole("form", { name: "Request an exception" });
  await expect(form.getByLabel("Source namespace")).toHaveValue("checkout");
  await expect(form.getByLabel("Destination namespace")).toHaveValue("payments");
  await expect(form.getByLabel("Source pod labels")).toHaveValue(/app=cart/);
  await form.getByLabel("Title").fill(title);
  await form.getByLabel("Ports").fill("9090/TCP");
  await form.getByLabel("Clusters").fill(CLUSTER);
  // A short window: the test then moves the shared e2e server's clock only a few minutes.
  const expiresLocal = await author.page.evaluate(() => {
    const d = new Date(Date.now() + 10 * 60_000);
    const pad = (n: number) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  });
  await form.getByLabel("Expires (your time zone)").fill(expiresLocal);
  await form.getByLabel("Justification").fill("The ledger's read API moves behind the payments gateway next sprint.");
  await form.getByLabel("Ticket").fill("CHK-4242");
  // The engine's live answer: the pod pair it opens.
  await expect(author.page.getByTestId("opened-pair").filter({ hasText: "checkout/cart → payments/ledger 9090/TCP" }).first()).toBeVisible({
    timeout: 30_000,
  });
  await screenshot(author.page, "exceptions-request", { fullPage: true });
  await form.getByRole("button", { name: "Request exception" }).click();
  const requested = author.page.getByText(/Exception E-\d+ was requested/);
  await expect(requested).toBeVisible();
  const number = Number(/E-(\d+)/.exec((await requested.textContent()) ?? "")![1]);

  // The requester cannot approve their own exception: no approve button for them.
  await author.page.goto(`/exceptions?number=${number}`);
  await expect(author.page.getByTestId("exception-detail-title")).toContainText(new RegExp(`E-${number}\\b`));
  await expect(author.page.getByRole("button", { name: `Approve E-${number}`, exact: true })).toHaveCount(0);

  // Security approves, in their own browser context.
  await security.page.goto(`/exceptions?number=${number}`);
  await security.page.getByRole("button", { name: `Approve E-${number}`, exact: true }).click();
  await expect(security.page.getByTestId("exception-detail-title")).toContainText("approved");
  const row = security.page.getByTestId("active-exception").filter({ has: security.page.getByText(`E-${number}`, { exact: true }) });
  await expect(row).toContainText(/m \d+s left|\d+m \d+s left/);
  await expect(row).toHaveAttribute("data-expiring", "true");
  await screenshot(security.page, "exceptions-approved", { fullPage: true });

  // An admin moves the test server's clock to two minutes before the expiry: the panel's countdown
  // is the server's time left (under 2m), not the browser's (about 10m).
  const admin = await personIn(browser, PEOPLE.admin.email);
  const detail = await admin.page.request.get(`/api/trpc/exceptions.get?input=${encodeURIComponent(JSON.stringify({ json: { number } }))}`);
  const expiresAt = ((await detail.json()) as { result: { data: { json: { expiresAt: string } } } }).result.data.json.expiresAt;
  const moveClock = (at: number) =>
    admin.page.request.post("/api/trpc/exceptions.setTestClock", { data: { json: { at: new Date(at).toISOString() } } });
  expect((await moveClock(Date.parse(expiresAt) - 120_000)).status()).toBe(200);

  // The path is drawn dashed (the exception layer), and its panel names the exception and the time left.
  const open = await pathOnGraph(author.page);
  expect(open).toEqual({ drawn: true, exception: true, lineStyle: "dashed" });
  await author.page.evaluate(
    (id) => (window as unknown as { __policyplaneGraph: Cy }).__policyplaneGraph.getElementById(id).emit("tap"),
    EDGE,
  );
  const panel = author.page.getByTestId("edge-panel");
  await expect(panel.getByRole("link", { name: `exception E-${number}`, exact: true }).first()).toBeVisible();
  await expect(panel.getByTestId("exception-remaining").first()).toContainText(/\((1m \d+s|\d+s) left\)/);
  await screenshot(author.page, "exceptions-graph-dashed", { fullPage: true });

  // The admin moves the test server's clock past the expiry; the sweeper runs at the new time.
  expect((await moveClock(Date.parse(expiresAt) + 1000)).status()).toBe(200);

  expect((await pathOnGraph(author.page)).drawn).toBe(false);
  await author.page.goto(`/exceptions?number=${number}`);
  await expect(author.page.getByTestId("exception-detail-title")).toContainText("expired");

  await admin.page.goto("/audit");
  await admin.page.getByLabel("Action").fill("exception.expired");
  await admin.page.getByRole("button", { name: "Filter" }).click();
  await expect(
    admin.page
      .getByTestId("audit-row")
      .filter({ hasText: new RegExp(`E-${number}\\b`) })
      .first(),
  ).toBeVisible();
  await screenshot(admin.page, "exceptions-audit-expiry", { fullPage: true });

  // Settings: the exception rules, editable by the admin, with a preview of what an exception would need.
  await admin.page.goto("/settings");
  const preview = admin.page.getByTestId("exception-rules-preview-result");
  await expect(preview).toContainText("exception-production");
  // Outside production the production rule is not hit, until the (unsaved) edit makes it apply to all.
  await admin.page.getByLabel("touches a production cluster").uncheck();
  await expect(preview).toContainText("For an exception outside production");
  await expect(preview).not.toContainText("exception-production");
  await admin.page.getByLabel("Rule 2 applies to").selectOption("all");
  await expect(preview).toContainText("exception-production");
  await admin.page.getByTestId("exception-rules-preview").scrollIntoViewIfNeeded();
  await screenshot(admin.page, "settings-exception-rules");

  for (const who of [author, security, admin]) expect(who.problems).toEqual([]);
});
