// Test helper: a stand-in OpenID Connect provider on loopback with discovery, a
// token endpoint and a userinfo endpoint that answers for whoever the test says
// is signing in at the provider.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface ProviderPerson {
  sub: string;
  email: string;
  email_verified: boolean;
  name: string;
}

export async function startOidcProvider() {
  let issuer = "";
  const state = { signedIn: { sub: "idp-0001", email: "someone@acme.example", email_verified: true, name: "Someone" } as ProviderPerson };
  const server = createServer((req, res) => {
    res.setHeader("content-type", "application/json");
    if (req.url === "/token" && req.method === "POST") {
      res.end(JSON.stringify({ access_token: `at-${state.signedIn.sub}`, token_type: "Bearer", expires_in: 3600 }));
    } else if (req.url === "/userinfo") {
      res.end(JSON.stringify(state.signedIn));
    } else if (req.url === "/.well-known/openid-configuration") {
      res.end(
        JSON.stringify({
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          userinfo_endpoint: `${issuer}/userinfo`,
          response_types_supported: ["code"],
          subject_types_supported: ["public"],
          id_token_signing_alg_values_supported: ["RS256"],
        }),
      );
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    /** Who signs in at the provider from now on. */
    signInAs(person: ProviderPerson) {
      state.signedIn = person;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
