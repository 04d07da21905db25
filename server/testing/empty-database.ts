// An empty database that another process (or a runtime under test) opens by
// its configuration: a fresh PostgreSQL database (TEST_DB=postgres) or a fresh
// PGlite folder. `env` is what that process needs; `open` gives the test its own look.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openDatabase, type DatabaseHandle } from "@/db/client";
import { createPostgresTestDatabase, testDatabaseKind } from "@/db/testing";

export interface EmptyDatabase {
  env: Record<string, string>;
  open(): Promise<DatabaseHandle>;
  drop(): Promise<void>;
}

export async function emptyDatabase(): Promise<EmptyDatabase> {
  if (testDatabaseKind() === "pglite") {
    const dir = mkdtempSync(path.join(tmpdir(), "pp-empty-"));
    const dataDir = path.join(dir, "pglite");
    return {
      env: { PGLITE_DIR: dataDir },
      open: () => openDatabase({ kind: "pglite", dataDir }),
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const created = await createPostgresTestDatabase();
  // What a PostgreSQL installation must configure: the shared secrets, and where checkpoints go.
  const files = mkdtempSync(path.join(tmpdir(), "pp-empty-"));
  return {
    env: {
      DATABASE_URL: created.url,
      BETTER_AUTH_SECRET: randomBytes(32).toString("base64url"),
      AUDIT_KEY: randomBytes(32).toString("base64url"),
      AUDIT_CHECKPOINT_FILE: path.join(files, "audit-checkpoints.jsonl"),
    },
    open: () => openDatabase({ kind: "postgres", url: created.url }),
    drop: async () => {
      await created.drop();
      rmSync(files, { recursive: true, force: true });
    },
  };
}
