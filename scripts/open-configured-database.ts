// For scripts: the database the server would use (DATABASE_URL, or the PGlite
// folder, which must not be open in a running server at the same time).
import path from "node:path";
import { openDatabase } from "@/db/client";
import { env } from "@/server/env";

export function openConfiguredDatabase() {
  const config = env();
  return openDatabase(config.DATABASE_URL ? { kind: "postgres", url: config.DATABASE_URL } : { kind: "pglite", dataDir: path.resolve(config.PGLITE_DIR) });
}
