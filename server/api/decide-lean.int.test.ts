// The lean path of POST /api/v1/decide in `policyplane serve` (server/api/decide-lean.ts) answers as the
// REST app's route does (status, error body, headers, request metrics) for a table of requests good and
// bad, and honours a machine token's scope, cluster, revocation and expiry despite the token cache.
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import * as schema from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { MAX_REQUEST_BYTES } from "@/lib/http-limits";
import { serveApi } from "@/server/cli/commands/serve";
import { resetDecisionPoint } from "@/server/decide/point";
import { metrics } from "@/server/metrics/metrics";
import { callerFor } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { TOKEN_RECHECK_MS } from "@/server/tokens/cache";
import { createApiApp } from "./app";

const CLUSTER = "prod-eu-1";
const FLOW = { cluster: CLUSTER, source: { namespace: "payments", pod: "payments-api" }, destination: { ip: "8.8.8.8" }, port: 53 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Case {
  name: string;
  body: string | (() => ReadableStream<Uint8Array>);
  token?: keyof typeof tokens | null | string;
  headers?: Record<string, string>;
}
const tokens: Record<string, string> = {};

describe(`the lean POST /api/v1/decide of policyplane serve on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const getDb = async () => database().db;
  let lean: { server: Server; url: string };
  let general: Server;
  let generalUrl = "";

  beforeAll(async () => {
    resetDecisionPoint();
    lean = await serveApi(getDb, 0, "127.0.0.1");
    // The same app behind the same node:http adapter, without the lean path in front of it.
    general = createServer(getRequestListener(createApiApp(getDb).fetch));
    await new Promise<void>((resolve) => general.listen(0, "127.0.0.1", resolve));
    generalUrl = `http://127.0.0.1:${(general.address() as AddressInfo).port}`;
    const admin = await callerFor(database().db, "alex.admin@acme.example");
    const clusters = await database().db.select().from(schema.clusters);
    const make = async (name: string, scopes: ("decide" | "propose")[], clusterId: string | null = null) =>
      (await admin.settings.createToken({ name, role: "viewer", tenantId: null, scopes, clusterId, expiresInDays: 1 })).token;
    tokens.decide = await make("decision point", ["decide"]);
    tokens.propose = await make("ci", ["propose"]);
    tokens.other = await make("other cluster agent", ["decide"], clusters.find((c) => c.name !== CLUSTER)!.id);
  });
  afterAll(async () => {
    await Promise.all([lean, { server: general }].map(({ server }) => new Promise((resolve) => server.close(resolve))));
    resetDecisionPoint();
  });

  const send = async (base: string, c: Case) => {
    const token = c.token === undefined ? tokens.decide : c.token === null ? null : (tokens[c.token] ?? c.token);
    const body = typeof c.body === "string" ? c.body : c.body();
    const response = await fetch(`${base}/api/v1/decide`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}), ...c.headers },
      body,
      ...(typeof c.body === "string" ? {} : { duplex: "half" }),
    } as RequestInit);
    const text = await response.text();
    return {
      status: response.status,
      contentType: response.headers.get("content-type"),
      requestId: response.headers.get("x-request-id") === null ? null : "(present)",
      echoedId: c.headers?.["x-request-id"] ? response.headers.get("x-request-id") : undefined,
      // Per call: a fresh decision id and request id.
      body: text
        .replace(/"decisionId":"[0-9a-f-]{36}"/, '"decisionId":"(uuid)"')
        .replace(/"requestId":"[0-9a-f-]{36}"/, '"requestId":"(uuid)"'),
    };
  };
  /** http_requests_total of POST /api/v1/decide, by status. */
  const counted = async () =>
    Object.fromEntries(
      (await metrics().httpRequests.get()).values
        .filter((v) => v.labels.route === "/api/v1/decide" && v.labels.method === "POST")
        .map((v) => [String(v.labels.status), v.value]),
    );

  const json = (v: unknown) => JSON.stringify(v);
  const cases: Case[] = [
    { name: "a pod to a pod", body: json({ ...FLOW, destination: { namespace: "payments", pod: "payments-db" }, port: 5432 }) },
    { name: "a pod to an IP over UDP", body: json({ ...FLOW, protocol: "UDP" }) },
    { name: "a pod to a DNS name", body: json({ ...FLOW, destination: { dns: "api.stripe.com" }, port: 443 }) },
    { name: "a label selector", body: json({ ...FLOW, source: { namespace: "payments", labels: { app: "payments-api" } } }) },
    { name: "a time with its timezone", body: json({ ...FLOW, time: "2026-12-06T09:00:00+01:00" }) },
    { name: "a JSON body sent as text/plain", body: json(FLOW), headers: { "content-type": "text/plain" } },
    { name: "a body with a byte order mark", body: `\uFEFF${json(FLOW)}` },
    { name: "the caller's request id", body: json(FLOW), headers: { "x-request-id": "trace-42" } },
    { name: "a null protocol", body: json({ ...FLOW, protocol: null }) },
    { name: "a port out of range", body: json({ ...FLOW, port: 70000 }) },
    { name: "a port as a string", body: json({ ...FLOW, port: "53" }) },
    { name: "an unknown protocol", body: json({ ...FLOW, protocol: "ICMP" }) },
    { name: "a pod without its namespace", body: json({ ...FLOW, source: { pod: "payments-api" } }) },
    { name: "two kinds of endpoint", body: json({ ...FLOW, source: { ip: "8.8.8.8", dns: "x.example" } }) },
    { name: "an unknown pod", body: json({ ...FLOW, destination: { namespace: "payments", pod: "no-such-pod" } }) },
    { name: "labels no pod carries", body: json({ ...FLOW, source: { labels: { app: "no-such-app" } } }) },
    { name: "a time without a timezone", body: json({ ...FLOW, time: "2026-12-06T09:00:00" }) },
    { name: "an unknown field", body: json({ ...FLOW, colour: "blue" }) },
    { name: "an array", body: "[]" },
    { name: "malformed JSON", body: "{not json" },
    { name: "an empty body", body: "" },
    { name: "malformed text/plain", body: "{not json", headers: { "content-type": "text/plain" } },
    { name: "a NUL character", body: json({ ...FLOW, cluster: "prod\u0000eu" }) },
    { name: "a lone surrogate", body: json({ ...FLOW, source: { namespace: "payments", pod: "api\ud800" } }) },
    { name: "a NUL character without a token (checked first)", body: json({ ...FLOW, cluster: "prod\u0000eu" }), token: null },
    { name: "no token", body: json(FLOW), token: null },
    { name: "a forged token", body: json(FLOW), token: "ppt_forged00_nope" },
    { name: "a token without the decide scope", body: json(FLOW), token: "propose" },
    { name: "a token of another cluster", body: json(FLOW), token: "other" },
    { name: "an unknown cluster", body: json({ ...FLOW, cluster: "no-such-cluster" }) },
    { name: "a dry run of no change request", body: json({ ...FLOW, dryRun: { changeRequest: 999999 } }) },
    { name: "a body over the limit (Content-Length)", body: json({ pad: "x".repeat(MAX_REQUEST_BYTES + 10) }) },
    {
      name: "a body over the limit (chunked)",
      body: () => {
        let sent = 0;
        return new ReadableStream({
          pull(controller) {
            if (sent > MAX_REQUEST_BYTES) return controller.close();
            sent += 1 << 20;
            controller.enqueue(new Uint8Array(1 << 20).fill(32));
          },
        });
      },
    },
  ];

  it("answers a table of requests as the app's route does: status, body, headers and request metrics", async () => {
    const statuses = new Set<number>();
    for (const c of cases) {
      // The app first (it loads the engine and fills the cache), then the lean path, then the app again:
      // the last two are answered from the same state (a decision from the cache).
      await send(generalUrl, c);
      const before = await counted();
      const fromLean = await send(lean.url, c);
      const status = String(fromLean.status);
      expect(await counted(), `${c.name}: counted once in http_requests_total`).toEqual({ ...before, [status]: (before[status] ?? 0) + 1 });
      const fromApp = await send(generalUrl, c);
      expect(fromLean, c.name).toEqual(fromApp);
      if (c.headers?.["x-request-id"]) expect(fromLean.echoedId).toBe("trace-42");
      statuses.add(fromLean.status);
    }
    // The table reaches every answer the route gives.
    expect([...statuses].sort()).toEqual([200, 400, 401, 403, 404, 413]);
  });

  it("refuses a token revoked here at once, one revoked by another replica within TOKEN_RECHECK_MS, and an expired one", async () => {
    const admin = await callerFor(database().db, "alex.admin@acme.example");
    const create = (name: string) =>
      admin.settings.createToken({ name, role: "viewer", tenantId: null, scopes: ["decide"], clusterId: null, expiresInDays: 1 });
    const decide = (token: string) => send(lean.url, { name: "", body: json(FLOW), token });

    // Revoked through this process: forgotten by its token cache, refused on the very next call.
    const here = await create("revoked here");
    expect((await decide(here.token)).status).toBe(200);
    await admin.settings.revokeToken({ tokenId: here.id });
    expect((await decide(here.token)).status).toBe(401);

    // Revoked by another replica (this process's cache is not told): honoured for at most TOKEN_RECHECK_MS.
    const elsewhere = await create("revoked elsewhere");
    expect((await decide(elsewhere.token)).status).toBe(200);
    const revokedAt = Date.now();
    await database().db.update(schema.apiTokens).set({ revokedAt: new Date() }).where(eq(schema.apiTokens.id, elsewhere.id));
    let lastAccepted = revokedAt;
    for (;;) {
      const { status } = await decide(elsewhere.token);
      if (status !== 200) {
        expect(status).toBe(401);
        break;
      }
      lastAccepted = Date.now();
      expect(lastAccepted - revokedAt).toBeLessThan(TOKEN_RECHECK_MS + 1000);
      await sleep(250);
    }
    expect(lastAccepted - revokedAt).toBeLessThanOrEqual(TOKEN_RECHECK_MS);

    // Expired while cached (verified a moment before): refused once its expiry has passed, without waiting a day.
    const expiring = await create("expiring");
    expect((await decide(expiring.token)).status).toBe(200);
    const now = Date.now();
    const clock = vi.spyOn(Date, "now").mockReturnValue(now + 2 * 86_400_000);
    try {
      expect((await decide(expiring.token)).status).toBe(401);
    } finally {
      clock.mockRestore();
    }
  });

  it("refuses two Authorization headers as the app does, even when the first holds a good token", async () => {
    // fetch joins repeated headers before sending; node:http sends each one of a raw list (which then needs its own Host).
    const twice = (url: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(`${url}/api/v1/decide`, {
          method: "POST",
          headers: [
            "host",
            new URL(url).host,
            "content-type",
            "application/json",
            "authorization",
            `Bearer ${tokens.decide}`,
            "authorization",
            "Bearer ppt_forged00_nope",
          ],
        });
        req.on("response", (res) => {
          let body = "";
          res.on("data", (chunk: Buffer) => (body += chunk.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: body.replace(/"requestId":"[0-9a-f-]{36}"/, "") }));
        });
        req.on("error", reject);
        req.end(json(FLOW));
      });
    const fromLean = await twice(lean.url);
    expect(fromLean).toMatchObject({ status: 401 });
    expect(fromLean).toEqual(await twice(generalUrl));
  });

  it("leaves every other request to the app: another method, a query, a trailing slash", async () => {
    const auth = { authorization: `Bearer ${tokens.decide}`, "content-type": "application/json" };
    const get = await fetch(`${lean.url}/api/v1/decide`, { headers: auth });
    expect(get.status).toBe(404);
    const query = await fetch(`${lean.url}/api/v1/decide?x=1`, { method: "POST", headers: auth, body: json(FLOW) });
    expect(query.status).toBe(200);
    const slash = await fetch(`${lean.url}/api/v1/decide/`, { method: "POST", headers: auth, body: json(FLOW) });
    expect(slash.status).toBe((await fetch(`${generalUrl}/api/v1/decide/`, { method: "POST", headers: auth, body: json(FLOW) })).status);
  });
});
