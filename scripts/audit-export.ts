// `npm run audit:export`: every audit event as one JSON line, in chain order, to stdout.
import { auditEventsInOrder } from "@/server/audit/query";
import { openConfiguredDatabase } from "./open-configured-database";

const handle = await openConfiguredDatabase().catch((error: unknown) => {
  console.error(`audit:export: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
});
try {
  for await (const event of auditEventsInOrder(handle.db)) {
    // Respect back-pressure: a SIEM pipe may read slower than the database answers.
    if (!process.stdout.write(`${JSON.stringify(event)}\n`)) await new Promise((resolve) => process.stdout.once("drain", resolve));
  }
} finally {
  await handle.close();
}
