// `npm run seed`: writes the demo organisation into an empty database, when the
// demo is on (POLICYPLANE_DEMO; off by default with DATABASE_URL): its accounts
// share a published password.
import { env } from "@/server/env";
import { seedDemoOrganisation } from "@/server/seed/demo";
import { openConfiguredDatabase } from "./open-configured-database";

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

const config = (() => {
  try {
    return env();
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
})();
if (config.POLICYPLANE_DEMO !== "on") {
  fail(
    "Nothing seeded: the demo is off (POLICYPLANE_DEMO=off, the default with DATABASE_URL). Its accounts share a published password; " +
      "set POLICYPLANE_DEMO=on to seed it into this database anyway.",
  );
}
const handle = await openConfiguredDatabase().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
const { seeded } = await seedDemoOrganisation(handle.db);
console.log(seeded ? "Seeded the Acme Retail demo organisation." : "The database already has an organisation: nothing seeded.");
await handle.close();
