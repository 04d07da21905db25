// A keyed, hash-chained audit trail bulk-inserted with COPY (bench/audit.ts, bench/backup.ts): valid under
// the given key, as recordAudit would have written it, at a rate a million events allow.
import { randomUUID } from "node:crypto";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { sql } from "drizzle-orm";
import type { DatabaseHandle } from "../../db/client";
import { GENESIS_HASH, eventHash, type ChainedEventContent } from "../../server/audit/chain";
import type { AuditKey } from "../../server/audit/keys";

const BATCH = 50_000;
const COLUMNS =
  "seq, id, at, actor_id, actor_label, actor_type, action, target_type, target_id, target_label, tenant_id, before, after, request_id, key_id, prev_hash, hash";
const ACTIONS = ["policy.updated", "change.submit", "change.approval_given", "release.created", "mutation.refused", "session.created"];

const csvField = (value: string | null) => (value === null ? "" : `"${value.replaceAll('"', '""')}"`);

/** Rows seq from..to (inclusive) of a valid keyed chain continuing from `prevHash`, as CSV; returns the new head hash. */
function chainBatch(key: AuditKey, from: number, to: number, prevHash: string, start: number): { csv: string; head: string } {
  const lines: string[] = [];
  for (let seq = from; seq <= to; seq++) {
    const content: ChainedEventContent = {
      id: randomUUID(),
      at: new Date(start + seq * 10),
      actorId: `user-${seq % 40}`,
      actorLabel: `person${seq % 40}@acme.example`,
      actorType: "user",
      action: ACTIONS[seq % ACTIONS.length]!,
      targetType: "policy",
      targetId: `policy-${seq % 2000}`,
      targetLabel: `payments-api-${seq % 2000}`,
      tenantId: null,
      before: { version: seq - 1 },
      after: { version: seq, note: "bench" },
      requestId: `bench-${seq}`,
      keyId: key.id,
    };
    const hash = eventHash(prevHash, content, key);
    lines.push(
      [
        String(seq),
        content.id,
        content.at.toISOString(),
        csvField(content.actorId),
        csvField(content.actorLabel),
        content.actorType,
        content.action,
        content.targetType,
        csvField(content.targetId),
        csvField(content.targetLabel),
        "",
        csvField(JSON.stringify(content.before)),
        csvField(JSON.stringify(content.after)),
        content.requestId,
        key.id,
        prevHash,
        hash,
      ].join(","),
    );
    prevHash = hash;
  }
  return { csv: `${lines.join("\n")}\n`, head: prevHash };
}

/** COPY of one CSV batch through the driver's own bulk path. */
async function copyBatch(handle: DatabaseHandle, csv: string): Promise<void> {
  const statement = `COPY audit_events (${COLUMNS}) FROM STDIN WITH (FORMAT csv)`;
  const client = (handle.db as unknown as { $client: unknown }).$client;
  if (handle.kind === "pglite") {
    const pg = client as { query(q: string, p: unknown[], o: { blob: Blob }): Promise<unknown> };
    await pg.query(statement.replace("STDIN", "'/dev/blob'"), [], { blob: new Blob([csv]) });
    return;
  }
  const pg = client as { unsafe(q: string): { writable(): Promise<Writable> } };
  const writable = await pg.unsafe(statement).writable();
  await pipeline(
    (async function* () {
      yield csv;
    })(),
    writable,
  );
}

/** Appends `events` chained events (seq 1…events) to an empty trail; returns the milliseconds it took. */
export async function bulkInsertAuditTrail(handle: DatabaseHandle, key: AuditKey, events: number): Promise<number> {
  const started = performance.now();
  let prev = GENESIS_HASH;
  const start = Date.UTC(2026, 0, 1);
  for (let from = 1; from <= events; from += BATCH) {
    const to = Math.min(events, from + BATCH - 1);
    const { csv, head } = chainBatch(key, from, to, prev, start);
    await copyBatch(handle, csv);
    prev = head;
  }
  await handle.db.execute(sql`SELECT setval(pg_get_serial_sequence('audit_events', 'seq'), ${events})`);
  await handle.db.execute(sql`ANALYZE audit_events`);
  return performance.now() - started;
}
