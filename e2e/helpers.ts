import { expect, type Browser, type Locator, type Page } from "@playwright/test";

export const DEMO_PASSWORD = "policyplane-demo";

export const PEOPLE = {
  admin: { email: "alex.admin@acme.example", name: "Alex Morgan" },
  security: { email: "sam.security@acme.example", name: "Sam Okafor" },
  networking: { email: "nina.network@acme.example", name: "Nina Berg" },
  platform: { email: "pat.platform@acme.example", name: "Pat Lee" },
  author: { email: "priya.payments@acme.example", name: "Priya Shah" },
  checkoutAuthor: { email: "carlos.checkout@acme.example", name: "Carlos Diaz" },
  viewer: { email: "avery.audit@acme.example", name: "Avery Kim" },
} as const;

export async function signIn(page: Page, email: string, password = DEMO_PASSWORD) {
  await page.goto("/sign-in");
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/overview$/);
}

/** Collects console errors and uncaught exceptions so a test can assert there were none. */
export function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`exception: ${error.message}`));
  return problems;
}

/** A tRPC call with the page's session, as the raw response (for tests of what the server refuses). */
export const trpcPost = (page: Page, procedure: string, json: unknown) =>
  page.request.post(`/api/trpc/${procedure}`, { data: { json }, headers: { "content-type": "application/json" } });

/** Calls a tRPC procedure with the page's session (without input: a GET) and returns its data; any error fails the test. */
export async function trpc<T = unknown>(page: Page, procedure: string, input?: unknown): Promise<T> {
  const response = input === undefined ? await page.request.get(`/api/trpc/${procedure}`) : await trpcPost(page, procedure, input);
  expect(response.status(), await response.text()).toBe(200);
  return ((await response.json()) as { result: { data: { json: T } } }).result.data.json;
}

/** A tRPC query (GET) with its input, with the page's session. */
export async function trpcQuery<T>(page: Page, procedure: string, input: unknown): Promise<T> {
  const response = await page.request.get(`/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`);
  expect(response.status(), await response.text()).toBe(200);
  return ((await response.json()) as { result: { data: { json: T } } }).result.data.json;
}

/** The e2e server's clock in ms: the exception specs move it ahead of the wall clock, so records stamped "now" use it. */
export async function serverTime(page: Page): Promise<number> {
  return Date.parse((await trpcQuery<{ now: string }>(page, "exceptions.list", {})).now);
}

const screenshotPath = (name: string) => `test-results/screenshots/${name}.png`;

/**
 * A screenshot for people to look at (test-results/screenshots/), never an assertion: taken only with
 * E2E_SCREENSHOTS=1, because a full-page one costs seconds of the suite's time on a busy 2-core machine.
 */
export async function screenshot(target: Page | Locator, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  if (process.env.E2E_SCREENSHOTS !== "1") return;
  if ("goto" in target) await target.screenshot({ path: screenshotPath(name), ...options });
  else await target.screenshot({ path: screenshotPath(name) });
}

/** A person signed in in a browser context of their own, with their console watched. */
export async function personIn(browser: Browser, email: string): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = watchConsole(page);
  await signIn(page, email);
  return { page, problems };
}

/** The newest version of `policy` as the server has it (the editor's DOM holds only the lines on screen). */
export async function newestVersion(page: Page, policy: string): Promise<{ version: number; yaml: string }> {
  const { versions } = await trpc<{ versions: { version: number; yaml: string }[] }>(
    page,
    `policies.get?input=${encodeURIComponent(JSON.stringify({ json: { name: policy } }))}`,
  );
  return versions[versions.length - 1]!;
}

/** As the signed-in author: saves `yaml` as the newest version of `policy`, then proposes it from the policy page as `title`. Returns the change request's number. */
export async function proposeYaml(page: Page, policy: string, yaml: string, title: string): Promise<number> {
  const { version } = await newestVersion(page, policy);
  await trpc(page, "policies.saveDraft", { policyName: policy, baseVersion: version, yaml, message: "" });
  await page.goto(`/policies/${policy}`);
  await page.getByRole("button", { name: "Propose change" }).click();
  const dialog = page.getByRole("dialog", { name: "Propose change" });
  // The drafts list loads after the dialog opens and pushes its buttons down: a click aimed before it
  // settled could land beside the button (seen once in CI: no request, the dialog left open).
  await expect(dialog.getByRole("checkbox", { name: new RegExp(`^${policy} `) })).toBeChecked();
  await dialog.getByLabel("Title").fill(title);
  await dialog.getByRole("button", { name: "Propose change" }).click();
  await expect(page).toHaveURL(/\/changes\/\d+$/, { timeout: 30_000 });
  return Number(/\/changes\/(\d+)$/.exec(page.url())![1]);
}

/** As the signed-in author: proposes `policy`'s newest version with `description: ` prefixed by `describe`. */
export async function draftAndPropose(page: Page, policy: string, describe: string, title: string): Promise<number> {
  const newest = await newestVersion(page, policy);
  return proposeYaml(page, policy, newest.yaml.replace("description: ", `description: ${describe} `), title);
}

/** A Hubble record (`hubble observe -o json`) prod-eu-1 dropped, from a probe pod in checkout the inventory does not list (known by its labels) to payments/ledger:9090. */
export function droppedHubbleRecord(probe: string, time: string, sourceIp = "10.20.0.7"): string {
  return JSON.stringify({
    flow: {
      time,
      verdict: "DROPPED",
      drop_reason_desc: "POLICY_DENIED",
      IP: { source: sourceIp, destination: "10.20.1.9", ipVersion: "IPv4" },
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

/** A new day-long viewer API token with these scopes (default: push flows), made by the signed-in admin. */
export async function flowsToken(page: Page, name: string, scopes: string[] = ["flows"]): Promise<string> {
  const input = { name: `${name} ${Date.now()}`, role: "viewer", tenantId: null, scopes, expiresInDays: 1 };
  return (await trpc<{ token: string }>(page, "settings.createToken", input)).token;
}
