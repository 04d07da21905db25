import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "@/db/client";
import { auditEvents, session } from "@/db/schema";
import { openTestDatabase, testDatabaseKind } from "@/db/testing";
import { parseEnv } from "@/server/env";
import { DEMO_PASSWORD } from "@/server/seed/demo-data";
import { seedDemoOrganisation } from "@/server/seed/demo";
import { CLIENT_IP_FROM_SERVER, CLIENT_IP_HEADER } from "@/scripts/client-ip.mjs";
import { createAuth } from "./auth";

const ORIGIN = "http://localhost:3999";

describe(`sign-in on ${testDatabaseKind()}`, () => {
  let handle: DatabaseHandle;
  let auth: ReturnType<typeof createAuth>;
  beforeAll(async () => {
    handle = await openTestDatabase();
    await seedDemoOrganisation(handle.db);
    // As behind scripts/start.mjs, which states each request's address in CLIENT_IP_HEADER.
    process.env[CLIENT_IP_FROM_SERVER] = "1";
    const env = parseEnv({ PORT: "3999", AUTH_RATE_LIMIT_MAX: "4", AUTH_RATE_LIMIT_WINDOW_SECONDS: "60" });
    auth = createAuth(handle.db, env, "x".repeat(40));
  });
  afterAll(async () => {
    await handle?.close();
  });

  const signIn = (email: string, password: string, ip: string) =>
    auth.handler(
      new Request(`${ORIGIN}/api/auth/sign-in/email`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: ORIGIN, [CLIENT_IP_HEADER]: ip },
        body: JSON.stringify({ email, password }),
      }),
    );

  it("signs a demo user in and sets an http-only, same-site session cookie", async () => {
    const response = await signIn("avery.audit@acme.example", DEMO_PASSWORD, "10.1.0.1");
    expect(response.status).toBe(200);
    const cookie = response.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    const body = JSON.stringify(await response.json());
    expect(body).not.toContain("password");
    const [event] = await handle.db.select().from(auditEvents).where(eq(auditEvents.action, "auth.signed_in"));
    expect(event).toMatchObject({ actorLabel: "avery.audit@acme.example", targetLabel: "avery.audit@acme.example" });
  });

  it("audits a sign-out as the end of that session", async () => {
    const response = await signIn("pat.platform@acme.example", DEMO_PASSWORD, "10.1.0.30");
    const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0]!;
    const signedIn = await auth.api.getSession({ headers: new Headers({ cookie }) });
    const out = await auth.handler(
      new Request(`${ORIGIN}/api/auth/sign-out`, {
        method: "POST",
        headers: { cookie, origin: ORIGIN, "content-type": "application/json" },
        body: "{}",
      }),
    );
    expect(out.status).toBe(200);
    const events = await handle.db.select().from(auditEvents).where(eq(auditEvents.action, "auth.session_ended"));
    expect(events).toEqual([
      expect.objectContaining({ actorLabel: "pat.platform@acme.example", targetId: signedIn!.session.id, after: { expired: false } }),
    ]);
  });

  it("gives the same answer for a wrong password and an unknown user", async () => {
    const wrong = await signIn("avery.audit@acme.example", "not-the-password", "10.1.0.2");
    const unknown = await signIn("nobody@acme.example", "not-the-password", "10.1.0.3");
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(await wrong.json()).toEqual(await unknown.json());
  });

  it("rate-limits repeated sign-in attempts from one address", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await signIn("sam.security@acme.example", "guessing-password", "10.1.0.9")).status);
    expect(statuses.slice(0, 4)).toEqual([401, 401, 401, 401]);
    expect(statuses.slice(4)).toEqual([429, 429]);
    // Another address is not affected.
    expect((await signIn("sam.security@acme.example", DEMO_PASSWORD, "10.1.0.10")).status).toBe(200);
  });

  it("does not accept an expired session", async () => {
    const response = await signIn("nina.network@acme.example", DEMO_PASSWORD, "10.1.0.20");
    const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0]!;
    const headers = new Headers({ cookie });
    const found = await auth.api.getSession({ headers });
    expect(found?.user.email).toBe("nina.network@acme.example");
    await handle.db
      .update(session)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(session.userId, found!.user.id));
    expect(await auth.api.getSession({ headers })).toBeNull();
  });
});
