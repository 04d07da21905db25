// Checking the hashes of a batch of audit events read as PostgreSQL COPY text (the long walks on
// PostgreSQL; batch.ts checks the JSON batches of the others), in a worker thread or inline. Each event's hash is an HMAC of its stored prevHash and its own content, so every hash of a
// batch can be checked independently of the others; whether each event follows the one before it is
// left to the sequential pass (ChainVerifier). The bytes each hash covers (chain.ts: the prevHash, a
// newline, canonicalEventBody) are assembled from the row's bytes without building the event: text
// columns go as they are between quotes when nothing in them needs escaping in JSON, and a jsonb
// column's text is turned into canonical JSON directly when that is certain to give what
// canonicalJson(JSON.parse(text)) gives; anything else takes that slow road. Pure: no database, no threads.
import { hash } from "node:crypto";
import { canonicalJson } from "@/server/lib/canonical";
import type { BatchCheck } from "./batch";
import { HMAC_BLOCK, hmacPadsOf, type ChainLink, type HmacPads } from "./chain";
import type { AuditKey } from "./keys";

/**
 * The columns of a row, in this order, as COPY text (tab-separated, `\N` for NULL, backslash escapes):
 * `at` in epoch milliseconds (the column keeps milliseconds), `before`/`after` as jsonb's text.
 */
export const AUDIT_COPY_COLUMNS =
  "seq, id, (extract(epoch FROM at) * 1000)::bigint, actor_id, actor_label, actor_type, action, target_type, target_id, target_label, tenant_id, before, after, request_id, key_id, prev_hash, hash";
const enum Col {
  Seq,
  Id,
  AtMs,
  ActorId,
  ActorLabel,
  ActorType,
  Action,
  TargetType,
  TargetId,
  TargetLabel,
  TenantId,
  Before,
  After,
  RequestId,
  KeyId,
  PrevHash,
  Hash,
  Count,
}

const TAB = 9;
const NEWLINE = 10;
const SPACE = 32;
const DQUOTE = 34;
const BSLASH = 92;
const HEX = Buffer.from("0123456789abcdef");
const bytes = (s: string) => Buffer.from(s, "utf8");
const PIECES = {
  action: bytes('{"action":'),
  actorId: bytes(',"actorId":'),
  actorLabel: bytes(',"actorLabel":'),
  actorType: bytes(',"actorType":'),
  after: bytes(',"after":'),
  at: bytes(',"at":"'),
  before: bytes('","before":'),
  id: bytes(',"id":'),
  keyId: bytes(',"keyId":'),
  requestId: bytes(',"requestId":'),
  targetId: bytes(',"targetId":'),
  targetLabel: bytes(',"targetLabel":'),
  targetType: bytes(',"targetType":'),
  tenantId: bytes(',"tenantId":'),
  end: bytes("}"),
  null: bytes("null"),
};

/** COPY text's escapes (what PostgreSQL writes, and the rest of what it reads) back to bytes. */
function unescapeCopy(src: Uint8Array, from: number, to: number): Buffer {
  const out = Buffer.allocUnsafe(to - from);
  let n = 0;
  for (let p = from; p < to; p++) {
    let c = src[p]!;
    if (c === BSLASH && p + 1 < to) {
      c = src[++p]!;
      if (c === 98) c = 8;
      else if (c === 102) c = 12;
      else if (c === 110) c = 10;
      else if (c === 114) c = 13;
      else if (c === 116) c = 9;
      else if (c === 118) c = 11;
      else if (c >= 48 && c <= 55) {
        let v = c - 48;
        for (let k = 0; k < 2 && p + 1 < to && src[p + 1]! >= 48 && src[p + 1]! <= 55; k++) v = v * 8 + src[++p]! - 48;
        c = v & 0xff;
      } else if (c === 120 && p + 1 < to && hexValue(src[p + 1]!) >= 0) {
        let v = hexValue(src[++p]!);
        if (p + 1 < to && hexValue(src[p + 1]!) >= 0) v = v * 16 + hexValue(src[++p]!);
        c = v;
      }
    }
    out[n++] = c;
  }
  return out.subarray(0, n);
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Reads the COPY rows of one batch and checks each event's hash, reusing its buffers across batches. */
class BatchChecker {
  /** `HMAC_BLOCK` bytes of room for a key's inner pad, then the message. */
  private out = Buffer.alloc(64 * 1024);
  private pos = HMAC_BLOCK;
  private padsOf: HmacPads | null = null;
  private readonly keyIds = new Map<string, { key: AuditKey; pads: HmacPads }>();
  /** Start and end of each field of the current row. */
  private readonly field = new Int32Array(Col.Count * 2);
  private src: Buffer = Buffer.alloc(0);
  private lastKeyBytes: Buffer | null = null;
  private lastKey: { key: AuditKey; pads: HmacPads } | undefined;

  constructor(keys: ReadonlyMap<string, AuditKey>) {
    for (const key of keys.values()) this.keyIds.set(key.id, { key, pads: hmacPadsOf(key.secret) });
  }

  check(batch: Uint8Array, checkpointSeqs: ReadonlySet<number>): BatchCheck {
    const src = (this.src = Buffer.from(batch.buffer, batch.byteOffset, batch.byteLength));
    const f = this.field;
    const seqs: number[] = [];
    /** Per row: where its key id, prevHash and hash fields start and end. */
    const spans: number[] = [];
    const holds: boolean[] = [];
    let plain = true;
    let p = 0;
    while (p < src.length) {
      // Split the row into fields (indexOf: a native search, several times faster than a loop here).
      const newline = src.indexOf(NEWLINE, p);
      for (let col = 0; col < Col.Count - 1; col++) {
        const tab = src.indexOf(TAB, p);
        if (tab < 0 || newline < tab) throw new Error(`audit batch: a row does not have ${Col.Count} columns (near byte ${p})`);
        f[col * 2] = p;
        f[col * 2 + 1] = tab;
        p = tab + 1;
      }
      const extra = src.indexOf(TAB, p);
      if (newline < 0 || (extra >= 0 && extra < newline))
        throw new Error(`audit batch: a row does not have ${Col.Count} columns (near byte ${p})`);
      f[(Col.Count - 1) * 2] = p;
      f[(Col.Count - 1) * 2 + 1] = newline;
      p = newline + 1;
      const seq = this.integer(Col.Seq);
      const ok = this.hashHolds();
      const i = seqs.length;
      seqs.push(seq);
      holds.push(ok);
      spans.push(
        f[Col.KeyId * 2]!,
        f[Col.KeyId * 2 + 1]!,
        f[Col.PrevHash * 2]!,
        f[Col.PrevHash * 2 + 1]!,
        f[Col.Hash * 2]!,
        f[Col.Hash * 2 + 1]!,
      );
      if (plain) {
        plain =
          ok &&
          !this.isNull(Col.KeyId) &&
          (i === 0 || (seq > seqs[i - 1]! && this.sameBytes(spans, i * 6 + 2, (i - 1) * 6 + 4) && !checkpointSeqs.has(seq)));
      }
    }
    const text = (at: number) => this.textOf(spans[at]!, spans[at + 1]!);
    const linkOf = (i: number): ChainLink => ({
      seq: seqs[i]!,
      keyId: text(i * 6),
      prevHash: text(i * 6 + 2) ?? "",
      hash: text(i * 6 + 4) ?? "",
    });
    const n = seqs.length;
    if (plain && n > 0) return { kind: "run", count: n, first: linkOf(0), last: { seq: seqs[n - 1]!, hash: text((n - 1) * 6 + 4) ?? "" } };
    return { kind: "links", links: seqs.map((_, i) => linkOf(i)), holds };
  }

  private sameBytes(spans: number[], a: number, b: number): boolean {
    const as = spans[a]!;
    const bs = spans[b]!;
    const length = spans[a + 1]! - as;
    if (spans[b + 1]! - bs !== length) return false;
    const src = this.src;
    for (let k = 0; k < length; k++) if (src[as + k] !== src[bs + k]) return false;
    return true;
  }

  private isNull(col: number): boolean {
    const start = this.field[col * 2]!;
    return this.field[col * 2 + 1]! - start === 2 && this.src[start] === BSLASH && this.src[start + 1] === 78;
  }

  /** The text of src[start, end): null for `\N`, COPY's escapes undone. */
  private textOf(start: number, end: number): string | null {
    if (end - start === 2 && this.src[start] === BSLASH && this.src[start + 1] === 78) return null;
    const backslash = this.src.indexOf(BSLASH, start);
    return backslash >= 0 && backslash < end ? unescapeCopy(this.src, start, end).toString("utf8") : this.src.toString("utf8", start, end);
  }

  private text(col: number): string | null {
    return this.textOf(this.field[col * 2]!, this.field[col * 2 + 1]!);
  }

  private integer(col: number): number {
    const start = this.field[col * 2]!;
    const end = this.field[col * 2 + 1]!;
    let v = 0;
    let p = start;
    const negative = this.src[p] === 45;
    if (negative) p++;
    if (p === end) throw new Error(`audit batch: column ${col} is not a whole number`);
    for (; p < end; p++) {
      const d = this.src[p]! - 48;
      if (d < 0 || d > 9) throw new Error(`audit batch: column ${col} is not a whole number`);
      v = v * 10 + d;
    }
    return negative ? -v : v;
  }

  /** Whether the row's stored hash is what its content and its own stored prevHash give (under its key, when keyed). */
  private hashHolds(): boolean {
    let keyed: { key: AuditKey; pads: HmacPads } | undefined;
    const keyless = this.isNull(Col.KeyId);
    if (!keyless) {
      keyed = this.keyOf();
      if (!keyed) return false;
    }
    this.pos = HMAC_BLOCK;
    this.raw(Col.PrevHash);
    this.byte(NEWLINE);
    this.piece(PIECES.action);
    this.jsonText(Col.Action);
    this.piece(PIECES.actorId);
    this.jsonText(Col.ActorId);
    this.piece(PIECES.actorLabel);
    this.jsonText(Col.ActorLabel);
    this.piece(PIECES.actorType);
    this.jsonText(Col.ActorType);
    this.piece(PIECES.after);
    this.jsonb(Col.After);
    this.piece(PIECES.at);
    this.iso(Col.AtMs);
    this.piece(PIECES.before);
    this.jsonb(Col.Before);
    this.piece(PIECES.id);
    this.jsonText(Col.Id);
    if (keyed) {
      this.piece(PIECES.keyId);
      this.jsonText(Col.KeyId);
    }
    this.piece(PIECES.requestId);
    this.jsonText(Col.RequestId);
    this.piece(PIECES.targetId);
    this.jsonText(Col.TargetId);
    this.piece(PIECES.targetLabel);
    this.jsonText(Col.TargetLabel);
    this.piece(PIECES.targetType);
    this.jsonText(Col.TargetType);
    this.piece(PIECES.tenantId);
    this.jsonText(Col.TenantId);
    this.piece(PIECES.end);
    let digest: Buffer;
    if (keyed) {
      const pads = keyed.pads;
      if (this.padsOf !== pads) {
        pads.inner.copy(this.out, 0);
        this.padsOf = pads;
      }
      // Plain views and set(): a Buffer's subarray() and copy() cost more than the hashing of a short event.
      pads.outer.set(hash("sha256", new Uint8Array(this.out.buffer, this.out.byteOffset, this.pos), "buffer"), HMAC_BLOCK);
      digest = hash("sha256", pads.outer, "buffer");
    } else digest = hash("sha256", new Uint8Array(this.out.buffer, this.out.byteOffset + HMAC_BLOCK, this.pos - HMAC_BLOCK), "buffer");
    return this.isHexOf(digest, Col.Hash);
  }

  private keyOf(): { key: AuditKey; pads: HmacPads } | undefined {
    const start = this.field[Col.KeyId * 2]!;
    const end = this.field[Col.KeyId * 2 + 1]!;
    const last = this.lastKeyBytes;
    if (last && last.length === end - start) {
      let k = 0;
      while (k < last.length && last[k] === this.src[start + k]) k++;
      if (k === last.length) return this.lastKey;
    }
    const found = this.keyIds.get(this.text(Col.KeyId) ?? "");
    this.lastKeyBytes = Buffer.from(this.src.subarray(start, end));
    this.lastKey = found;
    return found;
  }

  /** Whether the field is the lowercase hex of `digest`, as the hash was stored. */
  private isHexOf(digest: Buffer, col: number): boolean {
    const start = this.field[col * 2]!;
    if (this.field[col * 2 + 1]! - start !== 64) return false;
    for (let k = 0; k < 32; k++) {
      const d = digest[k]!;
      if (this.src[start + 2 * k] !== HEX[d >> 4] || this.src[start + 2 * k + 1] !== HEX[d & 15]) return false;
    }
    return true;
  }

  private room(n: number): void {
    if (this.pos + n <= this.out.length) return;
    const grown = Buffer.alloc(Math.max(this.out.length * 2, this.pos + n));
    this.out.copy(grown, 0, 0, this.pos);
    this.out = grown;
    this.padsOf = null;
  }

  private byte(c: number): void {
    this.room(1);
    this.out[this.pos++] = c;
  }

  private piece(b: Buffer): void {
    this.room(b.length);
    const out = this.out;
    let pos = this.pos;
    for (let k = 0; k < b.length; k++) out[pos++] = b[k]!;
    this.pos = pos;
  }

  private string(s: string): void {
    this.room(Buffer.byteLength(s));
    this.pos += this.out.write(s, this.pos, "utf8");
  }

  /** The field's text as it stands (prevHash goes into the message as it is, not as JSON). */
  private raw(col: number): void {
    const start = this.field[col * 2]!;
    const end = this.field[col * 2 + 1]!;
    this.room(end - start);
    const out = this.out;
    const src = this.src;
    let pos = this.pos;
    for (let k = start; k < end; k++) {
      const c = src[k]!;
      if (c === BSLASH) {
        const b = unescapeCopy(src, start, end);
        this.pos += b.copy(out, this.pos);
        return;
      }
      out[pos++] = c;
    }
    this.pos = pos;
  }

  /** JSON.stringify of the field's text (null for SQL NULL): between quotes as it is when nothing in it needs escaping. */
  private jsonText(col: number): void {
    const start = this.field[col * 2]!;
    const end = this.field[col * 2 + 1]!;
    this.room(end - start + 2);
    const out = this.out;
    const src = this.src;
    let pos = this.pos;
    out[pos++] = DQUOTE;
    for (let k = start; k < end; k++) {
      const c = src[k]!;
      if (c < 35 ? c < 32 || c === DQUOTE : c === BSLASH) {
        const text = this.textOf(start, end);
        if (text === null) this.piece(PIECES.null);
        else this.string(JSON.stringify(text));
        return;
      }
      out[pos++] = c;
    }
    out[pos++] = DQUOTE;
    this.pos = pos;
  }

  private day = NaN;
  private dayPrefix = "";

  /** `at` as toISOString() gives it from the epoch milliseconds (the date part made once per day). */
  private iso(col: number): void {
    const ms = this.integer(col);
    const day = Math.floor(ms / 86_400_000);
    if (day !== this.day || !Number.isSafeInteger(ms)) {
      const iso = new Date(ms).toISOString();
      this.day = day;
      this.dayPrefix = iso.slice(0, iso.indexOf("T") + 1);
    }
    const prefix = this.dayPrefix;
    this.room(prefix.length + 13);
    const out = this.out;
    let pos = this.pos;
    for (let k = 0; k < prefix.length; k++) out[pos++] = prefix.charCodeAt(k);
    let t = ms - day * 86_400_000;
    const milli = t % 1000;
    t = (t - milli) / 1000;
    const second = t % 60;
    t = (t - second) / 60;
    const minute = t % 60;
    const hour = (t - minute) / 60;
    out[pos++] = 48 + ((hour / 10) | 0);
    out[pos++] = 48 + (hour % 10);
    out[pos++] = 58;
    out[pos++] = 48 + ((minute / 10) | 0);
    out[pos++] = 48 + (minute % 10);
    out[pos++] = 58;
    out[pos++] = 48 + ((second / 10) | 0);
    out[pos++] = 48 + (second % 10);
    out[pos++] = 46;
    out[pos++] = 48 + ((milli / 100) | 0);
    out[pos++] = 48 + (((milli / 10) | 0) % 10);
    out[pos++] = 48 + (milli % 10);
    out[pos++] = 90; // Z
    this.pos = pos;
  }

  /** canonicalJson of the value of a jsonb column (null for SQL NULL). */
  private jsonb(col: number): void {
    const start = this.field[col * 2]!;
    const end = this.field[col * 2 + 1]!;
    const mark = this.pos;
    this.room(end - start);
    if (canonicalFromJsonbText(this.src, start, end, this)) return;
    this.pos = mark;
    const text = this.textOf(start, end);
    this.string(text === null ? "null" : canonicalJson(JSON.parse(text)));
  }

  /** For canonicalFromJsonbText: `out` has room for the whole field (the canonical form is never longer). */
  emit(from: number, to: number): void {
    const out = this.out;
    const src = this.src;
    let pos = this.pos;
    for (let k = from; k < to; k++) out[pos++] = src[k]!;
    this.pos = pos;
  }

  emitByte(c: number): void {
    this.out[this.pos++] = c;
  }
}

interface Sink {
  emit(from: number, to: number): void;
  emitByte(c: number): void;
}

/**
 * Writes canonicalJson(JSON.parse(text)) for jsonb's text output (`{"a": 1, "b": [true, null]}`: a space
 * after each colon and comma) in src[start, end), when its strings have no backslash nor control byte, and
 * returns true; returns false, having written anything, where the shortcut is not certain to give the
 * same bytes: a number other than a whole one of at most 15 digits (JSON.stringify may write it
 * otherwise), an object whose keys are not already in canonicalJson's order or not all ASCII.
 */
export function canonicalFromJsonbText(src: Uint8Array, start: number, end: number, out: Sink): boolean {
  const p = value(src, start, end, out, 0);
  return p === end;
}

const MAX_DEPTH = 64;

/** Writes the value at `p`; returns where it ends, or -1 where the shortcut does not apply. */
function value(src: Uint8Array, p: number, end: number, out: Sink, depth: number): number {
  if (p >= end) return -1;
  const c = src[p]!;
  if (c === DQUOTE) {
    const close = stringEnd(src, p, end);
    if (close < 0) return -1;
    out.emit(p, close + 1);
    return close + 1;
  }
  if (c === 123 /* { */ || c === 91 /* [ */) {
    if (depth >= MAX_DEPTH) return -1;
    const object = c === 123;
    const closing = object ? 125 : 93;
    out.emitByte(c);
    p++;
    if (src[p] === closing) {
      out.emitByte(closing);
      return p + 1;
    }
    let prevKey = -1;
    let prevKeyEnd = -1;
    for (;;) {
      if (object) {
        if (src[p] !== DQUOTE) return -1;
        const close = stringEnd(src, p, end);
        if (close < 0) return -1;
        for (let k = p + 1; k < close; k++) if (src[k]! >= 0x80) return -1;
        if (prevKey >= 0 && !asciiBefore(src, prevKey, prevKeyEnd, p + 1, close)) return -1;
        prevKey = p + 1;
        prevKeyEnd = close;
        out.emit(p, close + 1);
        if (src[close + 1] !== 58 /* : */ || src[close + 2] !== SPACE) return -1;
        out.emitByte(58);
        p = close + 3;
      }
      p = value(src, p, end, out, depth + 1);
      if (p < 0) return -1;
      if (src[p] === closing) {
        out.emitByte(closing);
        return p + 1;
      }
      if (src[p] !== 44 /* , */ || src[p + 1] !== SPACE) return -1;
      out.emitByte(44);
      p += 2;
    }
  }
  // true, false, null, or a number: up to the next delimiter.
  let q = p;
  while (q < end) {
    const d = src[q]!;
    if (d === 44 || d === 125 || d === 93 || d === SPACE) break;
    q++;
  }
  if (!literalOrWholeNumber(src, p, q)) return -1;
  out.emit(p, q);
  return q;
}

/** The closing quote of the string opening at `p`, or -1 where it holds a backslash or a control byte (or does not close). */
function stringEnd(src: Uint8Array, p: number, end: number): number {
  for (let k = p + 1; k < end; k++) {
    const c = src[k]!;
    if (c === DQUOTE) return k;
    if (c === BSLASH || c < 32) return -1;
  }
  return -1;
}

const LITERALS = ["true", "false", "null"].map((s) => Buffer.from(s));

function literalOrWholeNumber(src: Uint8Array, p: number, q: number): boolean {
  for (const literal of LITERALS) {
    if (q - p === literal.length && literal.every((b, k) => src[p + k] === b)) return true;
  }
  let k = p;
  if (src[k] === 45 /* - */) k++;
  const digits = q - k;
  if (digits < 1 || digits > 15) return false;
  if (src[k] === 48 /* 0 */) return digits === 1 && k === p; // "0", never "-0" nor "01"
  for (; k < q; k++) if (src[k]! < 48 || src[k]! > 57) return false;
  return true;
}

/** Whether the ASCII key a sorts strictly before b (canonicalJson's order, by UTF-16 code units). */
function asciiBefore(src: Uint8Array, a: number, aEnd: number, b: number, bEnd: number): boolean {
  for (; a < aEnd && b < bEnd; a++, b++) {
    if (src[a] !== src[b]) return src[a]! < src[b]!;
  }
  return aEnd - a < bEnd - b;
}

const checkers = new WeakMap<ReadonlyMap<string, AuditKey>, BatchChecker>();

/**
 * Checks every hash of a batch: `rows` is COPY text of AUDIT_COPY_COLUMNS, whole rows in seq order
 * (what CopyRowReader gives).
 */
export function checkCopyBatch(rows: Uint8Array, keys: ReadonlyMap<string, AuditKey>, checkpointSeqs: ReadonlySet<number>): BatchCheck {
  let checker = checkers.get(keys);
  if (!checker) checkers.set(keys, (checker = new BatchChecker(keys)));
  return checker.check(rows, checkpointSeqs);
}
