// Every better-auth endpoint has a decided audit entry, and the ones a person
// uses to change their own account write an event.
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "@/db/client";
import { auditEvents } from "@/db/schema";
import { openTestDatabase, testDatabaseKind } from "@/db/testing";
import { verifyAuditTrail } from "@/server/audit/query";
import { parseEnv } from "@/server/env";
import { insertPasswordUser } from "@/server/users/credentials";
import { CLIENT_IP_FROM_SERVER } from "@/scripts/client-ip.mjs";
import { authRequests, cookies } from "@/server/testing/auth-requests";
import { startOidcProvider } from "@/server/testing/oidc-provider";
import { createAuth } from "./auth";
import { AUTH_ENDPOINT_AUDIT } from "./auth-audit";

const ORIGIN = "http://localhost:3995";

describe(`audit of better-auth's endpoints on ${testDatabaseKind()}`, () => {
  let handle: DatabaseHandle;
  let auth: ReturnType<typeof createAuth>;
  let idp: Awaited<ReturnType<typeof startOidcProvider>>;
  beforeAll(async () => {
    handle = await openTestDatabase();
    idp = await startOidcProvider();
    process.env[CLIENT_IP_FROM_SERVER] = "1";
    // With single sign-on configured, so the provider's endpoints are listed too.
    const env = parseEnv({
      PORT: "3995",
      OIDC_DISCOVERY_URL: idp.discoveryUrl,
      OIDC_CLIENT_ID: "policyplane",
      OIDC_CLIENT_SECRET: "s3cret",
    });
    auth = createAuth(handle.db, env, "v".repeat(40));
  });
  afterAll(async () => {
    delete process.env[CLIENT_IP_FROM_SERVER];
    await idp?.close();
    await handle?.close();
  });

  it("has a decided audit entry for every endpoint the auth instance serves", () => {
    const endpoints = Object.values(auth.api as unknown as Record<string, { path?: string }>)
      .map((e) => e.path)
      .filter((p): p is string => typeof p === "string");
    expect(endpoints.length).toBeGreaterThan(20);
    expect(endpoints.filter((p) => !(p in AUTH_ENDPOINT_AUDIT))).toEqual([]);
  });

  const post = (path: string, body: unknown, cookie = "") => authRequests(auth, ORIGIN).post(path, body, cookie);
  async function signIn(email: string, password: string) {
    const response = await post("/sign-in/email", { email, password });
    expect(response.status).toBe(200);
    return cookies(response);
  }
  const eventsOf = (action: string, userId: string) =>
    handle.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, action), eq(auditEvents.targetId, userId)));

  it("audits a profile change and a password change by the person themselves, without secrets", async () => {
    const id = await insertPasswordUser(handle.db, {
      name: "Robin Self",
      email: "robin.self@acme.example",
      password: "robin-first-password",
    });
    const cookie = await signIn("robin.self@acme.example", "robin-first-password");
    expect((await post("/update-user", { name: "Robin Renamed" }, cookie)).status).toBe(200);
    expect(await eventsOf("user.profile_updated", id)).toMatchObject([
      { actorLabel: "robin.self@acme.example", after: { fields: ["name"] } },
    ]);

    const changed = await post(
      "/change-password",
      { currentPassword: "robin-first-password", newPassword: "robin-second-password", revokeOtherSessions: true },
      cookie,
    );
    expect(changed.status).toBe(200);
    const [event] = await eventsOf("user.password_changed", id);
    expect(event).toMatchObject({ actorLabel: "robin.self@acme.example", after: { revokedOtherSessions: true } });
    expect(JSON.stringify(event)).not.toMatch(/robin-(first|second)-password/);
    expect((await verifyAuditTrail(handle.db)).ok).toBe(true);
  });

  it("writes no event for a refused change", async () => {
    const id = await insertPasswordUser(handle.db, { name: "Sky Wrong", email: "sky.wrong@acme.example", password: "sky-first-password" });
    const cookie = await signIn("sky.wrong@acme.example", "sky-first-password");
    const refused = await post("/change-password", { currentPassword: "not-the-password", newPassword: "sky-second-password" }, cookie);
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(await eventsOf("user.password_changed", id)).toEqual([]);
  });
});
