import { DEMO_USERS } from "@/server/seed/demo-data";
import { afterEach, describe, expect, it } from "vitest";
import { user } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { parseEnv } from "@/server/env";
import { createRuntime } from "@/server/runtime";
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
