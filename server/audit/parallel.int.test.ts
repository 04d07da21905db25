// A long verification hashes batches in worker threads and keeps only the links for the main thread.
// Cut a short trail into batches of 4 and make it run in workers: every tampering must be found at the
// same event, with the same verdict, as when one thread hashes the whole trail.
import { appendFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { asc, sql } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "@/db/client";
import { auditEvents } from "@/db/schema";
import { openTestDatabase, testDatabaseKind } from "@/db/testing";
import { systemActor, withTransaction } from "@/server/context";
import { asAuditOwner } from "@/server/testing/audit-events";
import { legacyEventHash } from "./chain";
import { signCheckpoint } from "./checkpoints";
import { auditSettings, type AuditSettings } from "./keys";
import { verifyAuditTrail } from "./query";
import { recordAudit } from "./record";

const EVENTS = 12;
/** Batches (seq ranges) #1–4, #5–8, #9–12, read three at a time and handed to two worker threads in turn. */
const inWorkers = { threads: 2, batchSize: 4, readers: 3 };
/** One batch after the other, hashed on this thread. */
const onThisThread = { threads: 0, readers: 1 };
/**
 * On PostgreSQL, COPY text on a connection of its own (PGlite reads JSON): batches of 4 events (#1–4, #5–8,
 * #9–12 while none is missing) handed to two worker threads in turn, read by COPY statements of 5 events
 * each (#1–5, #6–10, #11–12): batches run across statements.
 */
const copyInWorkers = { threads: 2, batchSize: 4, copyFrom: 0, statementSize: 5 };

describe(`audit verification in worker threads on ${testDatabaseKind()}`, () => {
  let handle: DatabaseHandle;
  let settings: AuditSettings;
  /** The verdict through the workers, checked equal to the one a single thread gives. */
  const verifyInWorkers = async () => {
    const parallel = await verifyAuditTrail(handle.db, settings, inWorkers);
    expect(parallel).toEqual(await verifyAuditTrail(handle.db, settings, onThisThread));
    expect(await verifyAuditTrail(handle.db, settings, copyInWorkers)).toEqual(parallel);
    return parallel;
  };

  beforeEach(async () => {
    handle = await openTestDatabase();
    settings = { ...auditSettings(), checkpointFile: path.join(mkdtempSync(path.join(tmpdir(), "pp-parallel-")), "checkpoints.jsonl") };
    const ctx = { db: handle.db, actor: systemActor("parallel test"), requestId: "parallel" };
    for (let i = 1; i <= EVENTS; i++) {
      await withTransaction(ctx, (tx) =>
        recordAudit(tx, { action: "policy.updated", targetType: "policy", targetId: `p${i}`, after: { v: i, nested: { b: 2, a: 1 } } }),
      );
    }
  });
  afterEach(async () => {
    await handle.close();
  });

  it("verifies an untouched trail batch by batch in workers", async () => {
    expect(await verifyInWorkers()).toMatchObject({ ok: true, checked: EVENTS, headSeq: EVENTS });
  });

  it("finds an event edited in the middle of a batch a worker hashed", async () => {
    await asAuditOwner(handle, sql`UPDATE audit_events SET after = '{"v": 99}'::jsonb WHERE seq = 6`);
    expect(await verifyInWorkers()).toMatchObject({
      ok: false,
      brokenAtSeq: 6,
      checked: 5,
      reason: "event #6 was modified after it was written",
    });
  });

  // Ranges are #1–4, #5–8, #9–12: each batch's own hashes hold, the break is a link across a boundary.
  it.each([
    ["the first event of a range", "seq = 9", 10, 8],
    ["the last event of a range", "seq = 8", 9, 7],
    ["every event of a range (its read comes back empty)", "seq BETWEEN 5 AND 8", 9, 4],
  ])("finds a broken link where %s was deleted", async (_, deleted, brokenAtSeq, checked) => {
    await asAuditOwner(handle, sql`DELETE FROM audit_events WHERE ${sql.raw(deleted)}`);
    expect(await verifyInWorkers()).toMatchObject({
      ok: false,
      brokenAtSeq,
      checked,
      reason: expect.stringContaining(`event #${brokenAtSeq} does not follow the previous event`),
    });
  });

  it("verifies an untouched trail whose seqs skip more than a range (rolled-back appends)", async () => {
    // Seqs #13–22 are taken and never written, as transactions that roll back leave them; #23–25 follow #12.
    await handle.db.execute(sql`SELECT setval(pg_get_serial_sequence('audit_events', 'seq'), 22)`);
    const ctx = { db: handle.db, actor: systemActor("parallel test"), requestId: "parallel" };
    for (let i = 1; i <= 3; i++)
      await withTransaction(ctx, (tx) =>
        recordAudit(tx, { action: "policy.updated", targetType: "policy", targetId: `q${i}`, after: { v: i } }),
      );
    expect(await verifyInWorkers()).toMatchObject({ ok: true, checked: EVENTS + 3, headSeq: 25 });
  });

  it("checks a checkpoint that falls inside a batch whose hashes all hold", async () => {
    // A signed head naming another hash for #6 (the chain was rewritten up to there, with the key).
    appendFileSync(
      settings.checkpointFile,
      `${JSON.stringify(signCheckpoint({ seq: 6, hash: "f".repeat(64), at: new Date().toISOString() }, settings.keyring.current))}\n`,
    );
    expect(await verifyInWorkers()).toMatchObject({
      ok: false,
      brokenAtSeq: 6,
      checked: 5,
      reason: expect.stringContaining("is not the event the checkpoint"),
    });
  });

  it("finds events rewritten with recomputed unkeyed hashes from the middle of a batch on", async () => {
    const rows = await handle.db.select().from(auditEvents).orderBy(asc(auditEvents.seq));
    let prevHash = rows[5]!.hash;
    for (const row of rows.slice(6)) {
      const hash = legacyEventHash(prevHash, { ...row, keyId: null });
      await asAuditOwner(
        handle,
        sql`UPDATE audit_events SET key_id = NULL, prev_hash = ${prevHash}, hash = ${hash} WHERE seq = ${row.seq}`,
      );
      prevHash = hash;
    }
    expect(await verifyInWorkers()).toMatchObject({
      ok: false,
      brokenAtSeq: 7,
      checked: 6,
      reason: expect.stringContaining("carries no key although the chain is keyed since #1"),
    });
  });

  it("hashes what was written whatever the text and JSON hold, and finds an edit deep in it", async () => {
    // Quotes, backslashes, tabs, newlines, control and non-ASCII characters, fractions, big and negative
    // numbers, keys that jsonb orders otherwise than canonical JSON: what COPY escapes and jsonb rewrites.
    const odd = [
      {
        label: 'tab\there "quoted" back\\slash\nnew line \u0001 é 🚀',
        after: { b: 1.5, a: [1e21, -0.25, 12345678901234567], é: { z: null, "": "x" } },
      },
      { label: "plain", after: { a: 1, bb: [true, false, null, "x y"], ccc: { d: -42 } } },
      { label: "\\N", after: { version: 3, note: "\\N\t\u007f", list: [] } },
    ];
    const ctx = { db: handle.db, actor: systemActor("parallel test"), requestId: "parallel\tid" };
    for (const [i, { label, after }] of odd.entries())
      await withTransaction(ctx, (tx) =>
        recordAudit(tx, {
          action: "policy.updated",
          targetType: "policy",
          targetId: `odd${i}`,
          targetLabel: label,
          before: { v: i },
          after,
        }),
      );
    expect(await verifyInWorkers()).toMatchObject({ ok: true, checked: EVENTS + odd.length });
    await asAuditOwner(handle, sql`UPDATE audit_events SET after = jsonb_set(after, '{é,z}', '0') WHERE seq = ${EVENTS + 1}`);
    expect(await verifyInWorkers()).toMatchObject({
      ok: false,
      brokenAtSeq: EVENTS + 1,
      reason: `event #${EVENTS + 1} was modified after it was written`,
    });
  });
});
