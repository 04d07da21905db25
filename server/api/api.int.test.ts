import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { apiTokens } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { useSeededDatabase } from "@/server/testing/database";
import { callerFor } from "@/server/testing/actors";
import { createApiApp, MAX_REQUEST_BYTES } from "./app";

describe(`REST API and machine tokens on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const api = createApiApp(async () => database().db);

  const whoami = (token?: string) => api.request("/api/v1/whoami", { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it("answers health without a token", async () => {
    const response = await api.request("/api/v1/health");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("authenticates a token an admin created, and records who created it", async () => {
    const admin = await callerFor(database().db, "alex.admin@acme.example");
    const { token, id } = await admin.settings.createToken({
      name: "prod-eu-1 agent",
      role: "viewer",
      tenantId: null,
      scopes: ["decide"],
      expiresInDays: 30,
    });
    expect(token).toMatch(/^ppt_[a-z0-9]{8}_/);
    const [stored] = await database().db.select().from(apiTokens).where(eq(apiTokens.id, id));
    expect(stored!.secretHash).not.toContain(token.slice(13));
    const response = await whoami(token);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      type: "token",
      label: "token:prod-eu-1 agent",
      grants: [{ role: "viewer", tenantId: null }],
    });
    const [used] = await database().db.select().from(apiTokens).where(eq(apiTokens.id, id));
    expect(used!.lastUsedAt).not.toBeNull();
    // A second call within the minute does not write again.
    expect((await whoami(token)).status).toBe(200);
    const [again] = await database().db.select().from(apiTokens).where(eq(apiTokens.id, id));
    expect(again!.lastUsedAt).toEqual(used!.lastUsedAt);
    const events = await admin.audit.list({ action: "token.created" });
    expect(events.events[0]).toMatchObject({ targetId: id, actorLabel: "alex.admin@acme.example" });
  });

  it("rejects a missing, malformed, forged, revoked or expired token with the same 401", async () => {
    const admin = await callerFor(database().db, "alex.admin@acme.example");
    const { token, id } = await admin.settings.createToken({
      name: "ci pipeline",
      role: "author",
      tenantId: null,
      scopes: ["propose"],
      expiresInDays: 30,
    });
    const forged = token.slice(0, -4) + (token.endsWith("AAAA") ? "BBBB" : "AAAA");
    await admin.settings.revokeToken({ tokenId: id });
    const expired = await admin.settings.createToken({ name: "old", role: "viewer", tenantId: null, scopes: ["decide"], expiresInDays: 1 });
    await database()
      .db.update(apiTokens)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(apiTokens.id, expired.id));

    expect((await whoami()).status).toBe(401);
    for (const bad of ["not-a-token", forged, token, expired.token]) {
      const response = await whoami(bad);
      expect(response.status, bad).toBe(401);
      const body = await response.json();
      expect(body).toMatchObject({ error: "Unauthenticated", message: "Invalid, expired or revoked API token." });
      expect(JSON.stringify(body)).not.toMatch(/stack|at \w+ \(/);
    }
    await expect(admin.settings.revokeToken({ tokenId: id })).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("refuses a body over the size limit before reading it", async () => {
    const response = await api.request("/api/v1/whoami", {
      method: "POST",
      headers: { "content-length": String(MAX_REQUEST_BYTES + 1), "content-type": "application/json" },
      body: "x".repeat(MAX_REQUEST_BYTES + 1),
    });
    expect(response.status).toBe(413);
  });

  it("answers unknown routes with JSON, not a stack trace", async () => {
    const response = await api.request("/api/v1/health/../../nope");
    expect(response.headers.get("content-type")).toContain("application/json");
  });

  it("refuses a NUL or a lone surrogate in the query, the path or a JSON body with a 400 naming where, before any token check", async () => {
    const cases: [string, RequestInit | undefined, string][] = [
      ["/api/v1/whoami?note=a%00b", undefined, "query.note[0]"],
      ["/api/v1/whoami/a%00b", undefined, "path"],
      [
        "/api/v1/whoami",
        { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ change: { description: "x\ud800y" } }) },
        "body.change.description",
      ],
      [
        "/api/v1/whoami",
        { method: "POST", headers: { "content-type": "application/json" }, body: '{"items":["ok","a\\u0000b"]}' },
        "body.items[1]",
      ],
    ];
    for (const [url, init, field] of cases) {
      const response = await api.request(url, init);
      expect(response.status, url).toBe(400);
      const body = await response.json();
      expect(body, url).toMatchObject({ error: "InvalidInput", field });
      expect(body.message).toMatch(/NUL|surrogate/);
    }
    // The same text without the bad character goes on to the token check.
    expect((await api.request("/api/v1/whoami?note=ab")).status).toBe(401);
  });
});
