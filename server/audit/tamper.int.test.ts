// Someone with owner rights can switch the append-only trigger off; the hash
// chain must still show what they did.
import { asc, sql } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "@/db/client";
import { auditEvents } from "@/db/schema";
import { openTestDatabase, testDatabaseKind } from "@/db/testing";
import { systemActor, withTransaction } from "@/server/context";
import { verifyAuditTrail } from "./query";
import { recordAudit } from "./record";

async function asOwner(handle: DatabaseHandle, statement: ReturnType<typeof sql>) {
  await handle.db.execute(sql`ALTER TABLE audit_events DISABLE TRIGGER USER`);
  try {
    await handle.db.execute(statement);
  } finally {
    await handle.db.execute(sql`ALTER TABLE audit_events ENABLE TRIGGER USER`);
  }
}

describe(`audit tamper detection on ${testDatabaseKind()}`, () => {
  let handle: DatabaseHandle;
  beforeEach(async () => {
    handle = await openTestDatabase();
    const ctx = { db: handle.db, actor: systemActor("tamper test"), requestId: "tamper" };
    for (let i = 1; i <= 5; i++) {
      await withTransaction(ctx, (tx) => recordAudit(tx, { action: "policy.updated", targetType: "policy", targetId: `p${i}`, before: { v: i - 1 }, after: { v: i, nested: { b: 2, a: 1 } } }));
    }
  });
  afterEach(async () => {
    await handle.close();
  });

  it("verifies an untouched chain", async () => {
    expect(await verifyAuditTrail(handle.db)).toMatchObject({ ok: true, checked: 5 });
  });

  it("detects an edited event", async () => {
    await asOwner(handle, sql`UPDATE audit_events SET after = '{"v": 99}'::jsonb WHERE seq = 3`);
    expect(await verifyAuditTrail(handle.db)).toMatchObject({ ok: false, brokenAtSeq: 3, checked: 2 });
  });

  it("detects an edited actor even when the attacker recomputes nothing else", async () => {
    await asOwner(handle, sql`UPDATE audit_events SET actor_label = 'someone-else' WHERE seq = 1`);
    expect(await verifyAuditTrail(handle.db)).toMatchObject({ ok: false, brokenAtSeq: 1 });
  });

  it("detects a deleted event", async () => {
    await asOwner(handle, sql`DELETE FROM audit_events WHERE seq = 2`);
    expect(await verifyAuditTrail(handle.db)).toMatchObject({ ok: false, brokenAtSeq: 3 });
  });

  it("detects reordered events", async () => {
    await asOwner(handle, sql`UPDATE audit_events SET seq = CASE seq WHEN 4 THEN 40 WHEN 5 THEN 4 END WHERE seq IN (4, 5)`);
    expect(await verifyAuditTrail(handle.db)).toMatchObject({ ok: false, brokenAtSeq: 4 });
  });

  it("detects a truncated head only relative to a known head hash", async () => {
    const rows = await handle.db.select().from(auditEvents).orderBy(asc(auditEvents.seq));
    const head = rows[rows.length - 1]!.hash;
    await asOwner(handle, sql`DELETE FROM audit_events WHERE seq = 5`);
    const result = await verifyAuditTrail(handle.db);
    // Dropping the newest event leaves a valid shorter chain: the exported head hash is what reveals it.
    expect(result).toMatchObject({ ok: true, checked: 4 });
    expect(result.ok && result.headHash).not.toBe(head);
  });
});
