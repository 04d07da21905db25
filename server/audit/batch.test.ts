import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "@/server/lib/canonical";
import { checkBatch, type AuditRowTuple, type BatchCheck } from "./batch";
import { canonicalFromJsonbText, checkCopyBatch } from "./copy-batch";
import { ChainVerifier, GENESIS_HASH, eventHash, legacyEventHash, verifyChain, type ChainedEvent, type Checkpoint } from "./chain";
import { auditKeyring, type AuditKey } from "./keys";

const keyring = auditKeyring("k".repeat(32), ["p".repeat(32)]);
const [current, previous] = [...keyring.byId.values()] as [AuditKey, AuditKey];
const stranger = auditKeyring("s".repeat(32)).current;

/** A chain as recordAudit writes it: unkeyed events first (from before the keyed chain), then keyed ones. */
function chain(keys: (AuditKey | null)[]): ChainedEvent[] {
  let prevHash = GENESIS_HASH;
  return keys.map((k, i) => {
    const seq = i + 1;
    const content = {
      id: `e${seq}`,
      at: new Date(Date.UTC(2026, 0, 1) + seq * 1001),
      actorId: seq % 3 ? "u1" : null,
      actorLabel: `alex${seq}@acme.example`,
      actorType: "user" as const,
      action: "policy.updated",
      targetType: "policy",
      targetId: `p${seq}`,
      targetLabel: seq % 2 ? `payments "api" ${seq}` : `payments-é-${seq}`,
      tenantId: null,
      before: seq % 2 ? null : { v: seq - 1, list: [1, { b: 2, a: "x" }] },
      // jsonb's text turned into canonical JSON directly (keys in order, whole numbers), and not (an escape, a fraction).
      after: seq % 3 ? { a: seq, bb: [true, null, "x y", -7], c: { d: "é" } } : { v: seq, note: "é\n", ratio: 0.5 },
      requestId: seq % 4 ? `r${seq}` : `r\t${seq}\\`,
      keyId: k?.id ?? null,
    };
    const hash = k ? eventHash(prevHash, content, k) : legacyEventHash(prevHash, content);
    const event = { ...content, seq, prevHash, hash };
    prevHash = hash;
    return event;
  });
}

/** Text as jsonb's output writes it (escape_json): the escapes JSON.stringify writes, for the same characters. */
const jsonbString = (text: string) => JSON.stringify(text);

/** A value as PostgreSQL's jsonb output writes it: keys by byte length then bytes, a space after `:` and `,`. */
function jsonbText(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return `[${value.map(jsonbText).join(", ")}]`;
  if (typeof value === "object") {
    const keys = Object.keys(value).sort(
      (a, b) => Buffer.byteLength(a) - Buffer.byteLength(b) || Buffer.compare(Buffer.from(a), Buffer.from(b)),
    );
    return `{${keys.map((k) => `${jsonbString(k)}: ${jsonbText((value as Record<string, unknown>)[k])}`).join(", ")}}`;
  }
  return typeof value === "string" ? jsonbString(value) : JSON.stringify(value);
}

/** A field as COPY's text format writes it. */
const copyField = (text: string | null) =>
  text === null
    ? "\\N"
    : text.replace(
        /[\\\b\f\n\r\t\v]/g,
        (c) => `\\${({ "\\": "\\", "\b": "b", "\f": "f", "\n": "n", "\r": "r", "\t": "t", "\v": "v" } as Record<string, string>)[c]}`,
      );

/** An event as the verification's JSON query returns it (json_build_array order, `at` in milliseconds). */
const tupleOf = (e: ChainedEvent): AuditRowTuple => [
  e.seq,
  e.id,
  e.at.getTime(),
  e.actorId,
  e.actorLabel,
  e.actorType,
  e.action,
  e.targetType,
  e.targetId,
  e.targetLabel,
  e.tenantId,
  e.before,
  e.after,
  e.requestId,
  e.keyId,
  e.prevHash,
  e.hash,
];

const rowsJson = (events: ChainedEvent[]) => JSON.stringify(events.map(tupleOf));

/** The same columns as the verification's COPY gives them (AUDIT_COPY_COLUMNS): before and after (11, 12) as jsonb's text. */
const copyRows = (events: ChainedEvent[]) =>
  Buffer.from(
    events
      .map((e) => tupleOf(e).map((v, col) => copyField(v === null ? null : col === 11 || col === 12 ? jsonbText(v) : String(v))))
      .map((fields) => `${fields.join("\t")}\n`)
      .join(""),
  );

/** A batch's rows as one reader gives them, and the check of that form (what a hashing thread runs). */
interface Encoding {
  name: string;
  check(events: ChainedEvent[], checkpointSeqs: ReadonlySet<number>): BatchCheck;
}

const encodings: Encoding[] = [
  { name: "JSON batches", check: (events, seqs) => checkBatch(rowsJson(events), keyring.byId, seqs) },
  { name: "COPY text", check: (events, seqs) => checkCopyBatch(copyRows(events), keyring.byId, seqs) },
];

/** What walkChain does with batches of `size`: the batch's check (a worker's part), then the sequential pass. */
function verifyInBatches(encoding: Encoding, events: ChainedEvent[], checkpoints: Checkpoint[], size: number) {
  const verifier = new ChainVerifier(keyring, checkpoints);
  const seqs = new Set(checkpoints.map((c) => c.seq));
  for (let i = 0; i < events.length; i += size) {
    const check = encoding.check(events.slice(i, i + size), seqs);
    const intact =
      check.kind === "run"
        ? verifier.pushRun(check.first, check.count, check.last)
        : check.links.every((link, j) => verifier.pushChecked(link, check.holds[j]!));
    if (!intact) break;
  }
  return verifier.result();
}

type Tampering =
  | { kind: "edit"; at: number }
  | { kind: "delete"; at: number }
  | { kind: "swap"; at: number }
  | { kind: "unknown key"; at: number }
  | { kind: "drop key"; at: number }
  | { kind: "bad checkpoint"; at: number };

function tamper(events: ChainedEvent[], checkpoints: Checkpoint[], t: Tampering): void {
  const i = t.at % events.length;
  const e = events[i]!;
  if (t.kind === "edit") events[i] = { ...e, after: { v: -1 } };
  if (t.kind === "delete") events.splice(i, 1);
  if (t.kind === "swap" && i + 1 < events.length) [events[i], events[i + 1]] = [events[i + 1]!, e];
  if (t.kind === "unknown key")
    events[i] = { ...e, keyId: stranger.id, hash: eventHash(e.prevHash, { ...e, keyId: stranger.id }, stranger) };
  if (t.kind === "drop key") events[i] = { ...e, keyId: null, hash: legacyEventHash(e.prevHash, { ...e, keyId: null }) };
  if (t.kind === "bad checkpoint") checkpoints.push({ seq: e.seq, hash: "f".repeat(64), at: "2026-01-02T00:00:00.000Z" });
}

describe.each(encodings)("checking the hashes of $name apart from the sequential pass", (encoding) => {
  it("sums up a batch in which nothing can fail as one run", () => {
    const events = chain([current, previous, current]);
    expect(encoding.check(events, new Set())).toEqual({
      kind: "run",
      count: 3,
      first: { seq: 1, keyId: current.id, prevHash: GENESIS_HASH, hash: events[0]!.hash },
      last: { seq: 3, hash: events[2]!.hash },
    });
  });

  it("lists every event of a batch holding an edited event, a checkpoint past its first event, or unkeyed events", () => {
    const events = chain([current, current, current]);
    const edited = [events[0]!, { ...events[1]!, targetLabel: "other" }, events[2]!];
    expect(encoding.check(edited, new Set())).toMatchObject({ kind: "links", holds: [true, false, true] });
    expect(encoding.check(events, new Set([2]))).toMatchObject({ kind: "links", holds: [true, true, true] });
    expect(encoding.check(chain([null, current]), new Set())).toMatchObject({ kind: "links", holds: [true, true] });
  });

  it("gives the verdict of the event-by-event verification for any tampering and any batch size", () => {
    const tampering = fc.record({
      kind: fc.constantFrom("edit", "delete", "swap", "unknown key", "drop key", "bad checkpoint" as const),
      at: fc.nat(),
    }) as fc.Arbitrary<Tampering>;
    fc.assert(
      fc.property(
        fc.nat({ max: 4 }),
        fc.array(fc.constantFrom(current, previous), { minLength: 1, maxLength: 24 }),
        fc.array(tampering, { maxLength: 2 }),
        fc.array(fc.nat(), { maxLength: 3 }),
        fc.integer({ min: 1, max: 9 }),
        (unkeyed, keys, tamperings, checkpointAt, size) => {
          const events = chain([...Array.from({ length: unkeyed }, () => null), ...keys]);
          const checkpoints = checkpointAt.map((n) => {
            const e = events[n % events.length]!;
            return { seq: e.seq, hash: e.hash, at: "2026-01-02T00:00:00.000Z" };
          });
          for (const t of tamperings) if (events.length > 1) tamper(events, checkpoints, t);
          expect(verifyInBatches(encoding, events, checkpoints, size)).toEqual(verifyChain(events, keyring, checkpoints));
        },
      ),
      { numRuns: 200 },
    );
  }, 60_000);
});

/** Collects what canonicalFromJsonbText writes. */
function canonicalShortcut(text: string): string | null {
  const src = Buffer.from(text);
  const out: number[] = [];
  const sink = {
    emit: (from: number, to: number) => out.push(...src.subarray(from, to)),
    emitByte: (c: number) => out.push(c),
  };
  return canonicalFromJsonbText(src, 0, src.length, sink) ? Buffer.from(out).toString() : null;
}

describe("canonical JSON straight from jsonb's text", () => {
  it("writes what canonicalJson of the parsed value gives wherever it takes the shortcut", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = jsonbText(value);
        const shortcut = canonicalShortcut(text);
        if (shortcut !== null) expect(shortcut).toBe(canonicalJson(JSON.parse(text)));
      }),
      { numRuns: 2000 },
    );
  });

  it("takes it for objects whose keys are in order, whole numbers, literals and plain strings", () => {
    for (const text of ['{"a": 1, "bb": [true, null, "x y"], "c": {}}', "[]", "-42", '"é"', "null", '{"note": "bench", "version": 7}'])
      expect(canonicalShortcut(text)).toBe(canonicalJson(JSON.parse(text)));
  });

  it("leaves to canonicalJson what it cannot be sure to write the same", () => {
    for (const text of [
      '{"v": 1, "list": []}', // jsonb's order (shorter keys first) is not canonicalJson's
      '{"é": 1, "z": 2}', // a key beyond ASCII
      "1.50", // JSON.stringify writes 1.5
      "1e5",
      "-0",
      "12345678901234567", // beyond 15 digits a double may not keep it
      '"a\\"b"', // an escape
      '{"a": 1,"b": 2}', // not jsonb's spacing
      '{"a": 1} x',
    ])
      expect(canonicalShortcut(text)).toBeNull();
  });
});
