// The Audit page's incremental verification: it re-hashes only what was appended
// since the last stored (signed) verification, notices when the verified position
// itself no longer holds, and leaves rewrites before it to the full verification.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { desc, eq, sql } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "@/db/client";
import { auditEvents, auditVerifications } from "@/db/schema";
import { openTestDatabase, testDatabaseKind } from "@/db/testing";
import { systemActor, withTransaction } from "@/server/context";
import { asAuditOwner } from "@/server/testing/audit-events";
import { auditSettings, type AuditSettings } from "./keys";
import { verifyAuditTrail } from "./query";
import { recordAudit } from "./record";
import { verifyAuditTrailInFull, verifyEverything, verifyIncrementally } from "./verifications";

describe(`incremental audit verification on ${testDatabaseKind()}`, () => {
  let handle: DatabaseHandle;
  let settings: AuditSettings;
  const ctx = () => ({ db: handle.db, actor: systemActor("verification test"), requestId: "verify" });
  const append = async (n: number) => {
    for (let i = 0; i < n; i++) {
      await withTransaction(ctx(), (tx) =>
        recordAudit(tx, { action: "policy.updated", targetType: "policy", targetId: `p${i}`, after: { v: i, nested: { b: 2, a: 1 } } }),
      );
    }
  };

  beforeEach(async () => {
    handle = await openTestDatabase();
    settings = { ...auditSettings(), checkpointFile: path.join(mkdtempSync(path.join(tmpdir(), "pp-verify-")), "checkpoints.jsonl") };
    await append(5);
  });
  afterEach(async () => {
    await handle.close();
  });

  it("walks the whole chain on the first visit and stores its head as verified in full", async () => {
    const first = await verifyIncrementally(handle.db, settings, "auditor@acme.example");
    expect(first).toMatchObject({ ok: true, mode: "full", checked: 5, headSeq: 5, lastFull: { seq: 5, kind: "full", fromSeq: 1 } });
    const [stored] = await handle.db.select().from(auditVerifications);
    expect(stored).toMatchObject({ seq: 5, kind: "full", verifiedBy: "auditor@acme.example", keyId: settings.keyring.current.id });
  });

  it("re-hashes only the events appended since the last verification, and stores the new head", async () => {
    await verifyIncrementally(handle.db, settings, "auditor");
    await append(3);
    const next = await verifyIncrementally(handle.db, settings, "auditor");
    expect(next).toMatchObject({ ok: true, mode: "incremental", checked: 3, headSeq: 8, resumedFrom: { seq: 5 }, lastFull: { seq: 5 } });
    const again = await verifyIncrementally(handle.db, settings, "auditor");
    expect(again).toMatchObject({
      ok: true,
      mode: "incremental",
      checked: 0,
      headSeq: 8,
      resumedFrom: { seq: 8, kind: "incremental", fromSeq: 6 },
    });
    expect(await handle.db.select({ seq: auditVerifications.seq }).from(auditVerifications).orderBy(auditVerifications.id)).toEqual([
      { seq: 5 },
      { seq: 8 },
    ]);
  });

  it("finds an event edited after the verified position", async () => {
    await verifyIncrementally(handle.db, settings, "auditor");
    await append(3);
    await asAuditOwner(handle, sql`UPDATE audit_events SET after = '{"v": 99}'::jsonb WHERE seq = 7`);
    expect(await verifyIncrementally(handle.db, settings, "auditor")).toMatchObject({ ok: false, brokenAtSeq: 7, checked: 1 });
    // Nothing past the break is stored as verified.
    expect(await handle.db.select({ seq: auditVerifications.seq }).from(auditVerifications)).toEqual([{ seq: 5 }]);
  });

  it("leaves an edit before the verified position to the full verification, which finds it", async () => {
    await verifyIncrementally(handle.db, settings, "auditor");
    await asAuditOwner(handle, sql`UPDATE audit_events SET actor_label = 'someone-else' WHERE seq = 2`);
    // The visit trusts what it verified before (the page says so) ...
    expect(await verifyIncrementally(handle.db, settings, "auditor")).toMatchObject({ ok: true, checked: 0 });
    // ... "Verify everything" and `npm run audit:verify` re-hash from #1.
    expect(await verifyEverything(handle.db, settings, "auditor")).toMatchObject({ ok: false, mode: "full", brokenAtSeq: 2 });
    expect(await verifyAuditTrail(handle.db, settings)).toMatchObject({ ok: false, brokenAtSeq: 2 });
  });

  it("finds the verified event deleted (a cut-off tail) and a rewritten verified event", async () => {
    await verifyIncrementally(handle.db, settings, "auditor");
    await asAuditOwner(handle, sql`DELETE FROM audit_events WHERE seq = 5`);
    expect(await verifyIncrementally(handle.db, settings, "auditor")).toMatchObject({
      ok: false,
      brokenAtSeq: 5,
      reason: expect.stringContaining("is gone"),
    });
    const [four] = await handle.db.select().from(auditEvents).where(eq(auditEvents.seq, 4));
    await handle.db.insert(auditEvents).values({ ...four!, seq: 5, id: crypto.randomUUID(), hash: "f".repeat(64) });
    expect(await verifyIncrementally(handle.db, settings, "auditor")).toMatchObject({
      ok: false,
      brokenAtSeq: 5,
      reason: expect.stringContaining("is not the event verified"),
    });
  });

  it("refuses a verification row planted in the database without the audit key", async () => {
    await verifyIncrementally(handle.db, settings, "auditor");
    const [head] = await handle.db.select().from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
    await handle.db.insert(auditVerifications).values({
      seq: head!.seq,
      hash: head!.hash,
      verifiedAt: new Date(),
      kind: "full",
      fromSeq: 1,
      keyedSince: 1,
      verifiedBy: "intruder",
      keyId: settings.keyring.current.id,
      signature: "0".repeat(64),
    });
    expect(await verifyIncrementally(handle.db, settings, "auditor")).toMatchObject({
      ok: false,
      reason: expect.stringContaining("not signed by the audit key"),
    });
  });

  it("records 'verify everything' in the trail with its verdict, in the transaction that stores the verified head", async () => {
    const result = await verifyAuditTrailInFull({ ctx: ctx() });
    expect(result).toMatchObject({ ok: true, mode: "full", checked: 5, lastFull: { seq: 5 } });
    const [event] = await handle.db.select().from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
    expect(event).toMatchObject({ seq: 6, action: "audit.verified", after: { ok: true, checked: 5, headSeq: 5 } });
    expect(await verifyIncrementally(handle.db, settings, "auditor")).toMatchObject({ ok: true, checked: 1, headSeq: 6 });
  });

  it("runs one 'verify everything' at a time: a second while one runs is refused as busy, and nothing is recorded for it", async () => {
    const first = verifyAuditTrailInFull({ ctx: ctx() });
    await expect(verifyAuditTrailInFull({ ctx: { ...ctx(), actor: systemActor("second reader") } })).rejects.toMatchObject({
      status: 429,
      message: expect.stringMatching(/A full verification started by .+ is still running/),
    });
    expect(await first).toMatchObject({ ok: true, checked: 5 });
    const verified = await handle.db.select().from(auditEvents).where(eq(auditEvents.action, "audit.verified"));
    expect(verified).toHaveLength(1);
    // Once it ended, the next one runs.
    expect(await verifyAuditTrailInFull({ ctx: ctx() })).toMatchObject({ ok: true, checked: 6 });
  });
});
