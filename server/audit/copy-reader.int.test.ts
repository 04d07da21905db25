// A long walk on PostgreSQL streams COPY text on a connection of its own (copy-reader.ts). postgres.js
// can leave a connection that ran a COPY TO STDOUT with its socket paused, and the next query on it
// then waits forever: when that connection was the pool's, the app's next queries hung. After walks
// whose COPY statements fill the stream's buffer, every connection of the pool must still answer, and
// no connection of the walk may be left open, whether the walk ended, stopped at a break or failed.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bulkInsertAuditTrail } from "@/bench/lib/audit-trail";
import { OWN_CONNECTION_NAME, ownConnection, POSTGRES_POOL_MAX, type DatabaseHandle } from "@/db/client";
import { openTestDatabase, testDatabaseKind } from "@/db/testing";
import { asAuditOwner } from "@/server/testing/audit-events";
import { copyOut } from "./copy-reader";
import { auditSettings, type AuditSettings } from "./keys";
import { verifyAuditTrail, WALK_COPY_FROM } from "./query";

const EVENTS = WALK_COPY_FROM + 1_000;
const ANSWER_WITHIN_MS = 10_000;

describe.skipIf(testDatabaseKind() !== "postgres")("the audit walk's COPY on PostgreSQL", () => {
  let handle: DatabaseHandle;
  let settings: AuditSettings;

  /** Every connection of the pool at once answers a query (a hung one would not: the race fails it). */
  async function poolAnswers() {
    const all = Promise.all(
      Array.from({ length: POSTGRES_POOL_MAX }, (_, i) => handle.db.execute(sql`SELECT pg_sleep(0.05), ${i}::int AS i`)),
    );
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the pool did not answer within ${ANSWER_WITHIN_MS} ms`)), ANSWER_WITHIN_MS);
    });
    try {
      expect(await Promise.race([all, late])).toHaveLength(POSTGRES_POOL_MAX);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Backends of walks' own connections still open on the server. */
  async function walkConnections(): Promise<number> {
    const rows = (await handle.db.execute(
      sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = ${OWN_CONNECTION_NAME}`,
    )) as unknown as { n: number }[];
    return rows[0]!.n;
  }

  beforeAll(async () => {
    handle = await openTestDatabase();
    settings = { ...auditSettings(), checkpointFile: path.join(mkdtempSync(path.join(tmpdir(), "pp-copy-")), "checkpoints.jsonl") };
    await bulkInsertAuditTrail(handle, settings.keyring.current, EVENTS);
  }, 120_000);
  afterAll(async () => {
    await handle?.close();
  });

  it("leaves every connection of the pool answering after a long walk, and no connection of its own open", async () => {
    expect(await verifyAuditTrail(handle.db, settings)).toMatchObject({ ok: true, checked: EVENTS });
    await poolAnswers();
    expect(await walkConnections()).toBe(0);
  }, 60_000);

  it("runs many COPY statements that each fill the stream's buffer on its one connection without hanging", async () => {
    // ~40 KB a statement: it arrives in one socket chunk with its CopyDone, the case that leaves the socket paused.
    const walks = [{ statementSize: 100 }, { statementSize: 100, threads: 2, batchSize: 30 }];
    for (const options of walks) expect(await verifyAuditTrail(handle.db, settings, options)).toMatchObject({ ok: true, checked: EVENTS });
    await poolAnswers();
    expect(await walkConnections()).toBe(0);
  }, 60_000);

  it("fails, and leaves no connection open, when its connection is killed during a COPY", async () => {
    // The kill needs a COPY caught while it runs: on a loaded machine a walk could end between two
    // looks (a full run saw it), and then it must have ended whole, and another walk is tried.
    let killed = 0;
    for (let attempt = 0; attempt < 10 && killed === 0; attempt++) {
      const walk = verifyAuditTrail(handle.db, settings, { statementSize: 100, threads: 0 });
      const settled = walk.then(
        () => "ended",
        () => "failed",
      );
      while (killed === 0 && (await Promise.race([settled, Promise.resolve("running")])) === "running") {
        const rows = (await handle.db.execute(
          sql`SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
            WHERE application_name = ${OWN_CONNECTION_NAME} AND state = 'active' AND query LIKE 'COPY%'`,
        )) as unknown as { n: number }[];
        killed = rows[0]!.n;
      }
      if (killed === 0) expect(await walk).toMatchObject({ ok: true, checked: EVENTS });
      else await expect(walk).rejects.toThrow();
    }
    expect(killed).toBe(1);
    await poolAnswers();
    expect(await walkConnections()).toBe(0);
  }, 180_000);

  it("refuses a COPY statement of no events before it opens anything", async () => {
    await expect(verifyAuditTrail(handle.db, settings, { statementSize: 0 })).rejects.toThrow(/events per COPY statement/);
    expect(await walkConnections()).toBe(0);
  });

  it("refuses a COPY whose error comes with its start, and the process goes on (the driver would emit it unheard)", async () => {
    // LIMIT -1 fails in the executor, after PostgreSQL sent CopyOutResponse: both arrive in one chunk.
    const connection = ownConnection(handle.db)!;
    try {
      // Refused by copyOut when the error came in CopyOutResponse's chunk (the usual case); on a loaded
      // machine it may come in a later chunk, and then reading the stream fails with it.
      const failing = async () => {
        for await (const _ of await copyOut(connection, "COPY (SELECT g FROM generate_series(1, 3) g LIMIT -1) TO STDOUT"));
      };
      await expect(failing()).rejects.toThrow(/LIMIT must not be negative/);
      const stream = await copyOut(connection, "COPY (SELECT g FROM generate_series(1, 3) g) TO STDOUT");
      const rows: Buffer[] = [];
      for await (const chunk of stream) rows.push(chunk as Buffer);
      expect(Buffer.concat(rows).toString()).toBe("1\n2\n3\n");
    } finally {
      await connection.end({ timeout: 5 });
    }
  });

  it("closes its connection when the walk stops at a break, and gives the verdict the JSON batches give", async () => {
    await asAuditOwner(handle, sql`UPDATE audit_events SET after = '{"version": -1}'::jsonb WHERE seq = 150`);
    try {
      const copy = await verifyAuditTrail(handle.db, settings, { statementSize: 100 });
      expect(copy).toMatchObject({ ok: false, brokenAtSeq: 150, reason: "event #150 was modified after it was written" });
      expect(copy).toEqual(await verifyAuditTrail(handle.db, settings, { copyFrom: Infinity }));
      await poolAnswers();
      expect(await walkConnections()).toBe(0);
    } finally {
      await asAuditOwner(handle, sql`UPDATE audit_events SET after = '{"version": 150, "note": "bench"}'::jsonb WHERE seq = 150`);
    }
  }, 60_000);
});
