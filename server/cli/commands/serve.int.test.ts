// `policyplane serve`: the same REST app on a bare node:http server, over real HTTP.
import type { Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabaseKind } from "@/db/testing";
import { MAX_REQUEST_BYTES } from "@/lib/http-limits";
import { callerFor } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { serveApi } from "./serve";

describe(`policyplane serve on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  let server: Server;
  let url = "";
  let token = "";

  beforeAll(async () => {
    ({ server, url } = await serveApi(async () => database().db, 0, "127.0.0.1"));
    const admin = await callerFor(database().db, "alex.admin@acme.example");
    token = (await admin.settings.createToken({ name: "serve", role: "viewer", tenantId: null, scopes: ["decide"], expiresInDays: 1 }))
      .token;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  const post = (path: string, body: string, auth = true) =>
    fetch(`${url}/api/v1${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(auth ? { authorization: `Bearer ${token}` } : {}) },
      body,
    });

  it("answers health, the OpenAPI document and a decision over HTTP", async () => {
    const health = await fetch(`${url}/api/v1/health`);
    expect(health.status).toBe(200);
    expect(health.headers.get("x-request-id")).toBeTruthy();
    expect(await health.json()).toEqual({ status: "ok" });
    expect(((await (await fetch(`${url}/api/v1/openapi.json`)).json()) as { openapi: string }).openapi).toBe("3.1.0");
    const flow = { cluster: "prod-eu-1", source: { namespace: "payments", pod: "payments-api" }, destination: { ip: "8.8.8.8" }, port: 53 };
    const decided = await post("/decide", JSON.stringify(flow));
    expect(decided.status).toBe(200);
    expect(await decided.json()).toMatchObject({ decision: expect.stringMatching(/^(allow|deny)$/), release: 0 });
    expect((await post("/decide", JSON.stringify(flow), false)).status).toBe(401);
  });

  it("refuses malformed JSON with 400 and an oversized body with 413, and keeps serving", async () => {
    const malformed = await post("/decide", '{"cluster": ');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: "InvalidInput", field: "body" });
    const huge = await post("/decide", JSON.stringify({ pad: "x".repeat(MAX_REQUEST_BYTES + 10) }));
    expect(huge.status).toBe(413);
    expect((await fetch(`${url}/api/v1/health`)).status).toBe(200);
    // An unknown route asks for a token first, as the app does under Next.js.
    expect((await fetch(`${url}/api/v1/nothing-here`)).status).toBe(401);
  });
});
