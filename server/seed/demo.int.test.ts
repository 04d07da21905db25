import { count, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "@/db/client";
import * as t from "@/db/schema";
import { openTestDatabase, testDatabaseKind } from "@/db/testing";
import { verifyAuditTrail } from "@/server/audit/query";
import { policyplaneDocument } from "@/server/policy/documents/schema";
import { DEMO_POLICIES, DEMO_USERS } from "./demo-data";
import { seedDemoOrganisation } from "./demo";

describe(`demo seed on ${testDatabaseKind()}`, () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await openTestDatabase();
  });
  afterAll(async () => {
    await handle?.close();
  });

  it("every demo policy document is valid against the document schema", () => {
    for (const { document } of DEMO_POLICIES) {
      const result = policyplaneDocument.safeParse(document);
      expect(result.error?.issues ?? [], document.metadata.name).toEqual([]);
    }
  });

  it("writes a realistic organisation once and is idempotent", async () => {
    expect(await seedDemoOrganisation(handle.db)).toEqual({ seeded: true });
    expect(await seedDemoOrganisation(handle.db)).toEqual({ seeded: false });
    const [clusters] = await handle.db.select({ n: count() }).from(t.clusters);
    const [tenants] = await handle.db.select({ n: count() }).from(t.tenants);
    const [workloads] = await handle.db.select({ n: count() }).from(t.workloads);
    const [users] = await handle.db.select({ n: count() }).from(t.user);
    expect(clusters?.n).toBe(3);
    expect(tenants?.n).toBe(6);
    expect(workloads?.n).toBeGreaterThanOrEqual(40);
    expect(users?.n).toBe(DEMO_USERS.length);
    const tiers = await handle.db.selectDistinct({ tier: t.policies.tier }).from(t.policies);
    expect(tiers.map((r) => r.tier).sort()).toEqual(["baseline", "cluster", "global", "namespace", "regional"]);
  });

  it("keeps policy versions immutable at the database", async () => {
    await expect(handle.db.execute(sql`UPDATE policy_versions SET message = 'rewritten'`)).rejects.toThrow();
  });

  it("records the seed in an intact audit chain", async () => {
    const events = await handle.db.select().from(t.auditEvents).where(eq(t.auditEvents.action, "demo.seeded"));
    expect(events).toHaveLength(1);
    expect(await verifyAuditTrail(handle.db)).toMatchObject({ ok: true, checked: 1 });
  });
});

describe(`demo seed raced by two processes on ${testDatabaseKind()}`, () => {
  it("seeds once when several start together on one empty database", async () => {
    const handle = await openTestDatabase();
    try {
      const results = await Promise.all([
        seedDemoOrganisation(handle.db),
        seedDemoOrganisation(handle.db),
        seedDemoOrganisation(handle.db),
      ]);
      expect(results.filter((r) => r.seeded)).toHaveLength(1);
      const [tenantsCount] = await handle.db.select({ n: count() }).from(t.tenants);
      expect(tenantsCount?.n).toBe(6);
    } finally {
      await handle.close();
    }
  });
});
