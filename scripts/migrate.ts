// `npm run db:migrate`: applies pending migrations (the server also does this at start).
import { openConfiguredDatabase } from "./open-configured-database";

const handle = await openConfiguredDatabase().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
console.log(`Migrations applied (${handle.kind}).`);
await handle.close();
