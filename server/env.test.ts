import { describe, expect, it } from "vitest";
import { isLoopbackHost, parseEnv } from "./env";

describe("environment", () => {
  it("runs with no configuration at all (the quick start)", () => {
    const env = parseEnv({});
    expect(env).toMatchObject({ PORT: 3000, PGLITE_DIR: ".data/pglite", POLICYPLANE_DEMO: "on" });
    expect(env.DATABASE_URL).toBeUndefined();
  });

  it("seeds the demo into the embedded database by default, never into a PostgreSQL unless asked", () => {
    expect(parseEnv({}).POLICYPLANE_DEMO).toBe("on");
    expect(parseEnv({ DATABASE_URL: "postgres://db/policyplane" }).POLICYPLANE_DEMO).toBe("off");
    expect(parseEnv({ DATABASE_URL: "postgres://db/policyplane", POLICYPLANE_DEMO: "on" }).POLICYPLANE_DEMO).toBe("on");
  });

  it("names the variable that is wrong", () => {
    expect(() => parseEnv({ DATABASE_URL: "mysql://x" })).toThrow(/DATABASE_URL: must start with postgres/);
    expect(() => parseEnv({ PORT: "99999" })).toThrow(/PORT/);
    expect(() => parseEnv({ BETTER_AUTH_SECRET: "short" })).toThrow(/BETTER_AUTH_SECRET: must be at least 32/);
  });

  it("requires the OIDC variables together", () => {
    expect(() => parseEnv({ OIDC_CLIENT_ID: "x" })).toThrow(/must be set together/);
    const env = parseEnv({
      OIDC_DISCOVERY_URL: "https://idp.example/.well-known/openid-configuration",
      OIDC_CLIENT_ID: "a",
      OIDC_CLIENT_SECRET: "b",
    });
    expect(env.OIDC_CLIENT_ID).toBe("a");
  });

  it("listens on loopback unless HOST says otherwise", () => {
    expect(parseEnv({}).HOST).toBe("127.0.0.1");
    expect(parseEnv({ HOST: " " }).HOST).toBe("127.0.0.1");
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"]) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ["0.0.0.0", "::", "192.0.2.2", "fd00::2", "example.com"]) expect(isLoopbackHost(host), host).toBe(false);
  });

  it("refuses the demo's published-password accounts on a non-loopback HOST unless POLICYPLANE_EXPOSE_DEMO=yes, naming the flag", () => {
    expect(() => parseEnv({ HOST: "0.0.0.0" })).toThrow(/POLICYPLANE_DEMO: .*HOST=0\.0\.0\.0.*POLICYPLANE_EXPOSE_DEMO=yes/);
    expect(() => parseEnv({ HOST: "::", DATABASE_URL: "postgres://db/p", POLICYPLANE_DEMO: "on" })).toThrow(/POLICYPLANE_EXPOSE_DEMO=yes/);
    expect(parseEnv({ HOST: "0.0.0.0", POLICYPLANE_DEMO: "off" }).POLICYPLANE_DEMO).toBe("off");
    expect(parseEnv({ HOST: "0.0.0.0", DATABASE_URL: "postgres://db/p" }).POLICYPLANE_DEMO).toBe("off");
    expect(parseEnv({ HOST: "0.0.0.0", POLICYPLANE_EXPOSE_DEMO: "yes" }).POLICYPLANE_DEMO).toBe("on");
  });
});
