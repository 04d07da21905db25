import { expect, test, type Page } from "@playwright/test";
import { PEOPLE, screenshot, signIn, trpc, watchConsole } from "./helpers";

type CyLike = {
  getElementById(id: string): { nonempty(): boolean; emit(event: string): void; hasClass(c: string): boolean; visible(): boolean };
  nodes(selector?: string): { length: number; map<T>(fn: (n: { id(): string; data(k: string): unknown }) => T): T[] };
  edges(selector?: string): { length: number; map<T>(fn: (e: { id(): string }) => T): T[] };
};

async function openGraph(page: Page, query = "?cluster=prod-eu-1") {
  await page.goto(`/graph${query}`);
  await expect(page.getByTestId("graph-screen")).toHaveAttribute("data-ready", "true", { timeout: 30_000 });
}

/** Taps a graph element the way a click on the canvas would (Cytoscape draws on a canvas). */
async function tap(page: Page, id: string) {
  await page.evaluate((elementId) => {
    const cy = (window as unknown as { __policyplaneGraph: CyLike }).__policyplaneGraph;
    const el = cy.getElementById(elementId);
    if (!el.nonempty()) throw new Error(`no element ${elementId}`);
    el.emit("tap");
  }, id);
}

const visibleCount = (page: Page, selector: string) =>
  page.evaluate((sel) => {
    const cy = (window as unknown as { __policyplaneGraph: CyLike }).__policyplaneGraph;
    return cy
      .nodes(sel)
      .map((n) => n)
      .filter((n) => (n as unknown as { visible(): boolean }).visible()).length;
  }, selector);

test("the demo graph of prod-eu-1 loads grouped by tenant and namespace, without console errors", async ({ page }) => {
  const problems = watchConsole(page);
  await signIn(page, PEOPLE.viewer.email);
  await openGraph(page);
  await expect(page.getByTestId("graph-stats")).toContainText("workloads");
  const shape = await page.evaluate(() => {
    const cy = (window as unknown as { __policyplaneGraph: CyLike }).__policyplaneGraph;
    return {
      tenants: cy.nodes(".tenant").map((n) => n.data("label")),
      namespaces: cy.nodes(".namespace").length,
      workloads: cy.nodes(".workload").length,
      edges: cy.edges().length,
      checkoutApiParent: cy
        .nodes("#" + CSS.escape("w:prod-eu-1/checkout/Deployment/checkout-api"))
        .map((n) => (n as unknown as { parent(): { id(): string } }).parent().id())[0],
    };
  });
  expect(shape.tenants).toEqual(expect.arrayContaining(["tenant payments", "tenant checkout", "tenant catalog"]));
  expect(shape.namespaces).toBeGreaterThanOrEqual(10);
  expect(shape.workloads).toBeGreaterThanOrEqual(35);
  expect(shape.edges).toBeGreaterThan(50);
  expect(shape.checkoutApiParent).toBe("n:prod-eu-1/checkout");
  await screenshot(page, "graph", { fullPage: true });
  expect(problems).toEqual([]);
});

test("clicking a workload shows its labels, selecting policies and paths; clicking a path shows the engine's rationale", async ({
  page,
}) => {
  const problems = watchConsole(page);
  await signIn(page, PEOPLE.checkoutAuthor.email);
  await openGraph(page);
  await tap(page, "w:prod-eu-1/payments/Deployment/payments-api");
  const node = page.getByTestId("node-panel");
  await expect(node.getByRole("heading", { name: "payments/payments-api" })).toBeVisible();
  await expect(node.getByText("app=payments-api")).toBeVisible();
  await expect(node.getByRole("link", { name: "payments-api v1" })).toHaveAttribute("href", "/policies/payments-api");
  await expect(node.getByText("checkout/checkout-api → 8080/TCP")).toBeVisible();

  await tap(page, "e:w:prod-eu-1/checkout/Deployment/checkout-api->w:prod-eu-1/payments/Deployment/payments-api");
  const edge = page.getByTestId("edge-panel");
  await expect(edge.getByText("checkout/checkout-api → payments/payments-api", { exact: true })).toBeVisible();
  await expect(edge.getByText("8080/TCP", { exact: true })).toBeVisible();
  await expect(edge.getByRole("link", { name: "checkout-api v1" }).first()).toHaveAttribute("href", "/policies/checkout-api");
  await expect(edge.getByText('egress rule 2 "to-other-tenants"').first()).toBeVisible();
  await expect(edge.getByTestId("rationale-text")).toContainText("ALLOW", { useInnerText: false });
  expect(problems).toEqual([]);
});

test("filters hide what is out of scope without moving anything, and search focuses a workload", async ({ page }) => {
  await signIn(page, PEOPLE.viewer.email);
  await openGraph(page);
  const position = () =>
    page.evaluate(() => {
      const cy = (window as unknown as { __policyplaneGraph: { getElementById(id: string): { position(): { x: number; y: number } } } })
        .__policyplaneGraph;
      return cy.getElementById("w:prod-eu-1/payments/Deployment/ledger").position();
    });
  const before = await position();
  const allWorkloads = await visibleCount(page, ".workload");

  await page.getByLabel("Tenant", { exact: true }).selectOption("payments");
  await expect.poll(() => visibleCount(page, ".workload")).toBeLessThan(allWorkloads);
  expect(await visibleCount(page, ".tenant")).toBeGreaterThanOrEqual(1);
  const paymentsVisible = await page.evaluate(() => {
    const cy = (window as unknown as { __policyplaneGraph: CyLike }).__policyplaneGraph;
    return {
      ledger: cy.getElementById("w:prod-eu-1/payments/Deployment/ledger").visible(),
      grafana: cy.getElementById("w:prod-eu-1/monitoring/Deployment/grafana").visible(),
    };
  });
  expect(paymentsVisible).toEqual({ ledger: true, grafana: false });
  expect(await position()).toEqual(before);

  await page.getByLabel("Tenant", { exact: true }).selectOption("");
  await expect.poll(() => visibleCount(page, ".workload")).toBe(allWorkloads);

  await page.getByLabel("External destinations").uncheck();
  await expect.poll(() => visibleCount(page, ".external")).toBe(0);
  await page.getByLabel("External destinations").check();
  await expect.poll(() => visibleCount(page, ".external")).toBeGreaterThan(0);

  await page.getByLabel(/^Layer Namespace policy/).uncheck();
  // Polled like the other filters: the canvas applies the change after React's next render (it failed once at load 15).
  const hiddenNamespaceEdges = () =>
    page.evaluate(() => {
      const cy = (window as unknown as { __policyplaneGraph: CyLike }).__policyplaneGraph;
      return cy
        .edges(".layer-namespace")
        .map((e) => (e as unknown as { visible(): boolean }).visible())
        .every((v) => !v);
    });
  await expect.poll(hiddenNamespaceEdges).toBe(true);
  await page.getByLabel(/^Layer Namespace policy/).check();

  await page.getByLabel("Only paths to").selectOption({ label: "payments/payments-db" });
  await expect.poll(() => visibleCount(page, ".workload")).toBeLessThanOrEqual(4);

  await page.getByLabel("Only paths to").selectOption("");
  await page.getByLabel("Find a workload").fill("catalog/catalog-api");
  await page.getByRole("button", { name: "Focus" }).click();
  await expect(page.getByTestId("node-panel").getByRole("heading", { name: "catalog/catalog-api" })).toBeVisible();
});

test("the focus parameter opens a workload, and draw-to-author drafts an allow rule in the editor", async ({ page }) => {
  await signIn(page, PEOPLE.checkoutAuthor.email);
  await openGraph(page, "?cluster=prod-eu-1&focus=checkout/cart");
  await expect(page.getByTestId("node-panel").getByRole("heading", { name: "checkout/cart" })).toBeVisible();
  // From the workload alone: the editor opens with it as the subject of an egress rule whose destination is to choose.
  await page.getByTestId("node-panel").getByRole("link", { name: "Draft an allow rule from this workload" }).click();
  await expect(page).toHaveURL(/\/policies\/new\?from=checkout%2Fcart$/);
  await expect(page.getByRole("status").filter({ hasText: "Drafted from the graph for checkout/cart" })).toBeVisible();
  await expect(page.getByRole("form", { name: "Policy form" }).getByLabel("Policy name")).toHaveValue("cart-egress");
  await page.goBack();
  await expect(page.getByTestId("node-panel").getByRole("heading", { name: "checkout/cart" })).toBeVisible();
  await page.getByRole("button", { name: "Draw a path" }).click();
  await tap(page, "w:prod-eu-1/checkout/Deployment/cart");
  await tap(page, "x:api.stripe.com");
  await expect(page).toHaveURL(/\/policies\/new\?from=checkout%2Fcart&to=dns%3Aapi\.stripe\.com$/);
});

const CHECKOUT_WEB_DRAFT = `apiVersion: policyplane.io/v1
kind: Policy
metadata:
  name: checkout-web
  tenant: checkout
  owner: team-checkout
  description: The storefront also reads the catalog directly.
spec:
  tier: namespace
  subject:
    namespaces: [checkout]
    podSelector:
      matchLabels: { app: checkout-web }
  rules:
    - name: from-ingress
      direction: ingress
      action: allow
      peers:
        - workloads: { namespaces: [ingress-nginx], podSelector: { matchLabels: { app: ingress-nginx-controller } } }
      ports: [{ port: http, protocol: TCP }]
    - name: to-api
      direction: egress
      action: allow
      peers:
        - workloads: { namespaces: [checkout], podSelector: { matchLabels: { app: checkout-api } } }
      ports: [{ port: 8080, protocol: TCP }]
    - { name: to-catalog, direction: egress, action: allow, peers: [{ workloads: { namespaces: [catalog], podSelector: { matchLabels: { app: catalog-api } } } }], ports: [{ port: 8080, protocol: TCP }] }
`;

test("the drafts overlay lists the paths a draft adds, and a click shows that path's rationale", async ({ page }) => {
  const problems = watchConsole(page);
  await signIn(page, PEOPLE.checkoutAuthor.email);
  // Other specs leave drafts in the database this suite shares: this draft adds exactly one path to theirs.
  await openGraph(page, "?cluster=prod-eu-1&overlay=drafts");
  const list = page.getByRole("region", { name: "Paths this change adds or removes" });
  const added = list.getByRole("button", { name: "checkout/checkout-web → catalog/catalog-api 8080/TCP" });
  await expect(added).toHaveCount(0);
  const pendingBefore = await list.getByTestId("overlay-path").count();
  const saved = await page.request.post("/api/trpc/policies.saveDraft?batch=1", {
    data: { 0: { json: { policyName: "checkout-web", baseVersion: 1, yaml: CHECKOUT_WEB_DRAFT, message: "graph e2e: read the catalog" } } },
  });
  expect(saved.ok(), await saved.text()).toBe(true);

  await openGraph(page, "?cluster=prod-eu-1&overlay=drafts");
  await expect(added).toHaveAttribute("data-change", "added");
  await expect(list.getByTestId("overlay-path")).toHaveCount(pendingBefore + 1);
  await added.click();
  const edge = page.getByTestId("edge-panel");
  await expect(edge.getByText("added by this change")).toBeVisible();
  await expect(edge.getByText("With this change:")).toContainText("allowed");
  await expect(edge.getByText("In the current release:")).toContainText("denied");
  await expect(edge.getByRole("link", { name: "checkout-web v2" }).first()).toBeVisible();
  const selected = await page.evaluate(() => {
    const cy = (window as unknown as { __policyplaneGraph: { $(s: string): { map<T>(f: (e: { id(): string }) => T): T[] } } })
      .__policyplaneGraph;
    return cy.$("edge:selected").map((e) => e.id());
  });
  expect(selected).toEqual(["e:w:prod-eu-1/checkout/Deployment/checkout-web->w:prod-eu-1/catalog/Deployment/catalog-api"]);
  await screenshot(page, "graph-overlay", { fullPage: true });
  expect(problems).toEqual([]);
});

test("a cluster that does not exist says so below the filters, and another can be picked from there", async ({ page }) => {
  await signIn(page, PEOPLE.viewer.email);
  await page.goto("/graph?cluster=prod-mars-1");
  await expect(page.getByText(/The graph could not be computed: No cluster named "prod-mars-1"/)).toBeVisible();
  await page.getByLabel("Cluster").selectOption("staging-eu-1");
  await expect(page.getByTestId("graph-screen")).toHaveAttribute("data-ready", "true");
  await expect(page.getByText(/could not be computed/)).toHaveCount(0);
});

const CART_REDIS_DRAFT = `apiVersion: policyplane.io/v1
kind: Policy
metadata:
  name: cart-redis
  tenant: checkout
  owner: team-checkout
  description: The cart and promotions share the Redis.
spec:
  tier: namespace
  subject:
    namespaces: [checkout]
    podSelector:
      matchLabels: { app: cart-redis }
  rules:
    - name: from-cart-and-promotions
      direction: ingress
      action: allow
      peers:
        - workloads: { namespaces: [checkout], podSelector: { matchLabels: { app: cart } } }
        - workloads: { namespaces: [checkout], podSelector: { matchLabels: { app: promotions } } }
      ports: [{ port: redis, protocol: TCP }]
`;

/** As the signed-in admin: a person who may read only `tenant`. */
async function createTenantViewer(page: Page, person: { name: string; email: string; password: string }, tenant: string) {
  const { id: userId } = await trpc<{ id: string }>(page, "settings.createUser", person);
  const tenants = await trpc<{ id: string; name: string }[]>(page, "org.tenants");
  await trpc(page, "settings.addMembership", {
    userId,
    tenantId: tenants.find((t) => t.name === tenant)!.id,
    role: "viewer",
    committeeFunction: null,
  });
  return person;
}

async function signOut(page: Page) {
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
}

test("a change request's graph overlay shows the path it adds, with its rationale, and only to people who may read the change", async ({
  page,
}) => {
  test.setTimeout(120_000);
  const problems = watchConsole(page);
  await signIn(page, PEOPLE.checkoutAuthor.email);

  // Draft the change in the editor's YAML view and propose it.
  await page.goto("/policies/cart-redis");
  const editor = page.getByTestId("yaml-editor");
  await editor.click();
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.insertText(CART_REDIS_DRAFT);
  await expect(page.getByText("valid", { exact: true })).toBeVisible();
  await page.getByLabel("Change note").fill("Promotions read the cart's Redis");
  await page.getByRole("button", { name: "Save draft" }).click();
  await expect(page.getByText("Saved draft version 2.")).toBeVisible();
  await page.getByRole("button", { name: "Propose change" }).click();
  const dialog = page.getByRole("dialog", { name: "Propose change" });
  await expect(dialog.getByRole("checkbox", { name: /cart-redis/ })).toBeChecked();
  await dialog.getByLabel("Title").fill("Promotions share the cart's Redis");
  await dialog.getByRole("button", { name: "Propose change" }).click();
  await expect(page).toHaveURL(/\/changes\/\d+$/);

  // The change page's link opens the graph with the change overlaid.
  await page.getByRole("link", { name: "See on the graph" }).click();
  await expect(page).toHaveURL(/\/graph\?overlay=cr(:|%3A)[0-9a-f-]{36}$/);
  const overlayUrl = page.url();
  await expect(page.getByTestId("graph-screen")).toHaveAttribute("data-ready", "true", { timeout: 30_000 });
  const list = page.getByRole("region", { name: "Paths this change adds or removes" });
  const added = list.getByRole("button", { name: "checkout/promotions → checkout/cart-redis 6379/TCP" });
  await expect(added).toHaveAttribute("data-change", "added");
  await expect(list.getByTestId("overlay-path")).toHaveCount(1);
  const edgeId = "e:w:prod-eu-1/checkout/Deployment/promotions->w:prod-eu-1/checkout/StatefulSet/cart-redis";
  const drawn = await page.evaluate((id) => {
    const cy = (
      window as unknown as {
        __policyplaneGraph: { getElementById(id: string): { nonempty(): boolean; hasClass(c: string): boolean; style(p: string): string } };
      }
    ).__policyplaneGraph;
    const e = cy.getElementById(id);
    return { present: e.nonempty(), added: e.hasClass("added"), colour: e.style("line-color") };
  }, edgeId);
  expect(drawn).toEqual({ present: true, added: true, colour: "rgb(22,163,74)" });

  await added.click();
  const edge = page.getByTestId("edge-panel");
  await expect(edge.getByText("checkout/promotions → checkout/cart-redis", { exact: true })).toBeVisible();
  await expect(edge.getByText("added by this change")).toBeVisible();
  await expect(edge.getByText("With this change:")).toContainText("allowed");
  await expect(edge.getByText("In the current release:")).toContainText("denied");
  await expect(edge.getByRole("link", { name: "cart-redis v2" }).first()).toHaveAttribute("href", "/policies/cart-redis");
  await expect(edge.getByText('ingress rule 0 "from-cart-and-promotions"').first()).toBeVisible();
  await screenshot(page, "graph-change-request", { fullPage: true });
  expect(problems).toEqual([]);

  // Someone who may read only the catalog tenant.
  await signOut(page);
  await signIn(page, PEOPLE.admin.email);
  const outsider = await createTenantViewer(
    page,
    { name: "Cleo Catalog", email: "cleo.catalog@acme.example", password: "catalog-only-viewer" },
    "catalog",
  );
  await signOut(page);

  const crashes: string[] = [];
  page.on("pageerror", (error) => crashes.push(error.message));
  await signIn(page, outsider.email, outsider.password);
  const id = decodeURIComponent(new URL(overlayUrl).searchParams.get("overlay")!).slice("cr:".length);
  const refused = await page.request.get(
    `/api/trpc/graph.view?input=${encodeURIComponent(JSON.stringify({ json: { overlay: `cr:${id}` } }))}`,
  );
  expect(refused.status()).toBe(404);
  await page.goto(overlayUrl);
  await expect(page.getByText("The graph could not be computed: No such change request.")).toBeVisible();
  await expect(page.getByText("checkout/promotions → checkout/cart-redis 6379/TCP")).toHaveCount(0);
  expect(crashes).toEqual([]);
});

test("a viewer of one tenant sees the other tenants only as an opaque node, with none of their workloads' names", async ({ page }) => {
  test.setTimeout(90_000);
  const problems = watchConsole(page);
  await signIn(page, PEOPLE.admin.email);
  const scoped = await createTenantViewer(
    page,
    { name: "Pia Payments", email: "pia.payments-viewer@acme.example", password: "payments-only-viewer" },
    "payments",
  );
  await signOut(page);

  await signIn(page, scoped.email, scoped.password);
  await openGraph(page);
  const drawn = await page.evaluate(() => {
    const cy = (window as unknown as { __policyplaneGraph: CyLike }).__policyplaneGraph;
    return {
      tenants: [
        ...new Set(
          cy
            .nodes()
            .map((n) => n.data("tenant"))
            .filter(Boolean),
        ),
      ],
      opaque: cy.nodes(".other-tenant").map((n) => n.data("label")),
      workloads: cy.nodes(".workload").map((n) => `${n.data("namespace")}/${n.data("name")}`),
    };
  });
  expect(drawn.tenants).toEqual(["payments"]);
  expect(drawn.opaque).toEqual(["other tenant"]);
  expect(drawn.workloads.length).toBeGreaterThan(0);
  expect(drawn.workloads.every((w) => !w.startsWith("checkout/") && !w.startsWith("catalog/") && !w.startsWith("identity/"))).toBe(true);
  // Nothing on the page names another tenant's workload either (the search list, the panels).
  const text = await page.locator("body").innerText();
  expect(text).not.toMatch(/checkout\/(cart|promotions|storefront)/);
  await screenshot(page, "graph-tenant-viewer", { fullPage: true });
  expect(problems).toEqual([]);
});

const LEDGER_FX = (hosts: string[]) => `apiVersion: policyplane.io/v1
kind: Policy
metadata:
  name: ledger-fx-rates
  tenant: payments
  owner: team-payments
  description: The ledger reads exchange rates through the PCI egress gateway.
spec:
  tier: namespace
  subject:
    namespaces: [payments]
    podSelector:
      matchLabels: { app: ledger }
  rules:
    - name: fx-rates
      direction: egress
      action: allow
      peers:
${hosts.map((h) => `        - ${h}`).join("\n")}
      ports: [{ port: 443, protocol: TCP }]
      via: pci-egress
`;

// Last in this file: the draft it saves would show in the drafts overlay of the tests above.
test("after a save the editor links to the draft on the graph, where the path continues past the egress gateway to the host", async ({
  page,
}) => {
  test.setTimeout(120_000);
  const problems = watchConsole(page);
  await signIn(page, PEOPLE.author.email);
  const created = await trpc<{ name: string; version: number }>(page, "policies.saveDraft", {
    policyName: null,
    baseVersion: null,
    yaml: LEDGER_FX(["dns: api.fxrates.example"]),
    message: "graph e2e: exchange rates",
  });
  expect(created).toMatchObject({ name: "ledger-fx-rates", version: 1 });

  // The editor: a second host, saved; the notice links to this draft on the graph.
  await page.goto("/policies/ledger-fx-rates");
  await page.getByTestId("yaml-editor").click();
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.insertText(LEDGER_FX(["dns: api.fxrates.example", "cidr: 203.0.113.0/24"]));
  await expect(page.getByText("valid", { exact: true })).toBeVisible();
  await page.getByLabel("Change note").fill("And the rates mirror");
  await page.getByRole("button", { name: "Save draft" }).click();
  await expect(page.getByText("Saved draft version 2.")).toBeVisible();
  // The link names a workload the draft selects once the editor's analysis has found it (until then, the whole overlay).
  const seeDraft = page.getByRole("link", { name: "See this draft on the graph" });
  await expect(seeDraft).toHaveAttribute("href", /focus=payments%2Fledger$/, { timeout: 30_000 });
  await seeDraft.click();
  await expect(page).toHaveURL(/\/graph\?cluster=prod-[a-z]+-1&overlay=drafts&focus=payments%2Fledger$/);
  await expect(page.getByTestId("graph-screen")).toHaveAttribute("data-ready", "true", { timeout: 30_000 });
  await expect(page.getByTestId("node-panel").getByRole("heading", { name: "payments/ledger" })).toBeVisible();

  // The overlay: the hop to the gateway, and past it each host the rule names.
  const list = page.getByRole("region", { name: "Paths this change adds or removes" });
  await expect(list.getByRole("button", { name: "payments/ledger → istio-system/pci-egress 443/TCP" })).toHaveAttribute(
    "data-change",
    "added",
  );
  await expect(list.getByRole("button", { name: "istio-system/pci-egress → 203.0.113.0/24 443/TCP" })).toHaveAttribute(
    "data-change",
    "added",
  );
  const leg = list.getByRole("button", { name: "istio-system/pci-egress → api.fxrates.example 443/TCP" });
  await expect(leg).toHaveAttribute("data-change", "added");
  const cluster = new URL(page.url()).searchParams.get("cluster")!;
  const legId = `e:w:${cluster}/istio-system/Deployment/pci-egress->x:api.fxrates.example`;
  const drawn = await page.evaluate((id) => {
    type El = { nonempty(): boolean; hasClass(c: string): boolean };
    const cy = (window as unknown as { __policyplaneGraph: { getElementById(id: string): El } }).__policyplaneGraph;
    const e = cy.getElementById(id);
    return {
      host: cy.getElementById("x:api.fxrates.example").nonempty(),
      leg: e.nonempty(),
      via: e.hasClass("via"),
      added: e.hasClass("added"),
    };
  }, legId);
  expect(drawn).toEqual({ host: true, leg: true, via: true, added: true });

  await leg.click();
  const panel = page.getByTestId("edge-panel");
  await expect(panel.getByRole("heading", { name: "Routed by an egress gateway" })).toBeVisible();
  await expect(panel.getByText("istio-system/pci-egress → api.fxrates.example", { exact: true })).toBeVisible();
  await expect(panel.getByText("added by this change")).toBeVisible();
  await expect(panel.getByTestId("gateway-route")).toContainText("pci-egress");
  await expect(panel.getByTestId("gateway-route").getByRole("link", { name: "ledger-fx-rates v2" })).toHaveAttribute(
    "href",
    "/policies/ledger-fx-rates",
  );
  await screenshot(page, "graph-drafts-gateway", { fullPage: true });

  // The toolbar leads to the same overlay and back.
  await openGraph(page, `?cluster=${cluster}`);
  await page.getByRole("link", { name: "Show pending drafts" }).click();
  await expect(page).toHaveURL(new RegExp(`/graph\\?cluster=${cluster}&overlay=drafts$`));
  await expect(page.getByTestId("graph-screen")).toHaveAttribute("data-ready", "true", { timeout: 30_000 });
  await expect(list.getByRole("button", { name: "istio-system/pci-egress → api.fxrates.example 443/TCP" })).toBeVisible();
  await page.getByRole("link", { name: "Back to the release" }).click();
  await expect(page).toHaveURL(new RegExp(`/graph\\?cluster=${cluster}$`));
  expect(problems).toEqual([]);
});
