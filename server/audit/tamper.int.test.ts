// Someone with owner rights can switch the append-only trigger off and rewrite
// rows; the keyed chain and the exported checkpoints must still show what they did.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { asc, sql } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "@/db/client";
import { auditEvents } from "@/db/schema";
import { openTestDatabase, testDatabaseKind } from "@/db/testing";
import { systemActor, withTransaction } from "@/server/context";
import { asAuditOwner } from "@/server/testing/audit-events";
import { GENESIS_HASH, legacyEventHash } from "./chain";
import { exportCheckpoint, exportCheckpointIfChanged } from "./checkpoints";
import { auditSettings, type AuditSettings } from "./keys";
import { verifyAuditTrail } from "./query";
import { recordAudit } from "./record";

/** Recomputes every event's hash as plain SHA-256 without a key id: what anyone can do without the key. */
async function rehashWithoutKey(handle: DatabaseHandle) {
  const rows = await handle.db.select().from(auditEvents).orderBy(asc(auditEvents.seq));
  let prevHash = GENESIS_HASH;
  for (const row of rows) {
    const hash = legacyEventHash(prevHash, { ...row, keyId: null });
    await asAuditOwner(handle, sql`UPDATE audit_events SET key_id = NULL, prev_hash = ${prevHash}, hash = ${hash} WHERE seq = ${row.seq}`);
    prevHash = hash;
  }
}

describe(`audit tamper detection on ${testDatabaseKind()}`, () => {
  let handle: DatabaseHandle;
  let settings: AuditSettings;
  /** The verdict of the JSON batches, checked equal to the COPY reader's (PostgreSQL; PGlite reads JSON both times). */
  const verify = async (s: AuditSettings = settings) => {
    const json = await verifyAuditTrail(handle.db, s, { copyFrom: Infinity });
    expect(await verifyAuditTrail(handle.db, s, { copyFrom: 0 })).toEqual(json);
    return json;
  };
  beforeEach(async () => {
    handle = await openTestDatabase();
    settings = { ...auditSettings(), checkpointFile: path.join(mkdtempSync(path.join(tmpdir(), "pp-tamper-")), "checkpoints.jsonl") };
    const ctx = { db: handle.db, actor: systemActor("tamper test"), requestId: "tamper" };
    for (let i = 1; i <= 5; i++) {
      await withTransaction(ctx, (tx) =>
        recordAudit(tx, {
          action: "policy.updated",
          targetType: "policy",
          targetId: `p${i}`,
          before: { v: i - 1 },
          after: { v: i, nested: { b: 2, a: 1 } },
        }),
      );
    }
  });
  afterEach(async () => {
    await handle.close();
  });

  it("verifies an untouched chain", async () => {
    expect(await verify()).toMatchObject({ ok: true, checked: 5, headSeq: 5, checkpoint: null });
  });

  it("detects an edited event", async () => {
    await asAuditOwner(handle, sql`UPDATE audit_events SET after = '{"v": 99}'::jsonb WHERE seq = 3`);
    expect(await verify()).toMatchObject({ ok: false, brokenAtSeq: 3, checked: 2 });
  });

  it("detects an edited actor even when the attacker recomputes nothing else", async () => {
    await asAuditOwner(handle, sql`UPDATE audit_events SET actor_label = 'someone-else' WHERE seq = 1`);
    expect(await verify()).toMatchObject({ ok: false, brokenAtSeq: 1 });
  });

  it("detects a deleted event", async () => {
    await asAuditOwner(handle, sql`DELETE FROM audit_events WHERE seq = 2`);
    expect(await verify()).toMatchObject({ ok: false, brokenAtSeq: 3 });
  });

  it("detects reordered events", async () => {
    await asAuditOwner(handle, sql`UPDATE audit_events SET seq = CASE seq WHEN 4 THEN 40 WHEN 5 THEN 4 END WHERE seq IN (4, 5)`);
    expect(await verify()).toMatchObject({ ok: false, brokenAtSeq: 4 });
  });

  it("detects an owner who rewrites an event and recomputes the unkeyed hash of it and of every later event", async () => {
    const rows = await handle.db.select().from(auditEvents).orderBy(asc(auditEvents.seq));
    // The attacker knows the hash recipe (it is in the source) but not the key: they drop the key id and use plain SHA-256.
    let prevHash = rows[1]!.hash;
    for (const row of rows.slice(2)) {
      const forged = { ...row, keyId: null, after: row.seq === 3 ? { v: 99 } : row.after, prevHash };
      const hash = legacyEventHash(prevHash, forged);
      await asAuditOwner(
        handle,
        sql`UPDATE audit_events SET after = ${JSON.stringify(forged.after)}::jsonb, key_id = NULL, prev_hash = ${prevHash}, hash = ${hash} WHERE seq = ${row.seq}`,
      );
      prevHash = hash;
    }
    expect(await verify()).toMatchObject({
      ok: false,
      brokenAtSeq: 3,
      checked: 2,
      reason: expect.stringContaining("carries no key"),
    });
  });

  it("detects a whole trail rewritten without the key against the exported checkpoint", async () => {
    await exportCheckpoint(handle.db, settings);
    await rehashWithoutKey(handle);
    expect(await verify()).toMatchObject({
      ok: false,
      brokenAtSeq: 6,
      reason: expect.stringContaining("not the event the checkpoint"),
    });
  });

  it("seals the head with a signed checkpoint that is itself an audit event, and verifies against it", async () => {
    const checkpoint = await exportCheckpoint(handle.db, settings);
    expect(checkpoint).toMatchObject({ seq: 6, keyId: settings.keyring.current.id });
    const [event] = await handle.db
      .select()
      .from(auditEvents)
      .where(sql`seq = 6`);
    expect(event).toMatchObject({ action: "audit.checkpoint", hash: checkpoint.hash });
    expect(await verify()).toMatchObject({
      ok: true,
      checked: 6,
      checkpoint: { seq: 6, hash: checkpoint.hash },
    });
    // Nothing new since: the periodic export writes no second checkpoint.
    expect(await exportCheckpointIfChanged(handle.db, settings)).toBeNull();
  });

  it("detects a cut-off tail: the newest events deleted after a checkpoint was exported", async () => {
    await exportCheckpoint(handle.db, settings);
    await asAuditOwner(handle, sql`DELETE FROM audit_events WHERE seq >= 5`);
    const result = await verify();
    // Without the checkpoint the shorter chain would be valid: it is the exported head that reveals it.
    expect(await verify({ ...settings, checkpointFile: `${settings.checkpointFile}.none` })).toMatchObject({
      ok: true,
      checked: 4,
    });
    expect(result).toMatchObject({
      ok: false,
      checked: 4,
      brokenAtSeq: 5,
      reason: expect.stringMatching(/newest events were deleted: the chain ends at #4, .* signed #6 as its head/),
    });
  });

  it("accepts the unkeyed events of an installation from before the keyed chain once a checkpoint seals them", async () => {
    // What an older version left behind: the same trail with plain SHA-256 hashes and no key ids.
    await rehashWithoutKey(handle);
    expect(await verify()).toMatchObject({
      ok: false,
      brokenAtSeq: 1,
      reason: expect.stringContaining("no signed checkpoint covers them"),
    });
    // The first start after the upgrade exports a checkpoint; from then on the old events are sealed.
    expect(await exportCheckpointIfChanged(handle.db, settings)).toMatchObject({ seq: 6 });
    expect(await verify()).toMatchObject({ ok: true, checked: 6 });
  });

  it("refuses a checkpoint file whose head was edited to match a shortened chain", async () => {
    await exportCheckpoint(handle.db, settings);
    const line = JSON.parse(readFileSync(settings.checkpointFile, "utf8")) as Record<string, unknown>;
    writeFileSync(settings.checkpointFile, `${JSON.stringify({ ...line, seq: 4 })}\n`);
    expect(await verify()).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/checkpoints\.jsonl:1: the checkpoint's signature does not verify/),
    });
  });
});
