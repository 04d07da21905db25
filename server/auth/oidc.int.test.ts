// Single sign-on, against a stand-in identity provider on loopback
// (server/testing/oidc-provider.ts).
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "@/db/client";
import { account, auditEvents, user } from "@/db/schema";
import { openTestDatabase, testDatabaseKind } from "@/db/testing";
import { parseEnv } from "@/server/env";
import { insertPasswordUser } from "@/server/users/credentials";
import { CLIENT_IP_FROM_SERVER } from "@/scripts/client-ip.mjs";
import { authRequests, cookies } from "@/server/testing/auth-requests";
import { startOidcProvider } from "@/server/testing/oidc-provider";
import { createAuth } from "./auth";

describe(`OIDC single sign-on on ${testDatabaseKind()}`, () => {
  let handle: DatabaseHandle;
  let idp: Awaited<ReturnType<typeof startOidcProvider>>;
  let issuer: string;
  beforeAll(async () => {
    handle = await openTestDatabase();
    idp = await startOidcProvider();
    issuer = idp.issuer;
  });
  afterAll(async () => {
    await idp?.close();
    await handle?.close();
  });

  it("sends the browser to the provider's authorisation endpoint with PKCE and our callback", async () => {
    const env = parseEnv({
      PORT: "3998",
      OIDC_DISCOVERY_URL: `${issuer}/.well-known/openid-configuration`,
      OIDC_CLIENT_ID: "policyplane",
      OIDC_CLIENT_SECRET: "s3cret",
      OIDC_PROVIDER_ID: "corp-sso",
    });
    const auth = createAuth(handle.db, env, "y".repeat(40));
    const response = await auth.handler(
      new Request("http://localhost:3998/api/auth/sign-in/social", {
        method: "POST",
        headers: { "content-type": "application/json", origin: "http://localhost:3998" },
        body: JSON.stringify({ provider: "corp-sso", callbackURL: "/overview" }),
      }),
    );
    expect(response.status).toBe(200);
    const { url } = (await response.json()) as { url: string };
    const target = new URL(url);
    expect(`${target.origin}${target.pathname}`).toBe(`${issuer}/authorize`);
    expect(target.searchParams.get("client_id")).toBe("policyplane");
    expect(target.searchParams.get("redirect_uri")).toBe("http://localhost:3998/api/auth/callback/corp-sso");
    expect(target.searchParams.get("code_challenge_method")).toBe("S256");
    expect(target.searchParams.get("scope")).toBe("openid email profile");
  });

  it("offers no SSO provider when none is configured", async () => {
    const auth = createAuth(handle.db, parseEnv({ PORT: "3997" }), "z".repeat(40));
    const response = await auth.handler(
      new Request("http://localhost:3997/api/auth/sign-in/social", {
        method: "POST",
        headers: { "content-type": "application/json", origin: "http://localhost:3997" },
        body: JSON.stringify({ provider: "corp-sso", callbackURL: "/overview" }),
      }),
    );
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });

  describe("with an existing local account of the same e-mail", () => {
    const ORIGIN = "http://localhost:3996";
    let auth: ReturnType<typeof createAuth>;
    let localId: string;
    const email = "dana.local@acme.example";
    beforeAll(async () => {
      // As behind scripts/start.mjs: each request names its address, so the sign-in rate limit has one bucket per step here.
      process.env[CLIENT_IP_FROM_SERVER] = "1";
      const env = parseEnv({
        PORT: "3996",
        OIDC_DISCOVERY_URL: `${issuer}/.well-known/openid-configuration`,
        OIDC_CLIENT_ID: "policyplane",
        OIDC_CLIENT_SECRET: "s3cret",
        OIDC_PROVIDER_ID: "corp-sso",
      });
      auth = createAuth(handle.db, env, "w".repeat(40));
      localId = await insertPasswordUser(handle.db, { name: "Dana Local", email, password: "dana-local-password" });
      idp.signInAs({ sub: "idp-dana", email, email_verified: true, name: "Dana at the IdP" });
    });

    afterAll(() => {
      delete process.env[CLIENT_IP_FROM_SERVER];
    });
    const post = (path: string, body: unknown, cookie = "") => authRequests(auth, ORIGIN).post(path, body, cookie);

    /** Follows the provider's redirect back to our callback, as the browser would after the person signs in there. */
    async function returnFromProvider(start: Response, jar: string) {
      const started = (await start.json()) as { url: string };
      if (!started.url) throw new Error(`the redirect to the provider did not start: ${start.status} ${JSON.stringify(started)}`);
      const { url } = started;
      const state = new URL(url).searchParams.get("state")!;
      return auth.handler(
        new Request(`${ORIGIN}/api/auth/callback/corp-sso?code=the-code&state=${encodeURIComponent(state)}`, {
          headers: { cookie: cookies(start, jar) },
        }),
      );
    }
    const ssoAccounts = () =>
      handle.db
        .select()
        .from(account)
        .where(and(eq(account.userId, localId), eq(account.providerId, "corp-sso")));

    it("does not sign in to, or link, the local account when the provider says the same e-mail is verified", async () => {
      const back = await returnFromProvider(await post("/sign-in/social", { provider: "corp-sso", callbackURL: "/overview" }), "");
      expect(back.status).toBe(302);
      const location = new URL(back.headers.get("location")!, ORIGIN);
      expect(location.pathname).toBe("/sign-in");
      expect(location.searchParams.get("error")).toBe("account_not_linked");
      expect(back.headers.getSetCookie().some((c) => c.includes("session_token=") && !c.includes("Max-Age=0"))).toBe(false);
      expect(await ssoAccounts()).toEqual([]);
      expect(await handle.db.select().from(user).where(eq(user.email, email))).toHaveLength(1);
    });

    it("links the SSO identity when the signed-in person asks for it, audits it, and then signs them in through SSO", async () => {
      const signedIn = await post("/sign-in/email", { email, password: "dana-local-password" });
      expect(signedIn.status).toBe(200);
      const jar = cookies(signedIn);
      const back = await returnFromProvider(await post("/link-social", { provider: "corp-sso", callbackURL: "/settings" }, jar), jar);
      expect(back.status).toBe(302);
      expect(new URL(back.headers.get("location")!, ORIGIN).pathname).toBe("/settings");
      expect(await ssoAccounts()).toHaveLength(1);
      const linked = await handle.db
        .select()
        .from(auditEvents)
        .where(and(eq(auditEvents.action, "account.linked"), eq(auditEvents.targetId, localId)));
      expect(linked).toMatchObject([{ actorLabel: email, after: { provider: "corp-sso" } }]);

      const again = await returnFromProvider(await post("/sign-in/social", { provider: "corp-sso", callbackURL: "/overview" }), "");
      expect(new URL(again.headers.get("location")!, ORIGIN).pathname).toBe("/overview");
    });
  });
});
