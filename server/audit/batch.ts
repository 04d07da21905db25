// Checking the hashes of a batch of audit events read in one query (a JSON array of rows), in a
// worker thread or inline. Each event's hash is an HMAC of its stored prevHash and its own content,
// so every hash of a batch can be checked independently of the others; whether each event follows
// the one before it is left to the sequential pass (ChainVerifier). Pure: no database, no threads.
import { eventHash, legacyEventHash, type ChainLink, type ChainedEventContent } from "./chain";
import type { AuditKey } from "./keys";

/**
 * One event as the verification's query returns it (json_build_array in query.ts, same order):
 * `at` in epoch milliseconds, `before`/`after` as the JSON values the jsonb columns hold.
 */
export type AuditRowTuple = [
  seq: number,
  id: string,
  atMs: number,
  actorId: string | null,
  actorLabel: string,
  actorType: ChainedEventContent["actorType"],
  action: string,
  targetType: string,
  targetId: string,
  targetLabel: string,
  tenantId: string | null,
  before: unknown,
  after: unknown,
  requestId: string,
  keyId: string | null,
  prevHash: string,
  hash: string,
];

/**
 * What the sequential pass needs of a batch. "run": nothing in it can fail past its first event
 * (see ChainVerifier.pushRun); "links": every event with whether its hash holds.
 */
export type BatchCheck =
  | { kind: "run"; count: number; first: ChainLink; last: { seq: number; hash: string } }
  | { kind: "links"; links: ChainLink[]; holds: boolean[] };

function contentOf(row: AuditRowTuple): ChainedEventContent {
  return {
    id: row[1],
    at: new Date(row[2]),
    actorId: row[3],
    actorLabel: row[4],
    actorType: row[5],
    action: row[6],
    targetType: row[7],
    targetId: row[8],
    targetLabel: row[9],
    tenantId: row[10],
    before: row[11],
    after: row[12],
    requestId: row[13],
    keyId: row[14],
  };
}

/** Whether the row's stored hash is what its content and its own stored prevHash give. */
function hashHolds(row: AuditRowTuple, keys: ReadonlyMap<string, AuditKey>): boolean {
  const keyId = row[14];
  if (keyId === null) return legacyEventHash(row[15], contentOf(row)) === row[16];
  const key = keys.get(keyId);
  return key !== undefined && eventHash(row[15], contentOf(row), key) === row[16];
}

const linkOf = (row: AuditRowTuple): ChainLink => ({ seq: row[0], keyId: row[14], prevHash: row[15], hash: row[16] });

/** Checks every hash of a batch (`rowsJson`: a JSON array of AuditRowTuple in seq order). */
export function checkBatch(rowsJson: string, keys: ReadonlyMap<string, AuditKey>, checkpointSeqs: ReadonlySet<number>): BatchCheck {
  const rows = JSON.parse(rowsJson) as AuditRowTuple[];
  const holds = rows.map((row) => hashHolds(row, keys));
  const plain = rows.every(
    (row, i) =>
      holds[i] &&
      row[14] !== null &&
      (i === 0 || (row[0] > rows[i - 1]![0] && row[15] === rows[i - 1]![16] && !checkpointSeqs.has(row[0]))),
  );
  const first = rows[0];
  const last = rows[rows.length - 1];
  if (plain && first && last) return { kind: "run", count: rows.length, first: linkOf(first), last: { seq: last[0], hash: last[16] } };
  return { kind: "links", links: rows.map(linkOf), holds };
}
