// Databases for integration tests. TEST_DB=pglite (default) gives an in-memory
// PGlite; TEST_DB=postgres creates a fresh database on the server named by
// TEST_POSTGRES_URL (default: this machine's 127.0.0.1:5432) and drops it on close.
// When the run prepared templates (server/testing/global-setup.ts), each database
// starts as a copy of one instead of running every migration (and the seed) again.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { openDatabase, type DatabaseHandle } from "./client";

export const DEFAULT_TEST_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres";

export function testDatabaseKind(): "pglite" | "postgres" {
  return process.env.TEST_DB === "postgres" ? "postgres" : "pglite";
}

export type TestDatabaseTemplate = "migrated" | "seeded";
/** Per template: a PGlite data-folder dump (a file), or a database name on the TEST_POSTGRES_URL server. */
export type TestDatabaseTemplates = Record<TestDatabaseTemplate, string>;

let templates: TestDatabaseTemplates | undefined;

export function useTestDatabaseTemplates(prepared: TestDatabaseTemplates | undefined): void {
  templates = prepared;
}

export function hasTestDatabaseTemplates(): boolean {
  return templates !== undefined;
}

let beforeClose: () => Promise<void> = async () => {};

/**
 * What must finish before a test database closes: the integration run stops the server's background
 * work there (server/testing/suite-setup.ts), which would otherwise go on against a closed database.
 * That work is the whole process's: a test that closes one of two databases it holds stops the other's
 * waiting alert evaluations too (a later batch starts them again).
 */
export function beforeTestDatabaseCloses(work: () => Promise<void>): void {
  beforeClose = work;
}

/** A fresh, migrated test database; a copy of the named template when the run prepared them. */
export async function openTestDatabase(template: TestDatabaseTemplate = "migrated"): Promise<DatabaseHandle> {
  if (template === "seeded" && !templates) throw new Error("no seeded test database template was prepared for this run");
  const source = templates?.[template];
  if (testDatabaseKind() === "pglite") {
    const handle = await openDatabase({
      kind: "pglite",
      dataDir: null,
      ...(source ? { loadDataDir: new Blob([readFileSync(source)]) } : {}),
    });
    return {
      ...handle,
      async close() {
        await beforeClose();
        await handle.close();
      },
    };
  }
  const created = await createPostgresTestDatabase(source);
  const handle = await openDatabase({ kind: "postgres", url: created.url });
  return {
    ...handle,
    async close() {
      await beforeClose();
      await handle.close();
      await created.drop();
    },
  };
}

/** A new database on the TEST_POSTGRES_URL server (empty, or a copy of `template`): its URL, and how to drop it. */
export async function createPostgresTestDatabase(template?: string): Promise<{ url: string; drop(): Promise<void> }> {
  const { default: postgres } = await import("postgres");
  const adminUrl = process.env.TEST_POSTGRES_URL ?? DEFAULT_TEST_POSTGRES_URL;
  const name = `policyplane_test_${randomBytes(6).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ""}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}
