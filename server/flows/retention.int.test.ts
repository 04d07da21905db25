import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { clusters, flowAggregates } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { useSeededDatabase } from "@/server/testing/database";
import { sweepFlows } from "./retention";

describe(`flow retention on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();

  it("clears old samples, deletes old aggregates, keeps recent ones, and concurrent sweeps neither fail nor double-count", async () => {
    const db = database().db;
    const [c] = await db.select().from(clusters).where(eq(clusters.name, "prod-eu-1"));
    const now = new Date("2026-12-06T00:00:00Z");
    const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);
    const row = (minute: Date, i: number) => ({
      clusterId: c!.id,
      minute,
      source: `payments/src-${i}`,
      destination: "payments/ledger",
      port: 9090,
      protocol: "TCP",
      verdict: "DROPPED",
      flowClass: "violation" as const,
      rationale: "r",
      count: 1,
      samples: [{ time: minute.toISOString(), line: "{}" }],
      firstSeen: minute,
      lastSeen: minute,
    });
    // 300 past the aggregates' 90 days, 200 between 7 and 90 days, 100 recent.
    const rows = [
      ...Array.from({ length: 300 }, (_, i) => row(daysAgo(91 + (i % 5)), i)),
      ...Array.from({ length: 200 }, (_, i) => row(daysAgo(8 + (i % 50)), 1000 + i)),
      ...Array.from({ length: 100 }, (_, i) => row(daysAgo(i % 6), 2000 + i)),
    ];
    await db.insert(flowAggregates).values(rows);
    const results = await Promise.all([sweepFlows(db, undefined, now), sweepFlows(db, undefined, now), sweepFlows(db, undefined, now)]);
    expect(results.reduce((n, r) => n + r.deletedAggregates, 0)).toBe(300);
    expect(results.reduce((n, r) => n + r.clearedSamples, 0)).toBe(200);
    const left = await db.select().from(flowAggregates).where(eq(flowAggregates.clusterId, c!.id));
    expect(left).toHaveLength(300);
    expect(left.filter((r) => r.samples.length === 0)).toHaveLength(200);
    expect(left.filter((r) => r.samples.length === 1).every((r) => r.minute > daysAgo(7))).toBe(true);
    // Sweeping again changes nothing.
    expect(await sweepFlows(db, undefined, now)).toEqual({ clearedSamples: 0, deletedAggregates: 0 });
  });
});
