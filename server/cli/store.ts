// For the CLI's commands on the server's store (admin, backup, restore): the audit key and the database
// the server uses (DATABASE_URL, or its PGlite folder while the server is stopped), or null after saying
// on stderr why not (the command exits 1 without touching anything).
import type { DatabaseHandle } from "@/db/client";
import { openConfiguredDatabase } from "@/scripts/open-configured-database";
import { auditSettings } from "@/server/audit/keys";
import { env } from "@/server/env";

export async function openStore(): Promise<DatabaseHandle | null> {
  try {
    env();
    // The audit key is configuration too: a missing one is said here, before the database is touched.
    auditSettings();
    return await openConfiguredDatabase();
  } catch (error) {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return null;
  }
}
