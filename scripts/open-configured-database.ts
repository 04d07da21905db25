// For scripts: the database the server would use (DATABASE_URL, or the PGlite
// folder, which must not be open in a running server at the same time).
import { databaseTarget, openDatabase } from "@/db/client";
import { env } from "@/server/env";

export async function openConfiguredDatabase() {
  return openDatabase(databaseTarget(env()));
}
