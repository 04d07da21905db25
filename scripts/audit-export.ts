// `npm run audit:export`: every audit event as one JSON line, in chain order, to stdout.
import { auditEventsInOrder } from "@/server/audit/query";
import { openForAudit } from "./audit-script";

const { handle } = await openForAudit("audit:export");
try {
  for await (const event of auditEventsInOrder(handle.db)) {
    // Respect back-pressure: a SIEM pipe may read slower than the database answers.
    if (!process.stdout.write(`${JSON.stringify(event)}\n`)) await new Promise((resolve) => process.stdout.once("drain", resolve));
  }
} finally {
  await handle.close();
}
