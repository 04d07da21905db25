// `npm run audit:verify`: checks the keyed hash chain and the exported checkpoints.
// Exit 0: intact; 1: tampered (the message names the first bad event); 2: cannot check.
import { availableParallelism } from "node:os";
import { verifyAuditTrail } from "@/server/audit/query";
import { openForAudit } from "./audit-script";

const { settings, handle } = await openForAudit("audit:verify");
// A process of its own: a long trail is hashed in one worker thread per core (a short one on the main thread).
const result = await verifyAuditTrail(handle.db, settings, { threadsForLongWalk: availableParallelism() }).finally(() => handle.close());
if (!result.ok) {
  console.error(`TAMPERED: ${result.reason}. ${result.checked} event(s) before it verified.`);
  process.exit(1);
}
console.log(`Audit chain intact: ${result.checked} event(s), head #${result.headSeq} ${result.headHash}.`);
console.log(
  result.checkpoint
    ? `The newest checkpoint in ${settings.checkpointFile} (#${result.checkpoint.seq}, exported ${result.checkpoint.at}) is in the chain.`
    : `No checkpoint in ${settings.checkpointFile}: a deleted tail cannot be detected until one is exported (npm run audit:checkpoint).`,
);
