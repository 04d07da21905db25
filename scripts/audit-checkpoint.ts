// `npm run audit:checkpoint`: exports a signed checkpoint of the chain head now
// (a running server does this every AUDIT_CHECKPOINT_SECONDS and at start).
import { exportCheckpoint } from "@/server/audit/checkpoints";
import { openForAudit } from "./audit-script";

const { settings, handle } = await openForAudit("audit:checkpoint");
const checkpoint = await exportCheckpoint(handle.db, settings).finally(() => handle.close());
console.log(`Checkpoint of head #${checkpoint.seq} ${checkpoint.hash} appended to ${settings.checkpointFile}.`);
