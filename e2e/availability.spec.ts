import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { connect } from "node:net";
import { networkInterfaces } from "node:os";
import path from "node:path";
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { E2E_PORT } from "../playwright.config";
import { MAX_BATCH_SIZE, MAX_REQUEST_BYTES } from "../lib/http-limits";
import { PEOPLE, signIn } from "./helpers";

// Issue 8's hostile documents: each once crashed or stalled the server, or would if its bound went missing.
const HOSTILE: Record<string, string> = {
  "deep flow nesting": "[".repeat(1000) + "]".repeat(1000),
  "deep block nesting": "a:\n" + Array.from({ length: 590 }, (_, i) => `${" ".repeat(i + 1)}b${i}:`).join("\n"),
  "alias bomb": [
    "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]",
    ...Array.from(
      { length: 8 },
      (_, i) =>
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(97 + i)}`)
          .join(", ")}]`,
    ),
  ].join("\n"),
  "5 MB of YAML": "key: value\n".repeat(Math.ceil((5 * 1024 * 1024) / 11)),
};

/** One tRPC call as the console makes it (a batch of one, superjson, POST). */
function trpc(request: APIRequestContext, procedure: string, input: unknown) {
  return request.post(`/api/trpc/${procedure}?batch=1`, {
    data: { 0: { json: input } },
    headers: { "content-type": "application/json" },
    failOnStatusCode: false,
  });
}

async function serverStillUp(page: Page) {
  const health = await page.request.get("/api/v1/health");
  expect(health.status()).toBe(200);
  const started = Date.now();
  await page.goto("/policies");
  await expect(page.getByRole("heading", { level: 1, name: "Policies" })).toBeVisible();
  return Date.now() - started;
}

test.describe("availability: no request takes the server down", () => {
  test("a viewer's hostile YAML gets 400 with its position from analyse and saveDraft, and the server keeps answering", async ({
    page,
    browser,
  }) => {
    await signIn(page, PEOPLE.viewer.email);
    const authorContext = await browser.newContext();
    const author = await authorContext.newPage();
    await signIn(author, PEOPLE.author.email);
    // Soft: every document is tried even when one is answered wrongly. (Deep block nesting is refused
    // by the reader's depth bound, server/policy/read: it answers 200 with schema errors until that bound is in.)
    for (const [name, yaml] of Object.entries(HOSTILE)) {
      const analysed = await trpc(page.request, "policies.analyse", { yaml });
      expect.soft(analysed.status(), name).toBe(400);
      const [body] = await analysed.json();
      expect.soft(body.error?.json.data.code, name).toBe("BAD_REQUEST");
      if (yaml.length <= 200_000) expect.soft(body.error?.json.data.position?.line, `${name}: position`).toBeGreaterThan(0);
      else expect.soft(body.error?.json.data.fieldErrors.yaml, name).toBeTruthy();
      // A viewer may not draft at all (an over-long text is refused before that); an author's draft is read and refused like analyse.
      expect
        .soft((await trpc(page.request, "policies.saveDraft", { policyName: null, baseVersion: null, yaml, message: "" })).status(), name)
        .toBe(yaml.length > 200_000 ? 400 : 403);
      const saved = await trpc(author.request, "policies.saveDraft", { policyName: null, baseVersion: null, yaml, message: "" });
      expect.soft(saved.status(), name).toBe(400);
      await serverStillUp(page);
    }
    await authorContext.close();
  });

  test("bodies over the limit get 413 from tRPC and REST (never cut short), and a batch over the limit gets 400", async ({ page }) => {
    await signIn(page, PEOPLE.viewer.email);
    const big = "x".repeat(MAX_REQUEST_BYTES + 10);
    const overTrpc = await page.request.post("/api/trpc/policies.analyse?batch=1", {
      data: `{"0":{"json":{"yaml":"${big}"}}}`,
      headers: { "content-type": "application/json" },
      failOnStatusCode: false,
    });
    expect(overTrpc.status()).toBe(413);
    expect((await overTrpc.json())[0].error.json.data.code).toBe("PAYLOAD_TOO_LARGE");
    const overRest = await page.request.post("/api/v1/whoami", {
      data: big,
      headers: { "content-type": "text/plain" },
      failOnStatusCode: false,
    });
    expect(overRest.status()).toBe(413);

    const calls = (n: number) => Array.from({ length: n }, () => "overview.counts").join(",");
    const input = (n: number) =>
      encodeURIComponent(JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [i, { json: null }]))));
    const tooMany = await page.request.get(`/api/trpc/${calls(MAX_BATCH_SIZE + 1)}?batch=1&input=${input(MAX_BATCH_SIZE + 1)}`, {
      failOnStatusCode: false,
    });
    expect(tooMany.status()).toBe(400);
    const allowed = await page.request.get(`/api/trpc/${calls(MAX_BATCH_SIZE)}?batch=1&input=${input(MAX_BATCH_SIZE)}`);
    expect(allowed.status()).toBe(200);
    expect(await allowed.json()).toHaveLength(MAX_BATCH_SIZE);
    await serverStillUp(page);
  });

  test("a NUL in a draft message is refused with 400 naming the field, through the real endpoint", async ({ page }) => {
    await signIn(page, PEOPLE.author.email);
    const response = await trpc(page.request, "policies.proposeChange", {
      title: "t",
      description: "bad\u0000",
      policies: ["payments-api"],
    });
    expect(response.status()).toBe(400);
    expect((await response.json())[0].error.json.data.fieldErrors).toEqual({ description: [expect.stringMatching(/NUL/)] });
  });

  test("a second server on the same folders exits with a clear message and touches nothing", async ({ page }) => {
    const root = path.resolve(import.meta.dirname, "..");
    const buildId = path.join(root, process.env.NEXT_DIST_DIR ?? ".next", "BUILD_ID");
    const before = statSync(buildId).mtimeMs;
    const second = spawnSync(process.execPath, ["scripts/start.mjs"], {
      cwd: root,
      encoding: "utf8",
      timeout: 60_000,
      env: { ...process.env, PORT: String(E2E_PORT + 1000), PGLITE_DIR: `.data-e2e/${E2E_PORT}/pglite` },
    });
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(/not started: The build folder .* is in use by process \d+/);
    expect(statSync(buildId).mtimeMs).toBe(before);
    await signIn(page, PEOPLE.viewer.email);
    await serverStillUp(page);
  });

  test("listens on loopback only by default", async () => {
    const outside = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && !a.internal && a.family === "IPv4")?.address;
    test.skip(!outside, "this machine has no non-loopback IPv4 address");
    const result = await new Promise<string>((resolve) => {
      const socket = connect({ host: outside, port: E2E_PORT, timeout: 3000 });
      socket.on("connect", () => {
        socket.destroy();
        resolve("connected");
      });
      socket.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
      socket.on("timeout", () => {
        socket.destroy();
        resolve("timeout");
      });
    });
    expect(result).toBe("ECONNREFUSED");
  });
});
