// Single sign-on wiring, against a stand-in identity provider on loopback that
// serves only its discovery document: enough to prove the configuration reaches
// better-auth and the browser is sent to the provider with PKCE.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "@/db/client";
import { openTestDatabase } from "@/db/testing";
import { parseEnv } from "@/server/env";
import { createAuth } from "./auth";

describe("OIDC single sign-on", () => {
  let handle: DatabaseHandle;
  let idp: Server;
  let issuer: string;
  beforeAll(async () => {
    handle = await openTestDatabase();
    idp = createServer((req, res) => {
      if (req.url === "/.well-known/openid-configuration") {
        res.setHeader("content-type", "application/json");
        res.end(
          JSON.stringify({
            issuer,
            authorization_endpoint: `${issuer}/authorize`,
            token_endpoint: `${issuer}/token`,
            userinfo_endpoint: `${issuer}/userinfo`,
            jwks_uri: `${issuer}/jwks`,
            response_types_supported: ["code"],
            subject_types_supported: ["public"],
            id_token_signing_alg_values_supported: ["RS256"],
          }),
        );
        return;
      }
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((resolve) => idp.listen(0, "127.0.0.1", resolve));
    issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => idp?.close(resolve));
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
});
