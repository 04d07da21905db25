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

  it("takes a GitOps remote over https (http only to this machine), never with credentials in the URL, and only with a local folder", () => {
    const dir = { POLICYPLANE_GITOPS_DIR: ".data/gitops" };
    const ok = parseEnv({ ...dir, POLICYPLANE_GITOPS_REMOTE: "https://git.example/ops.git", POLICYPLANE_GITOPS_TOKEN: "t" });
    expect(ok).toMatchObject({ POLICYPLANE_GITOPS_BRANCH: "main", POLICYPLANE_GITOPS_TOKEN: "t" });
    expect(parseEnv({ ...dir, POLICYPLANE_GITOPS_REMOTE: "http://127.0.0.1:8080/ops.git" }).POLICYPLANE_GITOPS_REMOTE).toBe(
      "http://127.0.0.1:8080/ops.git",
    );
    expect(() => parseEnv({ ...dir, POLICYPLANE_GITOPS_REMOTE: "http://git.example/ops.git" })).toThrow(
      /POLICYPLANE_GITOPS_REMOTE: must be an https:\/\/ URL/,
    );
    expect(() => parseEnv({ ...dir, POLICYPLANE_GITOPS_REMOTE: "https://bot:secret@git.example/ops.git" })).toThrow(
      /POLICYPLANE_GITOPS_REMOTE: must not carry credentials/,
    );
    expect(() => parseEnv({ POLICYPLANE_GITOPS_REMOTE: "https://git.example/ops.git" })).toThrow(/needs POLICYPLANE_GITOPS_DIR/);
    expect(() => parseEnv({ ...dir, POLICYPLANE_GITOPS_TOKEN: "t" })).toThrow(
      /POLICYPLANE_GITOPS_TOKEN: set without POLICYPLANE_GITOPS_REMOTE/,
    );
    expect(() => parseEnv({ ...dir, POLICYPLANE_GITOPS_REMOTE: "https://git.example/o.git", POLICYPLANE_GITOPS_BRANCH: "a..b" })).toThrow(
      /POLICYPLANE_GITOPS_BRANCH: must be a Git branch name/,
    );
    expect(
      parseEnv({ ...dir, POLICYPLANE_GITOPS_REMOTE: "https://git.example/o.git", POLICYPLANE_GITOPS_BRANCH: "env/prod" })
        .POLICYPLANE_GITOPS_BRANCH,
    ).toBe("env/prod");
  });
});
