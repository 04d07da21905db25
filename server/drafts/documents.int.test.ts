import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { policies, policyVersions } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { useSeededDatabase } from "@/server/testing/database";
import { contentHash } from "@/server/lib/canonical";
import { DEMO_POLICIES } from "@/server/seed/demo-data";
import { pendingDrafts, releasedDocuments, releasedWith } from "./documents";

describe(`documents in force on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();

  it("returns every released policy once, at its released version", async () => {
    const docs = await releasedDocuments(database().db);
    expect(docs).toHaveLength(DEMO_POLICIES.length);
    expect(new Set(docs.map((d) => d.name)).size).toBe(DEMO_POLICIES.length);
    expect(await pendingDrafts(database().db)).toEqual([]);
  });

  it("overlays a draft version in place of the released one", async () => {
    const [cart] = await database().db.select().from(policies).where(eq(policies.name, "cart-redis"));
    const [v1] = await database().db.select().from(policyVersions).where(eq(policyVersions.policyId, cart!.id));
    const draft = { ...v1!.document, metadata: { name: "cart-redis", tenant: "checkout", description: "draft" } };
    await database()
      .db.insert(policyVersions)
      .values({ policyId: cart!.id, version: 2, document: draft, contentHash: contentHash(draft), authorLabel: "test" });
    await database().db.update(policies).set({ latestVersion: 2 }).where(eq(policies.id, cart!.id));

    expect(await pendingDrafts(database().db)).toEqual([{ policyId: cart!.id, version: 2, tenantId: cart!.tenantId }]);
    const overlaid = await releasedWith(database().db, await pendingDrafts(database().db));
    expect(overlaid).toHaveLength(DEMO_POLICIES.length);
    expect(overlaid.find((d) => d.name === "cart-redis")).toMatchObject({ version: 2, document: { metadata: { description: "draft" } } });
    expect((await releasedDocuments(database().db)).find((d) => d.name === "cart-redis")?.version).toBe(1);
  });
});
