import { DEMO_USERS } from "@/server/seed/demo-data";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { user } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { emptyDatabase, type EmptyDatabase } from "@/server/testing/empty-database";

const root = path.resolve(import.meta.dirname, "..");
const CLEAN_ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(DATABASE_URL|PGLITE_DIR|POLICYPLANE_|HOST$)/.test(k)));

function seed(env: Record<string, string>) {
  return spawnSync(
    process.execPath,
    [path.join(root, "node_modules", "tsx", "dist", "cli.mjs"), "--conditions=react-server", "scripts/seed.ts"],
    { cwd: root, encoding: "utf8", timeout: 120_000, env: { ...CLEAN_ENV, ...env } as NodeJS.ProcessEnv },
  );
}

async function usersIn(database: EmptyDatabase): Promise<number | "no tables"> {
  const handle = await database.open();
  try {
    return (await handle.db.select({ id: user.id }).from(user)).length;
  } finally {
    await handle.close();
  }
}

describe(`npm run seed respects POLICYPLANE_DEMO on ${testDatabaseKind()}`, () => {
  let database: EmptyDatabase | undefined;
  afterEach(async () => {
    await database?.drop();
    database = undefined;
  });

  it("refuses to seed the published-password accounts when the demo is off, naming the variable, and writes nothing", async () => {
    database = await emptyDatabase();
    const run = seed({ ...database.env, POLICYPLANE_DEMO: "off" });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/Nothing seeded: the demo is off \(POLICYPLANE_DEMO=off/);
    expect(await usersIn(database)).toBe(0);
  });

  it("refuses to seed demo accounts for a server listening beyond loopback unless POLICYPLANE_EXPOSE_DEMO=yes", async () => {
    database = await emptyDatabase();
    const refused = seed({ ...database.env, POLICYPLANE_DEMO: "on", HOST: "0.0.0.0" });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/HOST=0\.0\.0\.0.*POLICYPLANE_EXPOSE_DEMO=yes/s);
    expect(await usersIn(database)).toBe(0);
    const asked = seed({ ...database.env, POLICYPLANE_DEMO: "on", HOST: "0.0.0.0", POLICYPLANE_EXPOSE_DEMO: "yes" });
    expect(asked.status, asked.stderr).toBe(0);
    expect(await usersIn(database)).toBe(DEMO_USERS.length);
  });

  it(testDatabaseKind() === "postgres" ? "does not seed a PostgreSQL by default" : "seeds the embedded database by default", async () => {
    database = await emptyDatabase();
    const run = seed(database.env);
    if (testDatabaseKind() === "postgres") {
      expect(run.status).toBe(1);
      expect(await usersIn(database)).toBe(0);
    } else {
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/Seeded the Acme Retail demo organisation/);
      expect(await usersIn(database)).toBe(DEMO_USERS.length);
    }
  });
});
