import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { byteChunks } from "./io";

const dir = mkdtempSync(join(tmpdir(), "pp-io-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("byteChunks", () => {
  it("reads a file of several megabytes in order, each chunk copied before the next is read", async () => {
    const file = join(dir, "flows.jsonl");
    const bytes = Buffer.alloc(2.5 * (1 << 20) + 7);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + (i >> 20)) & 255;
    writeFileSync(file, bytes);
    const copies: Buffer[] = [];
    for await (const chunk of byteChunks(file)) copies.push(Buffer.from(chunk));
    expect(copies.length).toBe(3);
    expect(Buffer.concat(copies).equals(bytes)).toBe(true);
  });

  it("reads an empty file as no chunk and refuses a missing one when iterated", async () => {
    const empty = join(dir, "empty.jsonl");
    writeFileSync(empty, "");
    const chunks: Buffer[] = [];
    for await (const chunk of byteChunks(empty)) chunks.push(chunk);
    expect(chunks).toEqual([]);
    await expect(async () => {
      for await (const chunk of byteChunks(join(dir, "missing.jsonl"))) chunks.push(chunk);
    }).rejects.toThrow(/ENOENT/);
  });
});
