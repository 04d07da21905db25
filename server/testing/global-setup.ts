// Once per integration run (vitest globalSetup): the audit key every suite seals
// with, two template databases — migrated, and migrated with the demo
// organisation seeded — that each suite copies instead of migrating and seeding
// its own (on PGlite that was most of a suite's set-up time), and the worker
// threads' bundles (each suite runs in a process of its own, which bundled them
// again: ~0.5 s of esbuild a suite).
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { MIGRATIONS_FOLDER, openDatabase, type Database } from "@/db/client";
import { createPostgresTestDatabase, testDatabaseKind, type TestDatabaseTemplates } from "@/db/testing";
import * as schema from "@/db/schema";
import { auditKeyring, configureAudit } from "@/server/audit/keys";
import { seedDemoOrganisation } from "@/server/seed/demo";
import { buildEngineWorker } from "@/scripts/engine-worker.mjs";
import { WORKER_ENTRIES } from "@/scripts/worker-entries.mjs";

declare module "vitest" {
  export interface ProvidedContext {
    auditSecret: string;
    testDatabaseTemplates: TestDatabaseTemplates;
    /** Prebuilt worker bundles by the variable that names each (server/lib/worker-bundle.ts). */
    workerBundles: Record<string, string>;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const auditSecret = randomBytes(32).toString("base64url");
  // The seed writes an audit event: sealed with the key the suites will verify with.
  configureAudit({
    keyring: auditKeyring(auditSecret),
    checkpointFile: path.join(tmpdir(), "unused-checkpoints.jsonl"),
    checkpointSeconds: 0,
  });
  project.provide("auditSecret", auditSecret);
  const bundles = await Promise.all(
    Object.values(WORKER_ENTRIES).map(async (w) => [w.env, await buildEngineWorker(undefined, w.entry, w.prefix)] as const),
  );
  project.provide("workerBundles", Object.fromEntries(bundles));
  const prepared = testDatabaseKind() === "pglite" ? await pgliteTemplates() : await postgresTemplates();
  project.provide("testDatabaseTemplates", prepared.templates);
  return prepared.remove;
}

async function pgliteTemplates() {
  const { PGlite } = await import("@electric-sql/pglite");
  const { drizzle } = await import("drizzle-orm/pglite");
  const { migrate } = await import("drizzle-orm/pglite/migrator");
  const dir = mkdtempSync(path.join(tmpdir(), "pp-templates-"));
  const client = new PGlite();
  const db = drizzle({ client, schema });
  await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  const dump = async (name: string) => {
    // Without a checkpoint the copy starts by replaying the log, and every sequence jumps 32 values ahead.
    await client.exec("CHECKPOINT");
    const file = path.join(dir, `${name}.tar`);
    writeFileSync(file, Buffer.from(await (await client.dumpDataDir("none")).arrayBuffer()));
    return file;
  };
  const migrated = await dump("migrated");
  await seedDemoOrganisation(db as unknown as Database);
  const seeded = await dump("seeded");
  await client.close();
  return { templates: { migrated, seeded }, remove: async () => rmSync(dir, { recursive: true, force: true }) };
}

async function postgresTemplates() {
  const template = async (seed: boolean) => {
    const created = await createPostgresTestDatabase();
    // Opening migrates it; the connection must be closed before the database can serve as a template.
    const handle = await openDatabase({ kind: "postgres", url: created.url });
    if (seed) await seedDemoOrganisation(handle.db);
    await handle.close();
    return { name: new URL(created.url).pathname.slice(1), drop: created.drop };
  };
  const migrated = await template(false);
  const seeded = await template(true);
  return {
    templates: { migrated: migrated.name, seeded: seeded.name },
    remove: async () => {
      await migrated.drop();
      await seeded.drop();
    },
  };
}
