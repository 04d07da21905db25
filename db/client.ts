import "server-only";
// One client factory for both databases: PGlite (embedded, a data folder owned
// by exactly one process) or PostgreSQL when a postgres:// URL is given. Both
// run the same drizzle migrations.
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ExtractTablesWithRelations } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from "drizzle-orm/pg-core";
import type { Sql } from "postgres";
import { lockFolder } from "@/scripts/folder-lock.mjs";
import * as schema from "./schema";

type Schema = typeof schema;
export type Database = PgDatabase<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
export type Transaction = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Anything queries can run on: the database itself or an open transaction. */
export type Queryable = Database | Transaction;

export type DatabaseTarget =
  /** migrationUrl: an owner role runs the migrations; `url` (the application's role) need not own anything. */
  | { kind: "postgres"; url: string; migrationUrl?: string }
  | {
      kind: "pglite";
      dataDir: string | null /* null: in memory */;
      /** A data folder dumped by PGlite's dumpDataDir, to start from instead of an empty cluster (tests). */
      loadDataDir?: Blob;
    };

export interface DatabaseHandle {
  db: Database;
  kind: DatabaseTarget["kind"];
  /** Connections its pool may open (PGlite: one, in process); reported by /api/v1/metrics. */
  maxConnections: number;
  close(): Promise<void>;
}

/** Connections each process opens to PostgreSQL at most (the application's role). */
export const POSTGRES_POOL_MAX = 10;

/** Longest wait, in seconds, between two attempts to connect to PostgreSQL while it is unreachable. */
export const POSTGRES_MAX_BACKOFF_S = 2;

/**
 * What every client of the application's role is opened with (the pool, and a connection of its own).
 * While the database is unreachable, postgres.js waits longer before each new attempt, up to 20 s by
 * default: a decision point's health check and its fail-closed answers then took tens of seconds
 * after an outage began. Here the wait grows as postgres.js's does (jittered) but stops at 2 s, and a
 * connection that does not open gives up after 5 s. Either stays the URL's (`?connect_timeout=`,
 * `?backoff=`) or the environment's (PGCONNECT_TIMEOUT, PGBACKOFF) where one sets it, as postgres.js
 * reads them.
 */
export function postgresOptions(url: string) {
  const query = URL.canParse(url) ? new URL(url).searchParams : new URLSearchParams(url.split("?")[1] ?? "");
  const unset = (name: string) => !query.has(name) && !process.env[`PG${name.toUpperCase()}`];
  return {
    onnotice: () => {},
    ...(unset("connect_timeout") ? { connect_timeout: 5 } : {}),
    ...(unset("backoff") ? { backoff: boundedBackoff } : {}),
  };
}

/** postgres.js's wait before a new attempt (seconds), capped at POSTGRES_MAX_BACKOFF_S. */
export const boundedBackoff = (retries: number) => (0.5 + Math.random() / 2) * Math.min(3 ** retries / 100, POSTGRES_MAX_BACKOFF_S);

/** The application_name of a connection opened by ownConnection (it shows so in pg_stat_activity). */
export const OWN_CONNECTION_NAME = "policyplane own connection";

/** How to open a PostgreSQL connection of its own beside each PostgreSQL database's pool (see ownConnection). */
const ownConnections = new WeakMap<object, () => Sql>();

/**
 * A new PostgreSQL client of one connection, outside `db`'s pool, with the pool's URL and options (the
 * audit walk streams COPY on it: postgres.js may leave a connection that ran a COPY TO STDOUT with its
 * socket paused, porsager/postgres #499, #1016, so no COPY runs on the pool). Null for PGlite and for a
 * transaction (it would not see the transaction's rows). The caller ends it (`end()`).
 */
export function ownConnection(db: Queryable): Sql | null {
  return ownConnections.get(db)?.() ?? null;
}

/** The configured database: DATABASE_URL (migrated through DATABASE_MIGRATION_URL when set), else the PGlite folder. */
export function databaseTarget(config: {
  DATABASE_URL?: string | undefined;
  DATABASE_MIGRATION_URL?: string | undefined;
  PGLITE_DIR: string;
}): DatabaseTarget {
  if (!config.DATABASE_URL) return { kind: "pglite", dataDir: path.resolve(config.PGLITE_DIR) };
  return {
    kind: "postgres",
    url: config.DATABASE_URL,
    ...(config.DATABASE_MIGRATION_URL ? { migrationUrl: config.DATABASE_MIGRATION_URL } : {}),
  };
}

/** Beside this file; or, bundled into the CLI under node_modules/.cache, in the project's db/ folder above the bundle. */
function migrationsFolder(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = path.dirname(dir)) {
    for (const candidate of [path.join(dir, "migrations"), path.join(dir, "db", "migrations")])
      if (existsSync(path.join(candidate, "meta", "_journal.json"))) return candidate;
    if (path.dirname(dir) === dir) return path.join(here, "migrations");
  }
}
export const MIGRATIONS_FOLDER = migrationsFolder();

export async function openDatabase(target: DatabaseTarget): Promise<DatabaseHandle> {
  if (target.kind === "postgres") {
    const { default: postgres } = await import("postgres");
    const { drizzle } = await import("drizzle-orm/postgres-js");
    const { migrate } = await import("drizzle-orm/postgres-js/migrator");
    if (target.migrationUrl) {
      const owner = postgres(target.migrationUrl, { max: 1, onnotice: () => {} });
      try {
        await migrate(drizzle({ client: owner, schema }), { migrationsFolder: MIGRATIONS_FOLDER });
      } finally {
        await owner.end();
      }
    }
    const client = postgres(target.url, { ...postgresOptions(target.url), max: POSTGRES_POOL_MAX });
    const db = drizzle({ client, schema });
    if (!target.migrationUrl) await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
    ownConnections.set(db, () =>
      // No array types fetched: COPY text needs none, and that query's failure (a connection killed as it opens) goes unhandled.
      postgres(target.url, {
        ...postgresOptions(target.url),
        max: 1,
        fetch_types: false,
        connection: { application_name: OWN_CONNECTION_NAME },
      }),
    );
    return { db: db as unknown as Database, kind: "postgres", maxConnections: POSTGRES_POOL_MAX, close: () => client.end() };
  }
  const { PGlite } = await import("@electric-sql/pglite");
  const { drizzle } = await import("drizzle-orm/pglite");
  const { migrate } = await import("drizzle-orm/pglite/migrator");
  const releaseLock = target.dataDir ? lockDataDir(target.dataDir) : () => {};
  try {
    const client = new PGlite({
      ...(target.dataDir ? { dataDir: target.dataDir } : {}),
      ...(target.loadDataDir ? { loadDataDir: target.loadDataDir } : {}),
    });
    const db = drizzle({ client, schema });
    await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
    return {
      db: db as unknown as Database,
      kind: "pglite",
      maxConnections: 1,
      close: async () => {
        await client.close();
        releaseLock();
      },
    };
  } catch (error) {
    releaseLock();
    throw error;
  }
}

/**
 * A PGlite folder opened by two processes loses updates without any error, so
 * the folder carries a lock naming its owner's pid (`npm start` takes it before
 * building; the server it becomes holds it from then on).
 */
function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  return lockFolder(dataDir, {
    label: "The embedded database",
    advice:
      "Only one process may open it (probably the Policyplane server holds it): stop that process first, or use PostgreSQL (DATABASE_URL) for several.",
  });
}
