import { Buffer } from "node:buffer";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConnectionTable } from "./connection-table";

interface Key {
  src: string;
  dst: string;
  pp: number;
  epoch: number;
}

/** Looks a key up as the byte path does: its texts inside a line, at offsets the table must honour. */
function find(t: ConnectionTable, k: Key, h: number): number {
  const line = Buffer.from(`{"src":"${k.src}","dst":"${k.dst}"}`, "latin1");
  const src = 8;
  const dst = src + k.src.length + 9;
  return t.find(h, line, src, src + k.src.length, dst, dst + k.dst.length, k.pp, k.epoch);
}

function add(t: ConnectionTable, k: Key, h: number, answer: string, tag = 0): number {
  const b = Buffer.from(`${k.src}${k.dst}`, "latin1");
  // Inside a larger buffer, as the byte path hands it over (its output, after the line number).
  const out = Buffer.from(`{"line":7,${answer}!`, "latin1");
  return t.add(h, b, 0, k.src.length, k.src.length, b.length, k.pp, k.epoch, out, 10, 10 + answer.length, tag);
}

function answerOf(t: ConnectionTable, i: number): string {
  const out = Buffer.alloc(t.answerLength(i) + 4);
  const end = t.copyAnswer(i, out, 2);
  expect(end).toBe(2 + t.answerLength(i));
  return out.toString("latin1", 2, end);
}

const key = fc.record({
  src: fc.stringMatching(/^[a-c/]{0,6}$/),
  dst: fc.stringMatching(/^[a-c/]{0,6}$/),
  pp: fc.integer({ min: 4, max: 20 }),
  epoch: fc.integer({ min: 0, max: 2 }),
});
const id = (k: Key) => JSON.stringify([k.src, k.dst, k.pp, k.epoch]);

describe("the connection cache of simulate's byte path", () => {
  it("finds exactly the connections added, with their answers and tags, whatever the hashes collide on", () => {
    fc.assert(
      fc.property(
        fc.array(key, { maxLength: 300 }),
        fc.array(key, { maxLength: 50 }),
        fc.integer({ min: 0, max: 3 }),
        (keys, probes, hashBits) => {
          const t = new ConnectionTable(1 << 20);
          const model = new Map<string, string>();
          // Few hash bits force collisions: equality must come from the bytes and numbers, not the hash.
          const h = (k: Key) => id(k).length & ((1 << hashBits) - 1);
          for (const k of keys) {
            if (model.has(id(k))) continue;
            // From ~40 to ~100 bytes: copied by the byte loop (short answers) and natively (long ones).
            const answer = `answer of ${id(k)}${"-".repeat(k.pp * 3)}\n`;
            add(t, k, h(k), answer, model.size);
            model.set(id(k), answer);
          }
          expect(t.size).toBe(model.size);
          for (const k of [...keys, ...probes]) {
            const i = find(t, k, h(k));
            const want = model.get(id(k));
            if (want === undefined) expect(i).toBe(-1);
            else {
              expect(answerOf(t, i)).toBe(want);
              expect(t.tag(i)).toBe([...model.keys()].indexOf(id(k)));
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("keeps every answer through growth of its slots and arena chunks, a connection longer than a chunk included", () => {
    const t = new ConnectionTable(1 << 20);
    const keys = Array.from({ length: 20_000 }, (_, i) => ({
      src: `ns-${i % 97}/pod-${i}`,
      dst: `10.0.${i >> 8}.${i & 255}`,
      pp: 8080 * 4,
      epoch: 0,
    }));
    const hash = (k: Key) => {
      let x = 0x811c9dc5;
      for (const c of id(k)) x = Math.imul(x ^ c.charCodeAt(0), 0x01000193);
      return x & 0x3fffffff;
    };
    for (const k of keys) add(t, k, hash(k), `{"verdict":"allow","path":"${"x".repeat(k.src.length * 7)}"}\n`);
    // Longer than a chunk (1 MiB): a chunk of its own, and the next connection goes on after it.
    const long: Key = { src: "ns/long", dst: "ns/longer", pp: 4, epoch: 0 };
    const after: Key = { src: "ns/after", dst: "ns/long", pp: 4, epoch: 0 };
    add(t, long, hash(long), "y".repeat(1.5 * 2 ** 20));
    add(t, after, hash(after), "after");
    for (const k of keys) expect(answerOf(t, find(t, k, hash(k)))).toBe(`{"verdict":"allow","path":"${"x".repeat(k.src.length * 7)}"}\n`);
    expect(answerOf(t, find(t, long, hash(long)))).toBe("y".repeat(1.5 * 2 ** 20));
    expect(answerOf(t, find(t, after, hash(after)))).toBe("after");
  });

  it("starts over past its bound, so a replay of endless distinct connections holds bounded memory", () => {
    const t = new ConnectionTable(3);
    const k = (i: number): Key => ({ src: `a/${i}`, dst: "b/c", pp: 4, epoch: 0 });
    for (let i = 0; i < 3; i++) add(t, k(i), i, `answer ${i}`);
    expect(find(t, k(0), 0)).toBeGreaterThanOrEqual(0);
    add(t, k(3), 3, "answer 3");
    expect(t.size).toBe(1);
    expect(find(t, k(0), 0)).toBe(-1);
    expect(answerOf(t, find(t, k(3), 3))).toBe("answer 3");
    // Starting over also drops the arena chunks filled before (a long answer fills more than one).
    const big = new ConnectionTable(2);
    for (let i = 0; i < 4; i++) add(big, k(i), i, String(i).repeat(3 * 2 ** 20));
    expect(big.size).toBe(2);
    expect(answerOf(big, find(big, k(3), 3))).toBe("3".repeat(3 * 2 ** 20));
    expect(big.arenaBytes).toBeLessThan(8 * 2 ** 20);
  });
});
