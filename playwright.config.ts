import { defineConfig } from "@playwright/test";
import { testBrowser } from "./scripts/browser.mjs";

// e2e runs against a production build (`next build && next start`) on its own
// port and its own PGlite folder, so it never touches the developer's .data/.
export const E2E_PORT = Number(process.env.E2E_PORT ?? 3210);
const baseURL = `http://localhost:${E2E_PORT}`;
const browser = await testBrowser();
// Printed once by the runner (workers load this file too).
if (process.env.TEST_WORKER_INDEX === undefined) console.log(`e2e browser: ${browser.source}`);

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results/e2e",
  fullyParallel: false,
  workers: 1,
  retries: process.env.CI ? 1 : 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ? [["list"], ["json"]] : [["list"]],
  use: {
    baseURL,
    headless: true,
    viewport: { width: 1440, height: 900 },
    // Recording a trace of every test cost ~15-25 % of the e2e run's CPU (screencast and snapshots for each
    // action). CI records one on the retry of a test that failed; a local run keeps one of each failure.
    trace: process.env.CI ? "on-first-retry" : "retain-on-failure",
    launchOptions: { executablePath: browser.executablePath, args: browser.args },
  },
  webServer: {
    command: "node scripts/e2e-server.mjs",
    url: `${baseURL}/api/v1/health`,
    // Includes the production build when the sources changed: minutes on a busy 2-core machine.
    timeout: 600_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      PORT: String(E2E_PORT),
      BETTER_AUTH_URL: baseURL,
      PGLITE_DIR: `.data-e2e/${E2E_PORT}/pglite`,
      // The suite signs in dozens of times from one address within a minute.
      AUTH_RATE_LIMIT_MAX: "500",
      // The exceptions e2e moves the server's clock past an expiry instead of sleeping (loopback-only; see server/clock.ts).
      POLICYPLANE_TEST_CLOCK: "on",
      // Alert rules are evaluated every 2 s instead of 15, so the violations e2e sees its alert fire without waiting.
      ALERT_EVALUATE_SECONDS: "2",
      // The minutes of observed flows close (SIEM events) every second once over, so it reads its export without waiting.
      FLOW_CLOSE_GRACE_SECONDS: "0",
      FLOW_CLOSE_SECONDS: "1",
    },
  },
});
