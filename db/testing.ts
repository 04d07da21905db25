// Databases for integration tests. TEST_DB=pglite (default) gives an in-memory
// PGlite; TEST_DB=postgres creates a fresh database on the server named by
// TEST_POSTGRES_URL (default: this machine's 127.0.0.1:5432) and drops it on close.
import { randomBytes } from "node:crypto";
import { openDatabase, type DatabaseHandle } from "./client";

export const DEFAULT_TEST_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres";

export function testDatabaseKind(): "pglite" | "postgres" {
  return process.env.TEST_DB === "postgres" ? "postgres" : "pglite";
}

export async function openTestDatabase(): Promise<DatabaseHandle> {
  if (testDatabaseKind() === "pglite") return openDatabase({ kind: "pglite", dataDir: null });
  const created = await createPostgresTestDatabase();
  const handle = await openDatabase({ kind: "postgres", url: created.url });
  return {
    ...handle,
    async close() {
      await handle.close();
      await created.drop();
    },
  };
}

/** A new, empty database on the TEST_POSTGRES_URL server: its URL, and how to drop it. */
export async function createPostgresTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const { default: postgres } = await import("postgres");
  const adminUrl = process.env.TEST_POSTGRES_URL ?? DEFAULT_TEST_POSTGRES_URL;
  const name = `policyplane_test_${randomBytes(6).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
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
