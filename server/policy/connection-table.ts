/**
 * The connection cache of simulate's byte path (./flow-stream.ts): a connection (the endpoint texts as
 * bytes, port·protocol, exception epoch) answered before, and the bytes of its answer after the line
 * number. Flat on purpose: an open-addressing table of Int32 slots, eight Int32 words of metadata a
 * connection and byte arenas holding each connection's key bytes followed by its answer. A hit
 * touches a slot, a metadata row and one run of arena bytes, where a Map of objects holding Buffers
 * cost some ten cache misses a line (the bulk of simulate's per-line time on 46,000 connections).
 * The arenas are chunks that are never copied: a doubling arena touched twice the memory it held,
 * and fresh memory is what costs (a page fault per 4 KB; on a sandboxed machine ~10 µs each, the
 * doubling's copies took longer than every add).
 */
import { Buffer } from "node:buffer";

// Metadata words of one connection.
const M_HASH = 0;
const M_OFF = 1;
const M_SRC_LEN = 2;
const M_DST_LEN = 3;
const M_PP = 4;
const M_EPOCH = 5;
const M_ANSWER_LEN = 6;
const M_ARENA = 7;
const STRIDE = 8;
/** Bytes of one arena chunk; a connection longer than that (never on the fast path's lines) gets a chunk of its own. */
const ARENA_BYTES = 1 << 20;

/** The caller's hash (FNV-1a: its low bits see only the bytes' low bits) mixed before it picks a slot. */
function spread(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x45d9f3b);
  return h ^ (h >>> 16);
}

export class ConnectionTable {
  /** Connection index + 1 per slot; 0 = empty. */
  private slots = new Int32Array(1 << 12);
  private meta = new Int32Array(STRIDE * (1 << 11));
  /** Arena chunks; connections are appended to the last one. */
  private arenas: Buffer[] = [Buffer.allocUnsafe(1 << 16)];
  private used = 0;
  size = 0;

  /** Past this many connections the table starts over (each holds its key and a ~200-byte answer). */
  constructor(private readonly max: number) {}

  /** At its bound: the next `add` starts the table over. */
  get full(): boolean {
    return this.size >= this.max;
  }

  /**
   * The connection whose source bytes are b[src, srcEnd), destination bytes b[dst, dstEnd), port·protocol
   * `pp` and epoch `epoch`, hashed as `h`; -1 when it was not answered before.
   */
  find(h: number, b: Uint8Array, src: number, srcEnd: number, dst: number, dstEnd: number, pp: number, epoch: number): number {
    const slots = this.slots;
    const meta = this.meta;
    const mask = slots.length - 1;
    const srcLen = srcEnd - src;
    const dstLen = dstEnd - dst;
    for (let s = spread(h) & mask; ; s = (s + 1) & mask) {
      const v = slots[s]!;
      if (v === 0) return -1;
      const m = (v - 1) * STRIDE;
      if (
        meta[m + M_HASH] === h &&
        meta[m + M_PP] === pp &&
        meta[m + M_EPOCH] === epoch &&
        meta[m + M_SRC_LEN] === srcLen &&
        meta[m + M_DST_LEN] === dstLen &&
        this.sameKey(this.arenas[meta[m + M_ARENA]!]!, meta[m + M_OFF]!, b, src, srcLen, dst, dstLen)
      )
        return v - 1;
    }
  }

  private sameKey(a: Buffer, off: number, b: Uint8Array, src: number, srcLen: number, dst: number, dstLen: number): boolean {
    for (let i = 0; i < srcLen; i++) if (a[off + i] !== b[src + i]) return false;
    off += srcLen;
    for (let i = 0; i < dstLen; i++) if (a[off + i] !== b[dst + i]) return false;
    return true;
  }

  /** Add a connection (not in the table) with its answer (the concatenation of `answer`'s parts); returns its index. */
  add(
    h: number,
    b: Uint8Array,
    src: number,
    srcEnd: number,
    dst: number,
    dstEnd: number,
    pp: number,
    epoch: number,
    answer: readonly Uint8Array[],
  ): number {
    if (this.size >= this.max) this.clear();
    if ((this.size + 1) * 2 > this.slots.length) this.growSlots();
    const i = this.size++;
    if ((i + 1) * STRIDE > this.meta.length) {
      const bigger = new Int32Array(this.meta.length * 2);
      bigger.set(this.meta);
      this.meta = bigger;
    }
    const srcLen = srcEnd - src;
    const dstLen = dstEnd - dst;
    let answerLength = 0;
    for (const part of answer) answerLength += part.length;
    const need = srcLen + dstLen + answerLength;
    let arena = this.arenas[this.arenas.length - 1]!;
    if (this.used + need > arena.length) {
      // The first chunk starts small (most streams are short) and the next ones are full size.
      arena = Buffer.allocUnsafe(Math.max(this.arenas.length === 1 ? arena.length * 4 : ARENA_BYTES, need));
      this.arenas.push(arena);
      this.used = 0;
    }
    const off = this.used;
    // The key's bytes (short endpoint texts) copied without a view of each.
    for (let k = 0; k < srcLen; k++) arena[off + k] = b[src + k]!;
    for (let k = 0; k < dstLen; k++) arena[off + srcLen + k] = b[dst + k]!;
    // The answer's parts go straight into the arena: no buffer of the whole answer to make and drop.
    let p = off + srcLen + dstLen;
    for (const part of answer) {
      // Most parts are a few bytes (field names, an endpoint): a loop beats a native call on those.
      if (part.length < 64) for (let k = 0; k < part.length; k++) arena[p + k] = part[k]!;
      else arena.set(part, p);
      p += part.length;
    }
    this.used += need;
    const m = i * STRIDE;
    const meta = this.meta;
    meta[m + M_HASH] = h;
    meta[m + M_OFF] = off;
    meta[m + M_SRC_LEN] = srcLen;
    meta[m + M_DST_LEN] = dstLen;
    meta[m + M_PP] = pp;
    meta[m + M_EPOCH] = epoch;
    meta[m + M_ANSWER_LEN] = answerLength;
    meta[m + M_ARENA] = this.arenas.length - 1;
    this.place(h, i);
    return i;
  }

  /** Bytes held by the arena chunks. */
  get arenaBytes(): number {
    let n = 0;
    for (const a of this.arenas) n += a.length;
    return n;
  }

  /** Length of connection i's answer. */
  answerLength(i: number): number {
    return this.meta[i * STRIDE + M_ANSWER_LEN]!;
  }

  /** Copy connection i's answer into out at pos (room for answerLength(i) bytes is the caller's); returns the new position. */
  copyAnswer(i: number, out: Uint8Array, pos: number): number {
    const m = i * STRIDE;
    const meta = this.meta;
    const len = meta[m + M_ANSWER_LEN]!;
    const from = meta[m + M_OFF]! + meta[m + M_SRC_LEN]! + meta[m + M_DST_LEN]!;
    const a = this.arenas[meta[m + M_ARENA]!]!;
    // A byte loop wins on short answers; past ~64 bytes a native copy does (at ~200 bytes, the usual
    // answer, the loop took twice as long: measured 114 against 50 ms per 200,000 copies). The copy is
    // TypedArray#set from a plain view: Buffer#copy makes the same view behind two JS frames of checks,
    // which cost a fresh process ~1.5-2x the time (74-101 against 44-68 ms per 200,000 copies).
    if (len < 64) for (let k = 0; k < len; k++) out[pos + k] = a[from + k]!;
    else out.set(new Uint8Array(a.buffer, a.byteOffset + from, len), pos);
    return pos + len;
  }

  clear(): void {
    this.slots.fill(0);
    this.size = 0;
    // The first chunk is kept and written over; the others go.
    this.arenas.length = 1;
    this.used = 0;
  }

  private place(h: number, i: number): void {
    const slots = this.slots;
    const mask = slots.length - 1;
    let s = spread(h) & mask;
    while (slots[s] !== 0) s = (s + 1) & mask;
    slots[s] = i + 1;
  }

  private growSlots(): void {
    this.slots = new Int32Array(this.slots.length * 2);
    for (let i = 0; i < this.size; i++) this.place(this.meta[i * STRIDE + M_HASH]!, i);
  }
}
