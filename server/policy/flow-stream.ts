/**
 * `simulate --output jsonl` over bytes: flow lines in, one JSON line per input line out, in order.
 * Shared by the CLI and the replay simulator, so both run at the engine's speed.
 *
 * The common line (a flat object of the known fields, ASCII strings without escapes, an integer
 * port) is read straight from the bytes: no JSON.parse, no string per line beyond the endpoints'
 * cache keys, and the answer is assembled from pre-encoded parts (per endpoint, per decision).
 * Every other line is decoded and answered by `jsonlSimulator` (./flows.ts), which words the
 * errors, so the output is byte for byte what that path prints (see flow-stream.test.ts).
 */
import { Buffer } from "node:buffer";
import { formatDecisionPath, formatPathPart, PATH_PART_SEPARATOR } from "./eval/explain";
import type { Decision, Evaluator, Identity } from "./eval/evaluator";
import { DecisionTable } from "./eval/decision-table";
import { ConnectionTable } from "./connection-table";
import { LazyDirection } from "./eval/rationale";
import { formatEndpoint, jsonlSimulator, parseEndpoint, type SimulateOptions } from "./flows";
import type { Protocol } from "./model";
import { FLOW_LINE_LIMITS, formatSize } from "./read/bounded";

/** An endpoint's text as it appears in flow lines, resolved once: its identity and its JSON in the output. */
interface ResolvedEndpoint {
  identity: Identity;
  /**
   * Its JSON, or undefined when that is the line's own string (quotes included), the usual case: then
   * it is copied from the line, which is in the cache.
   */
  json: Buffer | undefined;
  /** Bytes of its JSON (read without touching `json`). */
  jsonBytes: number;
}

const NO_BYTES = new Uint8Array(0);

const ascii = (s: string) => Buffer.from(s, "latin1");
const LINE = ascii('{"line":');
const SRC = ascii(',"src":');
const DST = ascii(',"dst":');
const PORT = ascii(',"port":');
const PROTOCOL: Record<Protocol, Buffer> = {
  TCP: ascii(',"protocol":"TCP",'),
  UDP: ascii(',"protocol":"UDP",'),
  SCTP: ascii(',"protocol":"SCTP",'),
};

const PROTOCOL_SLOT: Record<Protocol, number> = { TCP: 0, UDP: 1, SCTP: 2 };

// Field names by length and first byte: src, dst, port, time, protocol.
const F_SRC = 1;
const F_DST = 2;
const F_PORT = 4;
const F_PROTOCOL = 8;
const F_TIME = 16;

/** Protocol values the plain path accepts as they are (others go through the schema, which upper-cases them). */
function protocolAt(b: Buffer, a: number, e: number): Protocol | undefined {
  // Read from the bytes: a string a line was a tenth of the line's garbage.
  const len = e - a;
  if (len === 3) {
    if (bytesAre(b, a, TCP_UPPER) || bytesAre(b, a, TCP_LOWER)) return "TCP";
    if (bytesAre(b, a, UDP_UPPER) || bytesAre(b, a, UDP_LOWER)) return "UDP";
  } else if (len === 4 && (bytesAre(b, a, SCTP_UPPER) || bytesAre(b, a, SCTP_LOWER))) return "SCTP";
  return undefined;
}

const TCP_UPPER = ascii("TCP");
const TCP_LOWER = ascii("tcp");
const UDP_UPPER = ascii("UDP");
const UDP_LOWER = ascii("udp");
const SCTP_UPPER = ascii("SCTP");
const SCTP_LOWER = ascii("sctp");
const PROTOCOL_KEY = ascii("protocol");

/** Whether b holds `word` at a (the caller knows the length fits). */
function bytesAre(b: Buffer, a: number, word: Buffer): boolean {
  for (let i = 0; i < word.length; i++) if (b[a + i] !== word[i]) return false;
  return true;
}

/**
 * The connection cache is bounded too (each holds ~200 bytes of answer): past this many it starts
 * over, and with it the answers kept per identity tuple (a stream that never ends, such as
 * `hubble observe -f`, meets ever new tuples).
 */
const MAX_CONNECTIONS = 1 << 18;

/** Pre-encoded output of the endpoint cache is bounded: a replay of many distinct addresses starts it over. */
const MAX_ENDPOINTS = 1 << 20;
/** The fast path reads lines up to this many bytes; longer ones (rare: long DNS names, extra fields) take the general path. */
const FAST_LINE_BYTES = 4096;

/**
 * Answers flow lines fed as byte chunks (any split, LF or CRLF). `push` answers every line completed
 * by the chunk; `end` answers a last line without a newline. The output of one call is the caller's,
 * safe to hand to a stream; a caller that knows when the stream is done with it (a write's callback)
 * hands it back with `recycle`, and a later call writes into that memory instead of fresh memory
 * (a fresh buffer of twice the chunk per call cost page faults and collections under external
 * memory pressure: ~10 % of simulate's answering on bench/cli.ts's flows).
 */
export class JsonlFlowStream {
  private readonly general: (n: number, text: string) => string;
  /**
   * Endpoints by their bytes (keys of a connection table without a destination or an answer, each
   * tagged with its index in `resolved`): a line's endpoints are found without making a string of them.
   */
  private readonly endpoints: ConnectionTable;
  private resolved: ResolvedEndpoint[] = [];
  private readonly tails = new WeakMap<Decision, Buffer>();
  private tailByDirections = new DecisionTable<Buffer>();
  /** Per direction (its id, and 0 as egress or 1 as ingress), its part of the path as JSON string content. */
  private pathParts = new DecisionTable<Buffer>();
  private tailByTuple = new DecisionTable<Buffer>();
  /** Connections answered before (the same endpoint texts, port and protocol at the same exception epoch). */
  private readonly connections: ConnectionTable;
  private readonly maxBytes: number;
  /** Lines up to this many bytes (a CR included) may take the fast path: within the bound in characters. */
  private readonly fastBytes: number;
  /** Bytes of an unfinished line carried over from the previous chunk(s). */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  /** The current line is over the bound: skip to its end without keeping it. */
  private skipping = false;
  private out: Buffer = Buffer.allocUnsafe(1 << 16);
  private pos = 0;
  /** Outputs handed out (the view returned, the whole buffer), most recent last; only these are taken back. */
  private handedOut: { view: Buffer; whole: Buffer }[] = [];
  /** An output handed back by `recycle`: the next call writes into it. */
  private spare: Buffer | undefined;
  /** Input lines answered so far. */
  lines = 0;

  constructor(
    private readonly evaluator: Evaluator,
    private readonly options: SimulateOptions = {},
    private readonly maxChars: number = FLOW_LINE_LIMITS.maxChars,
    maxConnections: number = MAX_CONNECTIONS,
    maxEndpoints: number = MAX_ENDPOINTS,
  ) {
    this.general = jsonlSimulator(evaluator, options);
    this.connections = new ConnectionTable(maxConnections);
    this.endpoints = new ConnectionTable(maxEndpoints);
    // A UTF-16 code unit takes at most 3 bytes of UTF-8: past this many bytes a line is over the bound in characters too.
    this.maxBytes = 3 * (maxChars + 1);
    this.fastBytes = Math.min(FAST_LINE_BYTES, maxChars + 1);
  }

  push(chunk: Uint8Array): Buffer {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.out = this.fresh(Math.max(1 << 16, b.length * 2));
    this.pos = 0;
    let start = 0;
    for (let nl = b.indexOf(10); nl !== -1; nl = b.indexOf(10, start)) {
      // A line's last piece may take it over the bound: then it is skipped like one that went over sooner.
      if (this.partialBytes > 0) this.carry(b, start, nl);
      if (this.skipping) {
        this.skipping = false;
        this.overlong();
      } else if (this.partialBytes > 0) {
        const line = Buffer.concat(this.partial, this.partialBytes);
        this.partial = [];
        this.partialBytes = 0;
        this.line(line, 0, line.length);
      } else this.line(b, start, nl);
      start = nl + 1;
    }
    if (!this.skipping && start < b.length) this.carry(b, start, b.length);
    return this.handOut();
  }

  end(): Buffer {
    this.out = this.fresh(1 << 16);
    this.pos = 0;
    if (this.skipping) {
      this.skipping = false;
      this.overlong();
    } else if (this.partialBytes > 0) {
      const line = Buffer.concat(this.partial, this.partialBytes);
      this.partial = [];
      this.partialBytes = 0;
      this.line(line, 0, line.length);
    }
    return this.handOut();
  }

  /**
   * Take back an output of `push` or `end` that nothing reads any more (its bytes were written): a
   * later call may overwrite it. Anything else (a copy, an output already taken back) is ignored.
   */
  recycle(output: Uint8Array): void {
    const i = this.handedOut.findIndex((h) => h.view === output);
    if (i < 0) return;
    const { whole } = this.handedOut[i]!;
    this.handedOut.splice(i, 1);
    if (this.spare === undefined || whole.length > this.spare.length) this.spare = whole;
  }

  /** A buffer of at least n bytes for the next output: the one taken back when it is big enough. */
  private fresh(n: number): Buffer {
    const s = this.spare;
    if (s !== undefined && s.length >= n) {
      this.spare = undefined;
      return s;
    }
    return Buffer.allocUnsafe(n);
  }

  private handOut(): Buffer {
    const view = this.out.subarray(0, this.pos);
    // A few outputs in flight at most (one per write the stream has not finished); older ones are simply not reused.
    if (this.handedOut.length === 4) this.handedOut.shift();
    this.handedOut.push({ view, whole: this.out });
    return view;
  }

  /** Keep part of an unfinished line, or drop it and start skipping once it is over the bound. */
  private carry(b: Buffer, a: number, e: number): void {
    if (this.partialBytes + (e - a) > this.maxBytes) {
      this.partial = [];
      this.partialBytes = 0;
      this.skipping = true;
      return;
    }
    // A copy: the chunk's memory may be reused by the stream that produced it.
    this.partial.push(Buffer.from(b.subarray(a, e)));
    this.partialBytes += e - a;
  }

  private overlong(): void {
    const n = ++this.lines;
    this.text(JSON.stringify({ line: n, error: `line ${n}: longer than ${formatSize(this.maxChars)}; not read` }));
  }

  /** One line, bytes [a, e) of b without its LF. */
  private line(b: Buffer, a: number, e: number): void {
    let end = e;
    if (end > a && b[end - 1] === 13) end--;
    if (e - a <= this.fastBytes && !this.options.rationale && this.fast(b, a, end)) return;
    // The general path: decoded as the stream decoder would, the bound checked in characters (a CR included).
    const withCr = b.toString("utf8", a, e);
    if (withCr.length > this.maxChars + 1) return this.overlong();
    const n = ++this.lines;
    this.text(this.general(n, end < e ? withCr.slice(0, -1) : withCr));
  }

  private text(s: string): void {
    this.reserve(3 * s.length + 1);
    this.pos += this.out.write(s, this.pos, "utf8");
    this.out[this.pos++] = 10;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.out.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.pos + n));
    this.out.copy(bigger, 0, 0, this.pos);
    this.out = bigger;
  }

  private put(bytes: Buffer): void {
    if (bytes.length < 48) return this.putBytes(bytes, 0, bytes.length);
    this.out.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  private endpoint(b: Buffer, a: number, e: number, field: "src" | "dst"): ResolvedEndpoint | undefined {
    let h = 0x811c9dc5;
    for (let i = a; i < e; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
    h &= 0x3fffffff;
    const known = this.endpoints.find(h, b, a, e, a, a, 0, 0);
    if (known >= 0) return this.resolved[this.endpoints.tag(known)];
    const text = b.toString("latin1", a, e);
    const ep = parseEndpoint(text);
    if (!ep) return undefined;
    const id = this.evaluator.resolve(ep, field);
    if (!id.ok) return undefined; // the general path words the error
    // The table starts over at its bound on this add (a replay of many distinct addresses), and the list with it.
    if (this.endpoints.full) this.resolved = [];
    const formatted = formatEndpoint(ep);
    const json = formatted === text ? undefined : Buffer.from(JSON.stringify(formatted));
    const r: ResolvedEndpoint = { identity: id.value, json, jsonBytes: json?.length ?? e - a + 2 };
    this.endpoints.add(h, b, a, e, a, a, 0, 0, NO_BYTES, 0, 0, this.resolved.length);
    this.resolved.push(r);
    return r;
  }

  /**
   * The plain line read from bytes and answered; false (nothing written) for anything else: then the
   * general path reads it. Accepts only what JSON.parse would read into a flat object of the known
   * fields, each once, with valid values.
   */
  private fast(b: Buffer, a: number, e: number): boolean {
    let i = skipWs(b, a, e);
    if (b[i] !== 0x7b /* { */) return false;
    let seen = 0;
    let src = -1,
      srcEnd = -1,
      dst = -1,
      dstEnd = -1,
      portAt = -1,
      portEnd = -1,
      port = 0,
      protocol: Protocol = "TCP",
      time: string | undefined;
    for (;;) {
      i = skipWs(b, i + 1, e);
      if (b[i] !== 0x22) return false;
      const k = i + 1;
      const kEnd = stringEnd(b, k, e);
      if (kEnd < 0) return false;
      const f = fieldOf(b, k, kEnd);
      if (f === 0 || (seen & f) !== 0) return false;
      seen |= f;
      i = skipWs(b, kEnd + 1, e);
      if (b[i] !== 0x3a /* : */) return false;
      i = skipWs(b, i + 1, e);
      if (f === F_PORT) {
        const c0 = b[i]!;
        if (c0 < 0x31 || c0 > 0x39) return false;
        portAt = i;
        port = 0;
        while (i < e && b[i]! >= 0x30 && b[i]! <= 0x39 && i - portAt < 6) port = port * 10 + (b[i++]! - 0x30);
        portEnd = i;
        const c = b[i];
        if (port > 65535 || c === 0x2e || c === 0x65 || c === 0x45 || (c !== undefined && c >= 0x30 && c <= 0x39)) return false;
      } else {
        if (b[i] !== 0x22) return false;
        const v = i + 1;
        const vEnd = stringEnd(b, v, e);
        if (vEnd < 0) return false;
        if (f === F_SRC) {
          src = v;
          srcEnd = vEnd;
        } else if (f === F_DST) {
          dst = v;
          dstEnd = vEnd;
        } else if (f === F_PROTOCOL) {
          const p = protocolAt(b, v, vEnd);
          if (p === undefined) return false;
          protocol = p;
        } else {
          // The instant matters only when some exception starts or ends; else only that it is one.
          if (this.evaluator.timeDependent || !plainUtcInstant(b, v, vEnd)) {
            time = b.toString("latin1", v, vEnd);
            if (Number.isNaN(Date.parse(time))) return false;
          } else time = PLAIN_INSTANT;
        }
        i = vEnd + 1;
      }
      i = skipWs(b, i, e);
      if (b[i] === 0x2c /* , */) continue;
      if (b[i] !== 0x7d /* } */) return false;
      if (skipWs(b, i + 1, e) !== e) return false;
      break;
    }
    if ((seen & (F_SRC | F_DST | F_PORT)) !== (F_SRC | F_DST | F_PORT)) return false;
    const ev = this.evaluator;
    const at = time ?? this.options.time;
    const epoch = ev.timeDependent ? ev.epochAt(at) : 0;
    const pp = port * 4 + PROTOCOL_SLOT[protocol];
    // A connection seen before (same endpoint texts, port and protocol, at the same exception epoch)
    // is one hash of its bytes and one lookup; its answer after the line number was encoded then.
    let h = 0x811c9dc5;
    for (let i = src; i < srcEnd; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
    h = Math.imul(h ^ 0x1f, 0x01000193); // not a byte of either text (printable ASCII only)
    for (let i = dst; i < dstEnd; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
    h = Math.imul(h ^ pp, 0x01000193) & 0x3fffffff;
    const c = this.connections.find(h, b, src, srcEnd, dst, dstEnd, pp, epoch);
    if (c < 0) {
      // The table starts over at its bound on this add: the answers kept per identity tuple go with it.
      if (this.connections.full) this.forgetTails();
      const s = this.endpoint(b, src, srcEnd, "src");
      if (s === undefined) return false;
      const d = this.endpoint(b, dst, dstEnd, "dst");
      if (d === undefined) return false;
      // The tail per identity tuple: other connections between the same identities share it.
      let tail = this.tailByTuple.get(s.identity.id, d.identity.id, pp, epoch);
      if (tail === undefined) {
        // Decided afresh: this table keeps the tuple's answer, so the evaluator's cache need not keep the decision.
        tail = this.tailOf(ev.decideAtEpoch(s.identity, d.identity, port, protocol, epoch));
        this.tailByTuple.set(s.identity.id, d.identity.id, pp, epoch, tail);
      }
      // The answer is written out for this line, then kept from there: its parts are read once, while
      // they are in the cache (the line, the tail just made), and copied as one run.
      const proto = PROTOCOL[protocol];
      const n = ++this.lines;
      // (a port has at most 5 digits)
      this.reserve(32 + SRC.length + s.jsonBytes + DST.length + d.jsonBytes + PORT.length + 5 + proto.length + tail.length);
      this.put(LINE);
      this.pos = writeInt(this.out, this.pos, n);
      const from = this.pos;
      this.put(SRC);
      this.putEndpoint(s, b, src, srcEnd);
      this.put(DST);
      this.putEndpoint(d, b, dst, dstEnd);
      this.put(PORT);
      // The port as the line wrote it: digits without a leading zero, so its own JSON.
      this.putBytes(b, portAt, portEnd);
      this.put(proto);
      this.put(tail);
      this.connections.add(h, b, src, srcEnd, dst, dstEnd, pp, epoch, this.out, from, this.pos);
      return true;
    }
    const n = ++this.lines;
    this.reserve(32 + this.connections.answerLength(c));
    this.put(LINE);
    this.pos = this.connections.copyAnswer(c, this.out, writeInt(this.out, this.pos, n));
    return true;
  }

  /** An endpoint's JSON: the line's own quoted string when that is what it is. */
  private putEndpoint(r: ResolvedEndpoint, b: Buffer, a: number, e: number): void {
    if (r.json === undefined) this.putBytes(b, a - 1, e + 1);
    else this.put(r.json);
  }

  /** Bytes [a, e) of b: a loop beats a native call on the few bytes of a field or an endpoint. */
  private putBytes(b: Buffer, a: number, e: number): void {
    const out = this.out;
    let p = this.pos;
    for (let i = a; i < e; i++) out[p++] = b[i]!;
    this.pos = p;
  }

  /** What the stream keeps: connections, answers per identity tuple, endpoints resolved. */
  stats(): { connections: number; tuples: number; endpoints: number } {
    return { connections: this.connections.size, tuples: this.tailByTuple.size, endpoints: this.resolved.length };
  }

  private forgetTails(): void {
    this.tailByTuple = new DecisionTable<Buffer>();
    this.tailByDirections = new DecisionTable<Buffer>();
    this.pathParts = new DecisionTable<Buffer>();
  }

  /**
   * `"verdict":…,"path":…}` and the newline, encoded once per pair of directions. Keyed by the decision's two
   * directions (shared objects, see LazyDirection.of), which determine its path and verdict; a
   * decision made for the whole flow (a constraint or an exception) by the decision itself.
   */
  private tailOf(dec: Decision): Buffer {
    const eg = dec.egress;
    const ing = dec.ingress;
    // Keyed by the two direction ids and the verdict in an integer table: no number to box, no string to hash.
    const byDirections = eg instanceof LazyDirection && ing instanceof LazyDirection && dec.flow === undefined;
    const v = dec.verdict === "allow" ? 1 : 0;
    if (!byDirections) {
      let t = this.tails.get(dec);
      if (t === undefined)
        this.tails.set(dec, (t = Buffer.from(`${verdictHead(dec.verdict)}${JSON.stringify(formatDecisionPath(dec))}}\n`)));
      return t;
    }
    let t = this.tailByDirections.get(eg.id, ing.id, v, 0);
    if (t === undefined) {
      // Pieced together from each direction's encoded part (a few thousand directions make the ~10,000
      // pairs of bench/cli.ts's flows): the same bytes as the whole path's JSON, since JSON escapes
      // character by character and each part holds whole characters.
      const head = v === 1 ? ALLOW_HEAD : DENY_HEAD;
      const e = this.pathPart(eg, 0);
      const i = this.pathPart(ing, 1);
      t = Buffer.concat([head, e, SEPARATOR, i, TAIL_END], head.length + e.length + SEPARATOR.length + i.length + TAIL_END.length);
      this.tailByDirections.set(eg.id, ing.id, v, 0, t);
    }
    return t;
  }

  private pathPart(d: LazyDirection, slot: 0 | 1): Buffer {
    let p = this.pathParts.get(d.id, slot, 0, 0);
    if (p === undefined) {
      const json = JSON.stringify(formatPathPart(slot === 0 ? "egress" : "ingress", d));
      this.pathParts.set(d.id, slot, 0, 0, (p = Buffer.from(json.slice(1, -1))));
    }
    return p;
  }
}

/** `"verdict":…,"path":` before a path's JSON. */
const verdictHead = (verdict: string) => `"verdict":${JSON.stringify(verdict)},"path":`;
const ALLOW_HEAD = Buffer.from(`${verdictHead("allow")}"`);
const DENY_HEAD = Buffer.from(`${verdictHead("deny")}"`);
const SEPARATOR = Buffer.from(PATH_PART_SEPARATOR);
const TAIL_END = Buffer.from('"}\n');

/** Stands for a valid instant whose value no decision needs (the evaluator has no exception epochs). */
const PLAIN_INSTANT = "1970-01-01T00:00:00Z";

const DASH_BYTE = 0x2d;
const INSTANT_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
const isDigit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39;
const twoDigits = (b: Buffer, i: number) => (b[i]! - 0x30) * 10 + (b[i + 1]! - 0x30);

/**
 * `YYYY-MM-DDTHH:MM:SS[.fraction]Z` with fields in range (day 01-31 in any month, as Date.parse
 * takes it): an instant Date.parse always reads, so it need not be parsed when only validity counts.
 */
function plainUtcInstant(b: Buffer, a: number, e: number): boolean {
  const len = e - a;
  if (len < 20 || len > 30 || b[e - 1] !== 0x5a /* Z */) return false;
  for (const i of INSTANT_DIGITS) if (!isDigit(b[a + i])) return false;
  if (b[a + 4] !== DASH_BYTE || b[a + 7] !== DASH_BYTE || b[a + 10] !== 0x54 /* T */ || b[a + 13] !== 0x3a || b[a + 16] !== 0x3a)
    return false;
  const month = twoDigits(b, a + 5);
  const day = twoDigits(b, a + 8);
  if (month < 1 || month > 12 || day < 1 || day > 31 || twoDigits(b, a + 11) > 23 || twoDigits(b, a + 14) > 59 || twoDigits(b, a + 17) > 59)
    return false;
  if (len === 20) return true;
  if (b[a + 19] !== 0x2e /* . */ || len === 21) return false;
  for (let i = a + 20; i < e - 1; i++) if (!isDigit(b[i])) return false;
  return true;
}

function skipWs(b: Buffer, i: number, e: number): number {
  while (i < e && (b[i] === 0x20 || b[i] === 0x09)) i++;
  return i;
}

/** End (the closing quote) of a string of printable ASCII without escapes starting at i; -1 otherwise. */
function stringEnd(b: Buffer, i: number, e: number): number {
  for (; i < e; i++) {
    const c = b[i]!;
    if (c === 0x22) return i;
    if (c < 0x20 || c > 0x7e || c === 0x5c) return -1;
  }
  return -1;
}

function fieldOf(b: Buffer, k: number, e: number): number {
  switch (e - k) {
    case 3:
      if (b[k + 1] === 0x72 && b[k + 2] === 0x63) return b[k] === 0x73 ? F_SRC : 0; // src
      if (b[k + 1] === 0x73 && b[k + 2] === 0x74) return b[k] === 0x64 ? F_DST : 0; // dst
      return 0;
    case 4:
      if (b[k] === 0x70 && b[k + 1] === 0x6f && b[k + 2] === 0x72 && b[k + 3] === 0x74) return F_PORT;
      if (b[k] === 0x74 && b[k + 1] === 0x69 && b[k + 2] === 0x6d && b[k + 3] === 0x65) return F_TIME;
      return 0;
    case 8:
      return bytesAre(b, k, PROTOCOL_KEY) ? F_PROTOCOL : 0;
    default:
      return 0;
  }
}

/** Decimal digits of a positive integer into b at p; returns the new position. */
function writeInt(b: Buffer, p: number, n: number): number {
  if (n < 10) {
    b[p] = 0x30 + n;
    return p + 1;
  }
  // Line numbers stay below 2^31 in practice; past it, floating-point division keeps them exact.
  const small = n < 0x7fffffff;
  let digits = 0;
  for (let x = n; x > 0; x = small ? (x / 10) | 0 : Math.floor(x / 10)) digits++;
  let q = p + digits;
  for (let x = n; x > 0;) {
    const y = small ? (x / 10) | 0 : Math.floor(x / 10);
    b[--q] = 0x30 + (x - 10 * y);
    x = y;
  }
  return p + digits;
}
