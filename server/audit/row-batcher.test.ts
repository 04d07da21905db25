import { describe, expect, it } from "vitest";
import { RowBatcher } from "./copy-reader";

/** COPY-like rows seq from..to, of different lengths. */
const rows = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `${from + i}\tx${"y".repeat(from + i)}\tz\n`).join("");

describe("cutting COPY text into batches of whole rows", () => {
  it("gives the same batches however the text arrives in chunks, each in a buffer of its own", () => {
    const text = Buffer.from(rows(1, 10));
    for (const chunk of [1, 3, 7, text.length]) {
      const batches: Uint8Array[] = [];
      const batcher = new RowBatcher(4, (b) => batches.push(b));
      for (let i = 0; i < text.length; i += chunk) batcher.push(text.subarray(i, i + chunk));
      expect(batcher.counted).toBe(10);
      expect(batcher.lastRowSeq()).toBe(10);
      batcher.flush();
      expect(batches.map((b) => Buffer.from(b).toString())).toEqual([rows(1, 4), rows(5, 8), rows(9, 10)]);
      expect(batches.every((b) => b.byteOffset === 0) && new Set(batches.map((b) => b.buffer)).size).toBe(3);
    }
  });

  it("knows where the next statement continues once the last batch is handed on", () => {
    const batches: Uint8Array[] = [];
    const batcher = new RowBatcher(2, (b) => batches.push(b));
    batcher.push(Buffer.from(rows(41, 44)));
    expect(batches).toHaveLength(2);
    expect(batcher.lastRowSeq()).toBe(44);
    batcher.flush();
    expect(batches).toHaveLength(2);
  });
});
