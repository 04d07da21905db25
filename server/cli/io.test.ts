import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
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

  it("closes the file when the caller stops early, with the next chunk's read in flight", async () => {
    const file = join(dir, "early.jsonl");
    writeFileSync(file, Buffer.alloc(3 << 20, 97));
    for await (const chunk of byteChunks(file)) {
      expect(chunk.length).toBe(1 << 20);
      break;
    }
    // Each chunk's memory is written over only after the next one is asked for.
    const seen: number[] = [];
    writeFileSync(file, Buffer.concat([Buffer.alloc(1 << 20, 1), Buffer.alloc(1 << 20, 2), Buffer.alloc(1 << 20, 3)]));
    for await (const chunk of byteChunks(file)) {
      await new Promise((r) => setTimeout(r, 5));
      seen.push(chunk[0]!, chunk[chunk.length - 1]!);
    }
    expect(seen).toEqual([1, 1, 2, 2, 3, 3]);
  });

  it("does not read a pipe ahead: a caller that stops early is not held by its writer", async () => {
    const fifo = join(dir, "flows.fifo");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    // The writer sends one line and keeps the pipe open for 5 s.
    const writer = spawn("sh", ["-c", `exec 3>"${fifo}"; printf 'one line\\n' >&3; sleep 5`]);
    try {
      const t = performance.now();
      for await (const chunk of byteChunks(fifo)) {
        expect(chunk.toString()).toBe("one line\n");
        break;
      }
      expect(performance.now() - t).toBeLessThan(3000);
    } finally {
      writer.kill();
    }
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
