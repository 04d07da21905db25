import { expect, test, type Page } from "@playwright/test";
import { PEOPLE, screenshot, signIn, watchConsole } from "./helpers";

// Every page as every kind of person: no uncaught error, console error or
// failed request anywhere, and no control that the server would refuse to that
// person. With E2E_SCREENSHOTS=1 a screenshot of each page is kept in test-results/screenshots/.

const PAGES = [
  { name: "overview", path: "/overview" },
  { name: "policies", path: "/policies" },
  { name: "policy-new", path: "/policies/new" },
  { name: "templates", path: "/policies/templates" },
  { name: "own-policy", path: "/policies/psp-egress" },
  { name: "other-tenant-policy", path: "/policies/checkout-api" },
  { name: "committee-policy", path: "/policies/baseline-default-deny" },
  { name: "graph", path: "/graph" },
  { name: "simulator", path: "/simulator" },
  { name: "changes", path: "/changes" },
  { name: "releases", path: "/releases" },
  { name: "exceptions", path: "/exceptions" },
  { name: "clusters", path: "/clusters" },
  { name: "violations", path: "/violations" },
  { name: "audit", path: "/audit" },
  { name: "settings", path: "/settings" },
] as const;
type PageName = (typeof PAGES)[number]["name"];

/** Controls that change something: offered only to whom the server lets do it. */
const DRAFTING =
  /^(New policy|Save draft|Save|Propose change|Create draft|Restore this version|Use this template|Remove rule|Remove .*|\+ .*)$/;
const ADMINISTERING = /^(Add user|Add role|Grant|Remove|Remove \w+ role of .*|Change the platform default|Save as version \d+)$/;

type Person = keyof typeof PEOPLE;
/** Which pages a person may change things on; everything else must offer no enabled drafting/admin control. */
const MAY_DRAFT_ON: Record<"admin" | "security" | "author" | "viewer", readonly PageName[]> = {
  admin: ["policies", "policy-new", "templates", "own-policy", "other-tenant-policy", "committee-policy", "graph", "changes"],
  security: ["policies", "policy-new", "templates", "own-policy", "other-tenant-policy", "committee-policy", "graph", "changes"],
  // Priya authors in payments only: checkout's and the committee's policies are read-only to her.
  author: ["policies", "policy-new", "templates", "own-policy", "graph", "changes"],
  viewer: [],
};

/**
 * The visible, enabled buttons and links in main whose name matches: Playwright's role query finds them,
 * and one evaluation per role reads them all (a round trip per control and property made this sweep
 * minutes long on pages with hundreds of links). Visible and enabled as Playwright's isVisible and
 * isEnabled read them: a non-empty box without visibility:hidden; not :disabled (a disabled fieldset
 * included) and not inside or under aria-disabled="true".
 */
async function enabledControls(page: Page, pattern: RegExp): Promise<string[]> {
  const names: string[] = [];
  for (const role of ["button", "link"] as const) {
    const found = await page
      .locator("main")
      .getByRole(role)
      .evaluateAll(
        (controls, [source, flags]) => {
          const wanted = new RegExp(source!, flags);
          return controls.flatMap((control) => {
            const box = control.getBoundingClientRect();
            if (box.width === 0 || box.height === 0 || getComputedStyle(control).visibility === "hidden") return [];
            if (control.matches(":disabled") || control.closest('[aria-disabled="true"]')) return [];
            const name = (control.getAttribute("aria-label") ?? (control as HTMLElement).innerText).trim();
            return wanted.test(name) ? [name] : [];
          });
        },
        [pattern.source, pattern.flags],
      );
    names.push(...found.map((name) => `${role} "${name}"`));
  }
  return names;
}

for (const person of Object.keys(MAY_DRAFT_ON) as (keyof typeof MAY_DRAFT_ON)[]) {
  test(`every page as ${person}: no errors, no failed request, no control the server would refuse`, async ({ page }) => {
    test.setTimeout(180_000);
    const problems = watchConsole(page);
    page.on("requestfailed", (request) => {
      // Navigating away cancels what the previous page still had in flight.
      if (request.failure()?.errorText !== "net::ERR_ABORTED")
        problems.push(`request failed: ${request.method()} ${request.url()} ${request.failure()?.errorText}`);
    });
    page.on("response", (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.request().method()} ${response.url()}`);
    });
    await signIn(page, PEOPLE[person as Person].email);

    for (const { name, path } of PAGES) {
      await page.goto(path);
      await expect(page.locator("main h1").first(), `${path} has a heading`).toBeVisible();
      await page.waitForLoadState("networkidle");
      await expect(page.getByText("This page couldn't load"), `${path} renders`).toHaveCount(0);
      await screenshot(page, `sweep-${person}-${name}`, { fullPage: true });

      const offered = [
        // The admin may do everything; the others only what their grants allow.
        ...(person === "admin" || MAY_DRAFT_ON[person].includes(name) ? [] : await enabledControls(page, DRAFTING)),
        ...(person === "admin" ? [] : await enabledControls(page, ADMINISTERING)),
      ];
      expect(offered, `${person} is offered on ${path} what the server would refuse`).toEqual([]);
    }
    expect(problems).toEqual([]);
  });
}
