// A fresh test database (PGlite or PostgreSQL, see db/testing.ts) per suite,
// seeded with the demo organisation, closed (and dropped) after the suite.
import { afterAll, beforeAll } from "vitest";
import type { DatabaseHandle } from "@/db/client";
import { hasTestDatabaseTemplates, openTestDatabase } from "@/db/testing";
import { seedDemoOrganisation } from "@/server/seed/demo";

export function useSeededDatabase(): () => DatabaseHandle {
  let handle: DatabaseHandle | undefined;
  beforeAll(async () => {
    if (hasTestDatabaseTemplates()) handle = await openTestDatabase("seeded");
    else {
      handle = await openTestDatabase();
      await seedDemoOrganisation(handle.db);
    }
  });
  afterAll(async () => {
    await handle?.close();
  });
  return () => {
    if (!handle) throw new Error("the test database is not open yet (use it inside a test or hook)");
    return handle;
  };
}
