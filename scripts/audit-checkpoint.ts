// `npm run audit:checkpoint`: exports a signed checkpoint of the chain head now
// (a running server does this every AUDIT_CHECKPOINT_SECONDS and at start).
import { exportCheckpoint } from "@/server/audit/checkpoints";
import { auditSettings } from "@/server/audit/keys";
import { openConfiguredDatabase } from "./open-configured-database";

function fail(error: unknown): never {
  console.error(`audit:checkpoint: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}

const settings = (() => {
  try {
    return auditSettings();
  } catch (error) {
    return fail(error);
  }
})();
const handle = await openConfiguredDatabase().catch(fail);
const checkpoint = await exportCheckpoint(handle.db, settings).finally(() => handle.close());
console.log(`Checkpoint of head #${checkpoint!.seq} ${checkpoint!.hash} appended to ${settings.checkpointFile}.`);
