import { eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { clusters, flowAggregates, violationEvents } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { systemActor } from "@/server/context";
import { useSeededDatabase } from "@/server/testing/database";
import { aggregateRow } from "@/server/testing/flows";
import { closeMinutes } from "./close";
import { sweepFlows } from "./retention";
import { writeAggregates } from "./write";

describe(`closing minutes into violation events on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const ctx = () => ({ db: database().db, actor: systemActor("test"), requestId: "close-test" });

  async function clusterId(name: string) {
    const [c] = await database().db.select().from(clusters).where(eq(clusters.name, name));
    return c!.id;
  }

  /** The events of a cluster's aggregates as (source, minute, count): per closer pass (cursor order), each pass's sorted. */
  async function eventsOf(cluster: string) {
    const db = database().db;
    const rows = await db
      .select({ source: flowAggregates.source, minute: flowAggregates.minute, count: violationEvents.count, tx: violationEvents.tx })
      .from(violationEvents)
      .innerJoin(flowAggregates, eq(flowAggregates.id, violationEvents.aggregateId))
      .where(eq(flowAggregates.clusterId, cluster))
      .orderBy(violationEvents.tx, violationEvents.seq);
    const passes = new Map<number, string[]>();
    for (const r of rows) passes.set(r.tx, [...(passes.get(r.tx) ?? []), `${r.source} ${r.minute.toISOString().slice(11, 16)} ${r.count}`]);
    return [...passes.values()].map((pass) => pass.sort());
  }

  it("emits one event per path and minute once the minute and its grace period are over, whatever the number of writes", async () => {
    const cluster = await clusterId("prod-eu-1");
    const m0 = new Date("2026-11-01T10:00:00Z");
    const m1 = new Date("2026-11-01T10:01:00Z");
    // Twenty writes over two minutes and two paths, and allowed flows (never an event).
    for (let i = 0; i < 5; i++)
      for (const minute of [m0, m1])
        await writeAggregates(ctx(), [
          aggregateRow({ cluster, minute, source: "payments/a", count: 1 }),
          aggregateRow({ cluster, minute, source: "payments/b", count: 2 }),
          aggregateRow({ cluster, minute, source: "payments/ok", count: 3, flowClass: "allowed" }),
        ]);
    // 10:01 ends at 10:02: with 60 s of grace, 10:02:59 closes 10:00 only.
    expect(await closeMinutes(database().db, { graceSeconds: 60, now: new Date("2026-11-01T10:02:59Z") })).toBe(2);
    expect(await eventsOf(cluster)).toEqual([["payments/a 10:00 5", "payments/b 10:00 10"]]);
    expect(await closeMinutes(database().db, { graceSeconds: 60, now: new Date("2026-11-01T10:03:00Z") })).toBe(2);
    // A pass with nothing new emits nothing.
    expect(await closeMinutes(database().db, { graceSeconds: 60, now: new Date("2026-11-01T10:30:00Z") })).toBe(0);
    expect(await eventsOf(cluster)).toEqual([
      ["payments/a 10:00 5", "payments/b 10:00 10"],
      ["payments/a 10:01 5", "payments/b 10:01 10"],
    ]);
    const stored = await database().db.select().from(flowAggregates).where(eq(flowAggregates.clusterId, cluster));
    expect(stored.filter((r) => r.flowClass !== "allowed").every((r) => r.closed && r.emittedCount === r.count)).toBe(true);
  });

  it("emits flows that arrive after their minute closed as a late delta, and a path first seen late as its own event", async () => {
    const cluster = await clusterId("prod-us-1");
    const minute = new Date("2026-11-02T08:00:00Z");
    const later = new Date("2026-11-02T09:00:00Z");
    await writeAggregates(ctx(), [aggregateRow({ cluster, minute, source: "payments/c", count: 4 })]);
    await closeMinutes(database().db, { now: later });
    await writeAggregates(ctx(), [
      aggregateRow({ cluster, minute, source: "payments/c", count: 3 }),
      aggregateRow({ cluster, minute, source: "payments/d", count: 1 }),
    ]);
    await writeAggregates(ctx(), [aggregateRow({ cluster, minute, source: "payments/c", count: 2 })]);
    await closeMinutes(database().db, { now: later });
    expect(await eventsOf(cluster)).toEqual([["payments/c 08:00 4"], ["payments/c 08:00 5", "payments/d 08:00 1"]]);
    // Every flow in exactly one event: the events of a path and minute add up to its count.
    const [c] = await database().db.select().from(flowAggregates).where(eq(flowAggregates.source, "payments/c"));
    expect(c).toMatchObject({ count: 9, emittedCount: 9, closed: true });
  });

  it("emits each event once when closers run at once (several replicas), with writes landing meanwhile", async () => {
    const cluster = await clusterId("staging-eu-1");
    const minute = new Date("2026-11-03T12:00:00Z");
    const now = new Date("2026-11-03T13:00:00Z");
    const sources = Array.from({ length: 300 }, (_, i) => `payments/s${String(i).padStart(3, "0")}`);
    await writeAggregates(
      ctx(),
      sources.map((source) => aggregateRow({ cluster, minute, source, count: 2 })),
    );
    const db = database().db;
    const late = sources.slice(0, 50).map((source) => aggregateRow({ cluster, minute, source, count: 1 }));
    const closed = await Promise.all([
      closeMinutes(db, { now }),
      closeMinutes(db, { now }),
      writeAggregates(ctx(), late),
      closeMinutes(db, { now }),
    ]);
    const afterwards = await closeMinutes(db, { now });
    const stored = await db.select().from(flowAggregates).where(eq(flowAggregates.clusterId, cluster));
    const events = await db
      .select()
      .from(violationEvents)
      .where(
        inArray(
          violationEvents.aggregateId,
          stored.map((r) => r.id),
        ),
      );
    // 300 closes plus, for the 50 written again, either one event of 3 or a close of 2 and a late 1.
    expect(events.reduce((n, e) => n + e.count, 0)).toBe(300 * 2 + 50);
    const emitted = new Map<string, number>();
    for (const e of events) emitted.set(e.aggregateId, (emitted.get(e.aggregateId) ?? 0) + e.count);
    expect(emitted.size).toBe(300);
    for (const r of stored) expect(emitted.get(r.id), r.source).toBe(r.count);
    // The closers split the 300 (none closed one twice: its delta would have been 0 and left out). Rows the
    // concurrent write held locked were skipped by the concurrent closers and closed by the one afterwards.
    expect([closed[0], closed[1], closed[3], afterwards].reduce((n: number, c) => n + (c as number), 0)).toBeGreaterThanOrEqual(300);
  });

  it("deletes an aggregate's events with it (retention bounds the stream)", async () => {
    const cluster = await clusterId("prod-eu-1");
    const old = new Date("2026-08-01T00:00:00Z");
    await writeAggregates(ctx(), [aggregateRow({ cluster, minute: old, source: "payments/old", count: 1 })]);
    await closeMinutes(database().db, { now: new Date("2026-08-01T01:00:00Z") });
    const [agg] = await database().db.select().from(flowAggregates).where(eq(flowAggregates.source, "payments/old"));
    const eventsOfOld = () => database().db.select().from(violationEvents).where(eq(violationEvents.aggregateId, agg!.id));
    expect(await eventsOfOld()).toHaveLength(1);
    const swept = await sweepFlows(database().db, { samplesDays: 7, aggregatesDays: 90 }, new Date("2026-12-01T00:00:00Z"));
    expect(swept.deletedAggregates).toBeGreaterThanOrEqual(1);
    expect(await eventsOfOld()).toEqual([]);
  });
});
