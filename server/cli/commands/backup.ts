// `policyplane backup --out <file>` and `policyplane restore <file>` (server/backup/bundle.ts), on the
// database the server uses (DATABASE_URL, or its PGlite folder while the server is stopped). Exit 0 with a
// one-line JSON summary; exit 1 when refused (a corrupt bundle, another schema, a database that is not
// empty, a chain that does not verify with this audit key), with nothing written.
import type { DatabaseHandle } from "@/db/client";
import { auditSettings } from "@/server/audit/keys";
import { BackupRefused, restoreBackup, writeBackup } from "@/server/backup/bundle";
import { openStore } from "../store";

async function withStore(run: (db: DatabaseHandle["db"]) => Promise<unknown>): Promise<number> {
  // The audit key first: a backup records itself in the chain, a restore verifies the chain with it.
  const handle = await openStore();
  if (!handle) return 1;
  try {
    process.stdout.write(`${JSON.stringify(await run(handle.db))}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof BackupRefused)) throw error;
    process.stderr.write(`error: ${error.message}\n`);
    return 1;
  } finally {
    await handle.close();
  }
}

export function runBackup(opts: { out: string }): Promise<number> {
  return withStore((db) => writeBackup(db, opts.out));
}

export function runRestore(file: string): Promise<number> {
  return withStore((db) => restoreBackup(db, file, auditSettings().keyring));
}
