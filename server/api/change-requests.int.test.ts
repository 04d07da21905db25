// The change-request REST contract (issue 13): every status code it names, by
// API token and by the console's session cookie with its Origin check.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabaseKind } from "@/db/testing";
import { createAuth } from "@/server/auth/auth";
import { loadGrants } from "@/server/auth/authorize";
import { parseEnv } from "@/server/env";
import { DEMO_PASSWORD } from "@/server/seed/demo-data";
import { callerFor } from "@/server/testing/actors";
import { authRequests, cookies } from "@/server/testing/auth-requests";
import { useSeededDatabase } from "@/server/testing/database";
import { CLIENT_IP_FROM_SERVER } from "@/scripts/client-ip.mjs";
import { createApiApp } from "./app";
import { paymentsEgressYaml } from "@/server/testing/policies";

const ORIGIN = "http://localhost:3994";
const ADMIN = "alex.admin@acme.example";
const AUTHOR = "priya.payments@acme.example";
const SECURITY = "sam.security@acme.example";
const PAYMENTS_COMMITTEE = "dana.payments-committee@acme.example";

const policyYaml = (name: string, port = 443) => paymentsEgressYaml(name, { port, description: "Proposed by CI" });

describe(`change-request REST API on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  let api: ReturnType<typeof createApiApp>;
  const session: Record<string, string> = {};
  let authorToken = "";
  let viewerToken = "";
  let adminToken = "";

  beforeAll(async () => {
    process.env[CLIENT_IP_FROM_SERVER] = "1";
    const auth = createAuth(database().db, parseEnv({ PORT: "3994" }), "r".repeat(40));
    api = createApiApp(async () => database().db, {
      sessionActor: async (headers, db) => {
        const found = await auth.api.getSession({ headers });
        return found ? { type: "user", id: found.user.id, label: found.user.email, grants: await loadGrants(db, found.user.id) } : null;
      },
      trustedOrigins: [ORIGIN],
    });
    for (const email of [AUTHOR, SECURITY, PAYMENTS_COMMITTEE, ADMIN]) {
      const response = await authRequests(auth, ORIGIN).post("/sign-in/email", { email, password: DEMO_PASSWORD });
      expect(response.status).toBe(200);
      session[email] = cookies(response);
    }
    const admin = await callerFor(database().db, ADMIN);
    const tenants = await admin.org.tenants();
    const payments = tenants.find((t) => t.name === "payments")!.id;
    authorToken = (
      await admin.settings.createToken({ name: "payments ci", role: "author", tenantId: payments, scopes: ["propose"], expiresInDays: 1 })
    ).token;
    viewerToken = (
      await admin.settings.createToken({ name: "reader", role: "viewer", tenantId: null, scopes: ["propose"], expiresInDays: 1 })
    ).token;
    adminToken = (
      await admin.settings.createToken({ name: "release bot", role: "admin", tenantId: null, scopes: ["propose"], expiresInDays: 1 })
    ).token;
  });
  afterAll(() => {
    delete process.env[CLIENT_IP_FROM_SERVER];
  });

  type Auth = { token: string } | { cookie: string; origin?: string | null };
  function call(method: string, path: string, auth: Auth | null, body?: unknown) {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers["content-type"] = "application/json";
    if (auth && "token" in auth) headers.authorization = `Bearer ${auth.token}`;
    if (auth && "cookie" in auth) {
      headers.cookie = auth.cookie;
      if (auth.origin !== null) headers.origin = auth.origin ?? ORIGIN;
    }
    return api.request(`${ORIGIN}/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
  }
  const as = (email: string, origin?: string | null): Auth => ({ cookie: session[email]!, origin });
  async function expectError(response: Response, status: number, error: string, message?: RegExp) {
    expect(response.status).toBe(status);
    const body = (await response.json()) as { error: string; message: string };
    expect(body).toMatchObject({ error, message: expect.any(String) });
    if (message) expect(body.message).toMatch(message);
  }

  it("proposes documents as a new change request: 201 with number, state and content hash, by token or by session cookie", async () => {
    const byToken = await call(
      "POST",
      "/change-requests",
      { token: authorToken },
      { title: "CI: stripe egress", documents: [policyYaml("rest-ci-1")] },
    );
    expect(byToken.status).toBe(201);
    const created = (await byToken.json()) as { number: number; state: string; contentHash: string };
    expect(created).toEqual({ number: expect.any(Number), state: "in-review", contentHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const byCookie = await call("POST", "/change-requests", as(AUTHOR), {
      title: "From the console",
      description: "why",
      documents: [policyYaml("rest-ci-2")],
    });
    expect(byCookie.status).toBe(201);
  });

  it("refuses bad input (400), no credentials (401), a viewer (403) and a cookie call without the console's Origin (403), writing nothing", async () => {
    const admin = await callerFor(database().db, ADMIN);
    const before = (await admin.changes.list()).length;
    await expectError(
      await call("POST", "/change-requests", { token: authorToken }, { documents: [policyYaml("rest-bad")] }),
      400,
      "InvalidInput",
      /title/,
    );
    await expectError(
      await call("POST", "/change-requests", { token: authorToken }, { title: "x", documents: ["kind: Nope"] }),
      400,
      "InvalidInput",
      /documents\[0\]/,
    );
    await expectError(await call("POST", "/change-requests", { token: authorToken }, "{not json"), 400, "InvalidInput");
    await expectError(
      await call("POST", "/change-requests", null, { title: "x", documents: [policyYaml("rest-anon")] }),
      401,
      "Unauthenticated",
    );
    await expectError(
      await call("POST", "/change-requests", { token: viewerToken }, { title: "x", documents: [policyYaml("rest-viewer")] }),
      403,
      "Forbidden",
    );
    // A token without the "propose" scope is refused before its body is read.
    const decider = await admin.settings.createToken({
      name: "decide only",
      role: "admin",
      tenantId: null,
      scopes: ["decide"],
      expiresInDays: 1,
    });
    await expectError(
      await call("POST", "/change-requests", { token: decider.token }, "{not json"),
      403,
      "Forbidden",
      /lacks the "propose" scope/,
    );
    await expectError(
      await call("POST", "/change-requests", as(AUTHOR, null), { title: "x", documents: [policyYaml("rest-no-origin")] }),
      403,
      "Forbidden",
      /Origin/,
    );
    await expectError(
      await call("POST", "/change-requests", as(AUTHOR, "https://evil.example"), { title: "x", documents: [policyYaml("rest-csrf")] }),
      403,
      "Forbidden",
      /evil\.example/,
    );
    expect((await admin.changes.list()).length).toBe(before);
  });

  it("reads a change request with its required approvals and the approvals given, and answers 404 for an unknown one", async () => {
    const created = (await (
      await call("POST", "/change-requests", { token: authorToken }, { title: "read me", documents: [policyYaml("rest-read")] })
    ).json()) as { number: number };
    const response = await call("GET", `/change-requests/${created.number}`, { token: viewerToken });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      number: created.number,
      state: "in-review",
      contentHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      author: "token:payments ci",
      required: [
        { rule: "namespace-tier", function: "application", count: 1 },
        { rule: "namespace-tier", function: "security", count: 1 },
      ],
      approvals: [],
    });
    // A same-origin page may read it with the cookie alone (a GET changes nothing).
    expect((await call("GET", `/change-requests/${created.number}`, as(SECURITY, null))).status).toBe(200);
    await expectError(await call("GET", "/change-requests/999999", { token: viewerToken }), 404, "NotFound");
    await expectError(await call("GET", "/change-requests/abc", { token: viewerToken }), 404, "NotFound");
    await expectError(await call("GET", `/change-requests/${created.number}`, null), 401, "Unauthenticated");
  });

  it("approves bound to the content hash (201), refusing the author and tokens (403), a stale hash or a second approval (409); releases once (201), refusing while approvals are missing and when already released (409)", async () => {
    const response = await call("POST", "/change-requests", as(AUTHOR), { title: "approve me", documents: [policyYaml("rest-approve")] });
    const { number, contentHash } = (await response.json()) as { number: number; contentHash: string };
    const approvals = `/change-requests/${number}/approvals`;
    await expectError(await call("POST", approvals, as(AUTHOR), { contentHash }), 403, "Forbidden", /own change/);
    await expectError(await call("POST", approvals, { token: adminToken }, { contentHash }), 403, "Forbidden");
    await expectError(await call("POST", approvals, as(SECURITY), {}), 400, "InvalidInput", /contentHash/);
    await expectError(
      await call("POST", approvals, as(SECURITY), { contentHash: "f".repeat(64) }),
      409,
      "Conflict",
      /changed since you viewed it/,
    );
    await expectError(await call("POST", approvals, as(SECURITY, "https://evil.example"), { contentHash }), 403, "Forbidden");
    await expectError(await call("POST", "/change-requests/999999/approvals", as(SECURITY), { contentHash }), 404, "NotFound");
    await expectError(
      await call("POST", `/change-requests/${number}/release`, { token: adminToken }),
      409,
      "Conflict",
      /approvals missing/,
    );

    const approved = await call("POST", approvals, as(SECURITY), { contentHash });
    expect(approved.status).toBe(201);
    expect(await approved.json()).toMatchObject({ state: "in-review", approval: { by: SECURITY, function: "security", contentHash } });
    await expectError(await call("POST", approvals, as(SECURITY), { contentHash }), 409, "Conflict", /already approved/);
    expect((await call("POST", approvals, as(PAYMENTS_COMMITTEE), { contentHash })).status).toBe(201);
    const read = (await (await call("GET", `/change-requests/${number}`, { token: viewerToken })).json()) as {
      state: string;
      approvals: unknown[];
    };
    expect(read.state).toBe("approved");
    expect(read.approvals).toEqual([
      { by: SECURITY, function: "security", contentHash, voided: false },
      { by: PAYMENTS_COMMITTEE, function: "application", contentHash, voided: false },
    ]);

    await expectError(await call("POST", `/change-requests/${number}/release`, { token: authorToken }), 403, "Forbidden");
    const released = await call("POST", `/change-requests/${number}/release`, as(ADMIN));
    expect(released.status).toBe(201);
    const { release } = (await released.json()) as { release: number };
    expect(release).toBeGreaterThanOrEqual(1);
    await expectError(await call("POST", `/change-requests/${number}/release`, as(ADMIN)), 409, "Conflict", /already released/);
    await expectError(await call("POST", `/change-requests/${number}/release`, as(ADMIN, null)), 403, "Forbidden");
    await expectError(await call("POST", approvals, as(PAYMENTS_COMMITTEE), { contentHash }), 409, "Conflict");
    expect(await (await call("GET", `/change-requests/${number}`, { token: viewerToken })).json()).toMatchObject({ state: "released" });
  });

  it("refuses a release during a freeze of an environment that has clusters (409), and releases once the freeze ends", async () => {
    const response = await call("POST", "/change-requests", as(AUTHOR), {
      title: "during the freeze",
      documents: [policyYaml("rest-freeze")],
    });
    const { number, contentHash } = (await response.json()) as { number: number; contentHash: string };
    for (const email of [SECURITY, PAYMENTS_COMMITTEE])
      expect((await call("POST", `/change-requests/${number}/approvals`, as(email), { contentHash })).status).toBe(201);
    const admin = await callerFor(database().db, ADMIN);
    const author = await callerFor(database().db, AUTHOR);
    const window = {
      environment: "production" as const,
      startsAt: new Date(Date.now() - 60_000),
      endsAt: new Date(Date.now() + 3_600_000),
      reason: "Black Friday",
    };
    expect(
      await author.releases.createFreeze(window).then(
        () => "OK",
        (e: { code: string }) => e.code,
      ),
    ).toBe("FORBIDDEN");
    const { id } = await admin.releases.createFreeze(window);
    expect(await admin.releases.freezes()).toEqual([
      expect.objectContaining({ id, environment: "production", active: true, reason: "Black Friday" }),
    ]);
    await expectError(
      await call("POST", `/change-requests/${number}/release`, as(ADMIN)),
      409,
      "Conflict",
      /production is frozen until .* \(Black Friday\)/,
    );
    await admin.releases.endFreeze({ id });
    expect(await admin.releases.freezes()).toEqual([]);
    expect((await call("POST", `/change-requests/${number}/release`, as(ADMIN))).status).toBe(201);
  });
});
