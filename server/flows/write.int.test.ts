import { randomUUID } from "node:crypto";
import { eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { clusters, flowAggregates, violationEvents } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { systemActor } from "@/server/context";
import { useSeededDatabase } from "@/server/testing/database";
import { aggregateRow } from "@/server/testing/flows";
import { writeAggregates } from "./write";

describe(`writing flow aggregates on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60_000);

  async function clusterId(name: string) {
    const [c] = await database().db.select().from(clusters).where(eq(clusters.name, name));
    return c!.id;
  }

  const row = (cluster: string, source: string, count: number, sample: string, tenant: string | null = null) =>
    aggregateRow({ cluster, minute, source, count, sample, tenant });
  const ctx = () => ({ db: database().db, actor: systemActor("test"), requestId: "write-test" });

  it("writes batches arriving during a write together, one row per path, counting every flow and keeping the first three samples", async () => {
    const cluster = await clusterId("prod-eu-1");
    // Twelve batches at once of the same two paths: the first is written alone, the others wait and are merged.
    const batches = Array.from({ length: 12 }, (_, i) => [
      row(cluster, "payments/a", i + 1, `a${i}`),
      row(cluster, "payments/b", 1, `b${i}`),
    ]);
    await Promise.all(batches.map((rows) => writeAggregates(ctx(), rows)));
    const stored = await database().db.select().from(flowAggregates).where(eq(flowAggregates.clusterId, cluster));
    const a = stored.find((r) => r.source === "payments/a")!;
    const b = stored.find((r) => r.source === "payments/b")!;
    expect(stored).toHaveLength(2);
    expect(a.count).toBe((12 * 13) / 2);
    expect(b.count).toBe(12);
    expect(a.samples.map((s) => s.line)).toEqual(["a0", "a1", "a2"]);
    expect(a.firstSeen.getTime()).toBe(minute.getTime() + 1000);
    expect(a.lastSeen.getTime()).toBe(minute.getTime() + 12_000);
    // No SIEM event per write: the aggregates wait, open, for the minute closer (./close.ts).
    expect(stored.every((r) => !r.closed && r.emittedCount === 0)).toBe(true);
    const events = await database()
      .db.select()
      .from(violationEvents)
      .where(inArray(violationEvents.aggregateId, [a.id, b.id]));
    expect(events).toEqual([]);
  });

  it("writes the other batches of a group whose transaction failed, and fails only the batch that cannot be stored", async () => {
    const cluster = await clusterId("prod-us-1");
    const first = writeAggregates(ctx(), [row(cluster, "payments/c", 1, "c0")]);
    // While the first is written, three wait; one names a tenant that does not exist (a foreign key the database refuses).
    const good1 = writeAggregates(ctx(), [row(cluster, "payments/c", 2, "c1")]);
    const bad = writeAggregates(ctx(), [row(cluster, "payments/d", 1, "d0", randomUUID())]);
    const good2 = writeAggregates(ctx(), [row(cluster, "payments/e", 3, "e0")]);
    const outcomes = await Promise.allSettled([first, good1, bad, good2]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    const stored = await database().db.select().from(flowAggregates).where(eq(flowAggregates.clusterId, cluster));
    expect(Object.fromEntries(stored.map((r) => [r.source, r.count]))).toEqual({ "payments/c": 3, "payments/e": 3 });
  });
});
