/**
 * The decision cache: an open-addressing hash table over (src identity, dst identity,
 * port·protocol, exception epoch), keys packed in one Int32Array (4 words a slot, src stored
 * +1 so 0 marks an empty slot). A hit is a few integer compares and no allocation.
 */
export class DecisionTable<V> {
  private keys = new Int32Array(4 * 1024);
  private vals: (V | undefined)[] = new Array<V | undefined>(1024);
  private mask = 1023;
  size = 0;

  private static slot(src: number, dst: number, pp: number, epoch: number, mask: number): number {
    let h = Math.imul(src + 1, 0x9e3779b1) ^ Math.imul(dst, 0x85ebca77) ^ Math.imul(pp, 0xc2b2ae3d) ^ epoch;
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    return h & mask;
  }

  get(src: number, dst: number, pp: number, epoch: number): V | undefined {
    const keys = this.keys;
    const mask = this.mask;
    let i = DecisionTable.slot(src, dst, pp, epoch, mask);
    for (;;) {
      const o = i << 2;
      const k0 = keys[o]!;
      if (k0 === 0) return undefined;
      if (k0 === src + 1 && keys[o + 1] === dst && keys[o + 2] === pp && keys[o + 3] === epoch) return this.vals[i];
      i = (i + 1) & mask;
    }
  }

  set(src: number, dst: number, pp: number, epoch: number, v: V): void {
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    this.insert(src, dst, pp, epoch, v);
    this.size++;
  }

  private insert(src: number, dst: number, pp: number, epoch: number, v: V): void {
    const keys = this.keys;
    let i = DecisionTable.slot(src, dst, pp, epoch, this.mask);
    while (keys[i << 2] !== 0) i = (i + 1) & this.mask;
    const o = i << 2;
    keys[o] = src + 1;
    keys[o + 1] = dst;
    keys[o + 2] = pp;
    keys[o + 3] = epoch;
    this.vals[i] = v;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldVals = this.vals;
    const cap = (this.mask + 1) * 2;
    this.keys = new Int32Array(4 * cap);
    this.vals = new Array<V | undefined>(cap);
    this.mask = cap - 1;
    for (let i = 0; i < oldVals.length; i++) {
      const o = i << 2;
      if (oldKeys[o] !== 0) this.insert(oldKeys[o]! - 1, oldKeys[o + 1]!, oldKeys[o + 2]!, oldKeys[o + 3]!, oldVals[i]!);
    }
  }
}
