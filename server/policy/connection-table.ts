/**
 * The connection cache of simulate's byte path (./flow-stream.ts): a connection (the endpoint texts as
 * bytes, port·protocol, exception epoch) answered before, and the bytes of its answer after the line
 * number. Flat on purpose: an open-addressing table of Int32 slots (a record's place and the hash, so
 * a probe that meets another connection reads nothing else) and arena chunks holding one record per
 * connection: six Int32 words (the lengths, port·protocol, epoch, the caller's tag), then the key's
 * bytes, then the answer's. A hit touches one slot and one run of arena memory, where a Map of objects holding
 * Buffers cost some ten cache misses a line (the bulk of simulate's per-line time on 46,000
 * connections), and a separate row of metadata one more. The chunks are never copied: a doubling
 * arena touched twice the memory it held, and fresh memory is what costs (a page fault per 4 KB; on a
 * sandboxed machine ~10 µs each, the doubling's copies took longer than every add).
 */

// Int32 words at the start of a record.
const R_SRC_LEN = 0;
const R_DST_LEN = 1;
const R_PP = 2;
const R_EPOCH = 3;
const R_ANSWER_LEN = 4;
const R_TAG = 5;
const HEADER_WORDS = 6;
/** Bytes of one arena chunk; a connection longer than that (never on the fast path's lines) gets a chunk of its own. */
const ARENA_BYTES = 1 << 20;
/** A record's handle: its chunk's number times this, plus its word offset in the chunk. */
const CHUNK_WORDS = ARENA_BYTES >> 2;

/** The caller's hash (FNV-1a: its low bits see only the bytes' low bits) mixed before it picks a slot. */
function spread(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x45d9f3b);
  return h ^ (h >>> 16);
}

export class ConnectionTable {
  /** Two words a slot: the record's handle + 1 (0 = empty), and the connection's hash. */
  private slots = new Int32Array(2 << 12);
  /** Arena chunks as bytes and, over the same memory, as Int32 words; records are appended to the last one. */
  private bytes: Uint8Array[] = [];
  private words: Int32Array[] = [];
  /** Bytes used of the last chunk (a multiple of 4: records start on a word). */
  private used = 0;
  size = 0;

  /** Past this many connections the table starts over (each holds its key and a ~200-byte answer). */
  constructor(private readonly max: number) {
    // The first chunk starts small (most streams are short) and the next ones are full size.
    this.chunk(1 << 16);
  }

  /** At its bound: the next `add` starts the table over. */
  get full(): boolean {
    return this.size >= this.max;
  }

  /**
   * The connection whose source bytes are b[src, srcEnd), destination bytes b[dst, dstEnd), port·protocol
   * `pp` and epoch `epoch`, hashed as `h`: its handle, or -1 when it was not answered before.
   */
  find(h: number, b: Uint8Array, src: number, srcEnd: number, dst: number, dstEnd: number, pp: number, epoch: number): number {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    const srcLen = srcEnd - src;
    const dstLen = dstEnd - dst;
    for (let s = spread(h) & mask; ; s = (s + 1) & mask) {
      const v = slots[2 * s]!;
      if (v === 0) return -1;
      if (slots[2 * s + 1] !== h) continue;
      const ref = v - 1;
      const c = (ref / CHUNK_WORDS) | 0;
      const w = ref - c * CHUNK_WORDS;
      const words = this.words[c]!;
      if (
        words[w + R_PP] === pp &&
        words[w + R_EPOCH] === epoch &&
        words[w + R_SRC_LEN] === srcLen &&
        words[w + R_DST_LEN] === dstLen &&
        sameKey(this.bytes[c]!, (w + HEADER_WORDS) << 2, b, src, srcLen, dst, dstLen)
      )
        return ref;
    }
  }

  /**
   * Add a connection (not in the table) with its answer (bytes [from, to) of `answer`) and a number
   * of the caller's (`tag`); returns its handle.
   */
  add(
    h: number,
    b: Uint8Array,
    src: number,
    srcEnd: number,
    dst: number,
    dstEnd: number,
    pp: number,
    epoch: number,
    answer: Uint8Array,
    from: number,
    to: number,
    tag = 0,
  ): number {
    if (this.size >= this.max) this.clear();
    if ((this.size + 1) * 4 > this.slots.length) this.growSlots();
    this.size++;
    const srcLen = srcEnd - src;
    const dstLen = dstEnd - dst;
    const answerLength = to - from;
    const need = (HEADER_WORDS << 2) + ((srcLen + dstLen + answerLength + 3) & ~3);
    let c = this.bytes.length - 1;
    if (this.used + need > this.bytes[c]!.length) {
      c = this.chunk(Math.max(ARENA_BYTES, need));
      this.used = 0;
    }
    const arena = this.bytes[c]!;
    const w = this.used >> 2;
    const words = this.words[c]!;
    words[w + R_SRC_LEN] = srcLen;
    words[w + R_DST_LEN] = dstLen;
    words[w + R_PP] = pp;
    words[w + R_EPOCH] = epoch;
    words[w + R_ANSWER_LEN] = answerLength;
    words[w + R_TAG] = tag;
    // The key's bytes (short endpoint texts) copied without a view of each.
    let p = (w + HEADER_WORDS) << 2;
    for (let k = 0; k < srcLen; k++) arena[p++] = b[src + k]!;
    for (let k = 0; k < dstLen; k++) arena[p++] = b[dst + k]!;
    if (answerLength > 0) arena.set(answer.subarray(from, to), p);
    this.used += need;
    const ref = c * CHUNK_WORDS + w;
    this.place(h, ref);
    return ref;
  }

  /** Bytes held by the arena chunks. */
  get arenaBytes(): number {
    let n = 0;
    for (const a of this.bytes) n += a.length;
    return n;
  }

  /** The tag the connection with handle `ref` was added with. */
  tag(ref: number): number {
    const c = (ref / CHUNK_WORDS) | 0;
    return this.words[c]![ref - c * CHUNK_WORDS + R_TAG]!;
  }

  /** Length of the answer of the connection with handle `ref`. */
  answerLength(ref: number): number {
    const c = (ref / CHUNK_WORDS) | 0;
    return this.words[c]![ref - c * CHUNK_WORDS + R_ANSWER_LEN]!;
  }

  /** Copy the answer of the connection with handle `ref` into out at pos (room for answerLength(ref) bytes is the caller's); returns the new position. */
  copyAnswer(ref: number, out: Uint8Array, pos: number): number {
    const c = (ref / CHUNK_WORDS) | 0;
    const w = ref - c * CHUNK_WORDS;
    const words = this.words[c]!;
    const len = words[w + R_ANSWER_LEN]!;
    const from = ((w + HEADER_WORDS) << 2) + words[w + R_SRC_LEN]! + words[w + R_DST_LEN]!;
    const a = this.bytes[c]!;
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
    this.bytes.length = 1;
    this.words.length = 1;
    this.used = 0;
  }

  /** A new arena chunk of n bytes (a multiple of 4); returns its number. */
  private chunk(n: number): number {
    const buffer = new ArrayBuffer(n);
    this.bytes.push(new Uint8Array(buffer));
    this.words.push(new Int32Array(buffer));
    return this.bytes.length - 1;
  }

  private place(h: number, ref: number): void {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    let s = spread(h) & mask;
    while (slots[2 * s] !== 0) s = (s + 1) & mask;
    slots[2 * s] = ref + 1;
    slots[2 * s + 1] = h;
  }

  private growSlots(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    for (let s = 0; s < old.length; s += 2) if (old[s] !== 0) this.place(old[s + 1]!, old[s]! - 1);
  }
}

function sameKey(a: Uint8Array, off: number, b: Uint8Array, src: number, srcLen: number, dst: number, dstLen: number): boolean {
  for (let i = 0; i < srcLen; i++) if (a[off + i] !== b[src + i]) return false;
  off += srcLen;
  for (let i = 0; i < dstLen; i++) if (a[off + i] !== b[dst + i]) return false;
  return true;
}
