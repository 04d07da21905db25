import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "@/db/client";
import { policies, policyVersions } from "@/db/schema";
import { openTestDatabase, testDatabaseKind } from "@/db/testing";
import { contentHash } from "@/server/lib/canonical";
import { DEMO_POLICIES } from "@/server/seed/demo-data";
import { seedDemoOrganisation } from "@/server/seed/demo";
import { pendingDrafts, releasedDocuments, releasedWith } from "./documents";

describe(`documents in force on ${testDatabaseKind()}`, () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await openTestDatabase();
    await seedDemoOrganisation(handle.db);
  });
  afterAll(async () => {
    await handle?.close();
  });

  it("returns every released policy once, at its released version", async () => {
    const docs = await releasedDocuments(handle.db);
    expect(docs).toHaveLength(DEMO_POLICIES.length);
    expect(new Set(docs.map((d) => d.name)).size).toBe(DEMO_POLICIES.length);
    expect(await pendingDrafts(handle.db)).toEqual([]);
  });

  it("overlays a draft version in place of the released one", async () => {
    const [cart] = await handle.db.select().from(policies).where(eq(policies.name, "cart-redis"));
    const [v1] = await handle.db.select().from(policyVersions).where(eq(policyVersions.policyId, cart!.id));
    const draft = { ...(v1!.document as Record<string, unknown>), metadata: { name: "cart-redis", tenant: "checkout", description: "draft" } };
    await handle.db.insert(policyVersions).values({ policyId: cart!.id, version: 2, document: draft, contentHash: contentHash(draft), authorLabel: "test" });
    await handle.db.update(policies).set({ latestVersion: 2 }).where(eq(policies.id, cart!.id));

    expect(await pendingDrafts(handle.db)).toEqual([{ policyId: cart!.id, version: 2 }]);
    const overlaid = await releasedWith(handle.db, await pendingDrafts(handle.db));
    expect(overlaid).toHaveLength(DEMO_POLICIES.length);
    expect(overlaid.find((d) => d.name === "cart-redis")).toMatchObject({ version: 2, document: { metadata: { description: "draft" } } });
    expect((await releasedDocuments(handle.db)).find((d) => d.name === "cart-redis")?.version).toBe(1);
  });
});
