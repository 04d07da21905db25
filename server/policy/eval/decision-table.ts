/**
 * The decision cache: an open-addressing hash table over (src identity, dst identity,
 * port·protocol, exception epoch). Entries are kept densely in the order they were added (keys
 * packed four words each in one Int32Array, values in an array); the slots hold an entry's number
 * + 1 (0 marks an empty slot) and its hash, so a probe that meets another key compares one word.
 * Growing rehashes only the slots from the hashes they hold: the entries never move (a table of
 * keys and values in slot order rewrote all of them into fresh memory at every doubling, which
 * cost simulate more than its lookups). A hit is a few integer compares and no allocation.
 */
export class DecisionTable<V> {
  /** Two words a slot: entry number + 1, and the key's hash. */
  private slots = new Int32Array(2 * 1024);
  private keys = new Int32Array(4 * 512);
  private readonly vals: V[] = [];
  size = 0;

  private static hash(src: number, dst: number, pp: number, epoch: number): number {
    let h = Math.imul(src + 1, 0x9e3779b1) ^ Math.imul(dst, 0x85ebca77) ^ Math.imul(pp, 0xc2b2ae3d) ^ epoch;
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    return h ^ (h >>> 12);
  }

  get(src: number, dst: number, pp: number, epoch: number): V | undefined {
    const slots = this.slots;
    const keys = this.keys;
    const mask = (slots.length >> 1) - 1;
    const h = DecisionTable.hash(src, dst, pp, epoch);
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const e = slots[2 * s]!;
      if (e === 0) return undefined;
      if (slots[2 * s + 1] !== h) continue;
      const o = (e - 1) << 2;
      if (keys[o] === src && keys[o + 1] === dst && keys[o + 2] === pp && keys[o + 3] === epoch) return this.vals[e - 1];
    }
  }

  /** Add an entry for a key that is not in the table. */
  set(src: number, dst: number, pp: number, epoch: number, v: V): void {
    const e = this.size;
    if ((e + 1) * 4 > this.slots.length) this.growSlots();
    if ((e + 1) * 4 > this.keys.length) {
      const bigger = new Int32Array(this.keys.length * 2);
      bigger.set(this.keys);
      this.keys = bigger;
    }
    const o = e << 2;
    this.keys[o] = src;
    this.keys[o + 1] = dst;
    this.keys[o + 2] = pp;
    this.keys[o + 3] = epoch;
    this.vals.push(v);
    this.size = e + 1;
    this.place(DecisionTable.hash(src, dst, pp, epoch), e + 1);
  }

  /** Put entry number + 1 (`entry1`) in the first free slot from its hash. */
  private place(h: number, entry1: number): void {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    let s = h & mask;
    while (slots[2 * s] !== 0) s = (s + 1) & mask;
    slots[2 * s] = entry1;
    slots[2 * s + 1] = h;
  }

  private growSlots(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    for (let s = 0; s < old.length; s += 2) if (old[s] !== 0) this.place(old[s + 1]!, old[s]!);
  }
}
