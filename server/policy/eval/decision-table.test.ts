import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DecisionTable } from "./decision-table";

const key = fc.tuple(
  fc.integer({ min: 0, max: 40 }),
  fc.integer({ min: 0, max: 40 }),
  fc.integer({ min: 0, max: 9 }),
  fc.integer({ min: 0, max: 2 }),
);

describe("the decision table", () => {
  it("finds exactly the entries set, through the growth of its slots and keys", () => {
    fc.assert(
      fc.property(fc.array(key, { maxLength: 3000 }), fc.array(key, { maxLength: 200 }), (keys, probes) => {
        const t = new DecisionTable<string>();
        const model = new Map<string, string>();
        for (const k of keys) {
          const id = k.join(",");
          if (model.has(id)) continue;
          t.set(...k, `v${id}`);
          model.set(id, `v${id}`);
        }
        expect(t.size).toBe(model.size);
        for (const k of [...keys, ...probes]) expect(t.get(...k)).toBe(model.get(k.join(",")));
      }),
      { numRuns: 100 },
    );
  });

  it("keeps keys apart that differ in one field only, negative numbers and large ones included", () => {
    const t = new DecisionTable<number>();
    const keys: [number, number, number, number][] = [];
    for (let i = 0; i < 50_000; i++) keys.push([i % 7, i, (i * 4) % 262_143, i % 3]);
    keys.push([0, -1, 0, 0], [-1, 0, 0, 0], [2 ** 31 - 2, 2 ** 31 - 1, 65_535 * 4 + 2, 2 ** 30]);
    keys.forEach((k, i) => t.set(...k, i));
    keys.forEach((k, i) => expect(t.get(...k)).toBe(i));
    expect(t.get(0, 0, 1, 0)).toBeUndefined();
    expect(t.size).toBe(keys.length);
  });
});
