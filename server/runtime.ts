import "server-only";
// The server's long-lived parts, created once per process: the database (the
// process owns the PGlite folder), the auth instance and the demo seed.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { inArray } from "drizzle-orm";
import { databaseTarget, openDatabase, type Database, type DatabaseHandle } from "@/db/client";
import { user } from "@/db/schema";
import { exportCheckpointIfChanged } from "@/server/audit/checkpoints";
import { auditSettingsFromEnv, configureAudit, type AuditSettings } from "@/server/audit/keys";
import { createAuth, type Auth } from "@/server/auth/auth";
import { demoExposedMessage, demoRefusedOnHost, env, type Env } from "@/server/env";
import { observeDatabasePool } from "@/server/metrics/metrics";
import { seedDemoOrganisation } from "@/server/seed/demo";
import { DEMO_USERS } from "@/server/seed/demo-data";
import { perProcess, type PerProcess } from "@/server/lib/per-process";

export interface Runtime {
  database: DatabaseHandle;
  auth: Auth;
  env: Env;
  audit: AuditSettings;
}

/** This process's runtime, created on first use (again after a failed start). */
export const getRuntime: PerProcess<Promise<Runtime>> = perProcess("Runtime", () => {
  const starting: Promise<Runtime> = createRuntime(env()).catch((error: unknown) => {
    // Only this attempt: the runtime may have been stopped meanwhile and another start be under way, or up.
    if (getRuntime.peek() === starting) getRuntime.reset();
    throw error;
  });
  return starting;
});

/**
 * Closes this process's runtime and its database, if it has one (one still starting is awaited; a
 * failed start closed its own), and forgets it: the next getRuntime() starts a new one. For a server
 * shutting down, and for the integration run between test files.
 */
export async function stopRuntime(): Promise<void> {
  const runtime = getRuntime.peek();
  if (!runtime) return;
  getRuntime.reset();
  const started = await runtime.catch(() => null);
  await started?.database.close();
}

export async function createRuntime(config: Env): Promise<Runtime> {
  // Before the database: a missing audit key fails start-up without touching anything.
  const audit = auditSettingsFromEnv(config);
  configureAudit(audit);
  const database = await openDatabase(databaseTarget(config));
  try {
    // parseEnv already refused seeding the demo on such a HOST; accounts seeded earlier must not become reachable either.
    if (demoRefusedOnHost(config) && (await demoAccountsPresent(database.db))) {
      throw new Error(`Refusing to start: the database holds the demo organisation's accounts: ${demoExposedMessage(config)}`);
    }
    const secret = config.BETTER_AUTH_SECRET ?? localSecret(config);
    const auth = createAuth(database.db, config, secret);
    if (config.POLICYPLANE_DEMO === "on") await seedDemoOrganisation(database.db);
    // Seal whatever the chain holds now (including events from before it was keyed) outside the database.
    await exportCheckpointIfChanged(database.db, audit);
    observeDatabasePool({ kind: database.kind, maxConnections: database.maxConnections });
    return { database, auth, env: config, audit };
  } catch (error) {
    await database.close();
    throw error;
  }
}

async function demoAccountsPresent(db: Database): Promise<boolean> {
  const found = await db
    .select({ id: user.id })
    .from(user)
    .where(
      inArray(
        user.email,
        DEMO_USERS.map((u) => u.email),
      ),
    )
    .limit(1);
  return found.length > 0;
}

/**
 * Without BETTER_AUTH_SECRET an embedded install keeps a random secret beside its
 * data, so the quick start needs no configuration. A shared PostgreSQL means
 * several replicas, which must share one secret from the environment.
 */
function localSecret(config: Env): string {
  if (config.DATABASE_URL) throw new Error("BETTER_AUTH_SECRET must be set when DATABASE_URL is used (all replicas need the same secret)");
  const file = path.join(path.resolve(config.PGLITE_DIR), "..", "auth-secret");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(path.dirname(file), { recursive: true });
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}
