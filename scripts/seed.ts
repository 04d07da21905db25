// `npm run seed`: writes the demo organisation into an empty database.
import { seedDemoOrganisation } from "@/server/seed/demo";
import { openConfiguredDatabase } from "./open-configured-database";

const handle = await openConfiguredDatabase().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
const { seeded } = await seedDemoOrganisation(handle.db);
console.log(seeded ? "Seeded the Acme Retail demo organisation." : "The database already has an organisation: nothing seeded.");
await handle.close();
