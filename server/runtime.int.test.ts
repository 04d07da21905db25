import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { DEMO_USERS } from "@/server/seed/demo-data";
import { afterEach, describe, expect, it } from "vitest";
import { user } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { forgetEnv, parseEnv } from "@/server/env";
import { createRuntime, getRuntime, stopRuntime } from "@/server/runtime";
import { emptyDatabase, type EmptyDatabase } from "@/server/testing/empty-database";

describe(`start-up with the demo's accounts on ${testDatabaseKind()}`, () => {
  let database: EmptyDatabase | undefined;
  afterEach(async () => {
    await database?.drop();
    database = undefined;
  });

  it("refuses to start on a non-loopback HOST while the database holds the demo's accounts, unless POLICYPLANE_EXPOSE_DEMO=yes", async () => {
    database = await emptyDatabase();
    // Seeded by a server on loopback …
    const local = await createRuntime(parseEnv({ ...database.env, POLICYPLANE_DEMO: "on" }));
    await local.database.close();
    // … then restarted for the network with the demo off: the accounts are still there, with their published password.
    const exposed = parseEnv({ ...database.env, POLICYPLANE_DEMO: "off", HOST: "0.0.0.0" });
    await expect(createRuntime(exposed)).rejects.toThrow(
      /Refusing to start: the database holds the demo organisation's accounts: .*POLICYPLANE_EXPOSE_DEMO=yes/,
    );
    const asked = await createRuntime(
      parseEnv({ ...database.env, POLICYPLANE_DEMO: "off", HOST: "0.0.0.0", POLICYPLANE_EXPOSE_DEMO: "yes" }),
    );
    expect((await asked.database.db.select({ id: user.id }).from(user)).length).toBe(DEMO_USERS.length);
    await asked.database.close();
  });

  it("starts on a non-loopback HOST with a database that has no demo accounts", async () => {
    database = await emptyDatabase();
    const runtime = await createRuntime(parseEnv({ ...database.env, POLICYPLANE_DEMO: "off", HOST: "0.0.0.0" }));
    expect((await runtime.database.db.select({ id: user.id }).from(user)).length).toBe(0);
    await runtime.database.close();
  });
});

describe(`this process's runtime (getRuntime) on ${testDatabaseKind()}`, () => {
  let database: EmptyDatabase | undefined;
  const envBefore = { ...process.env };
  /** Starts the process's runtime with these variables over the environment (env() reads it). */
  const startWith = (variables: Record<string, string | undefined>) => {
    Object.assign(process.env, variables);
    for (const [name, value] of Object.entries(variables)) if (value === undefined) delete process.env[name];
    forgetEnv();
    return getRuntime();
  };
  afterEach(async () => {
    await stopRuntime();
    for (const name of Object.keys(process.env)) if (!(name in envBefore)) delete process.env[name];
    Object.assign(process.env, envBefore);
    forgetEnv();
    await database?.drop();
    database = undefined;
  });

  it("keeps a runtime started after a stop when the failed start before it ends later, and stopRuntime closes its database", async () => {
    database = await emptyDatabase();
    // A start that fails once under way (its audit key file is missing) …
    const failing = startWith({
      ...database.env,
      POLICYPLANE_DEMO: "off",
      AUDIT_KEY: undefined,
      AUDIT_KEY_FILE: path.join(tmpdir(), "pp-no-such-dir", "audit-key"),
    });
    // … is stopped, and the server starts again, rightly configured, before that failure comes back.
    const stopping = stopRuntime();
    const started = startWith({ ...database.env, POLICYPLANE_DEMO: "off", AUDIT_KEY_FILE: undefined });
    await expect(failing).rejects.toThrow(/AUDIT_KEY_FILE .* cannot be read/);
    await stopping;
    const runtime = await started;
    // The failure cleared only its own attempt: the process keeps the runtime that is up.
    expect(getRuntime.peek()).toBe(started);

    await stopRuntime();
    expect(getRuntime.peek()).toBeUndefined();
    await expect(runtime.database.db.execute(sql`select 1`)).rejects.toThrow();
  });
});
