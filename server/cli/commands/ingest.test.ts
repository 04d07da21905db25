import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runIngest } from "./ingest";

/** A server that answers each batch after a pause, counting its lines as POST /flows would, and recording what it received. */
describe("policyplane ingest's batching", () => {
  let server: Server;
  let base = "";
  const received: string[] = [];
  let open = 0;
  let mostOpen = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      open++;
      mostOpen = Math.max(mostOpen, open);
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const text = gunzipSync(Buffer.concat(chunks)).toString("utf8");
        received.push(text);
        const lines = text.split("\n");
        if (lines.at(-1) === "") lines.pop();
        const errors = lines.flatMap((l, i) => (l.trim() === "bad" ? [{ line: i + 1, reason: "not JSON" }] : []));
        // Later batches answer sooner: replies come back out of order.
        setTimeout(
          () => {
            open--;
            res.writeHead(200, { "content-type": "application/json" });
            res.end(JSON.stringify({ accepted: lines.length - errors.length, rejected: errors.length, errors, classes: { allowed: 1 } }));
          },
          Math.max(5, 60 - received.length * 10),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("sends every byte of the input in batches of whole lines, several in flight, and numbers rejected lines in input order", async () => {
    const lines = Array.from({ length: 23 }, (_, i) => (i === 4 || i === 17 ? "bad" : i === 9 ? "" : `{"n":${i}}`));
    // CRLF on one line, and a last line without its newline.
    const input = `${lines.slice(0, 10).join("\n")}\r\n${lines.slice(10).join("\n")}`;
    const file = join(mkdtempSync(join(tmpdir(), "pp-ingest-batching-")), "flows.jsonl");
    writeFileSync(file, input);
    const out: string[] = [];
    const err: string[] = [];
    const o = vi.spyOn(process.stdout, "write").mockImplementation((s) => (out.push(String(s)), true));
    const e = vi.spyOn(process.stderr, "write").mockImplementation((s) => (err.push(String(s)), true));
    const code = await runIngest({
      server: base,
      token: "t",
      cluster: "c",
      flows: file,
      batchLines: 3,
      flushMs: 1000,
      inFlight: 3,
    }).finally(() => (o.mockRestore(), e.mockRestore()));
    // Every line exactly once (batches may arrive in any order over several connections), all but the last batch 3 whole lines.
    const linesOf = (text: string) => text.split("\n").filter((l, i, all) => i < all.length - 1 || l !== "");
    expect(received.flatMap(linesOf).sort()).toEqual(linesOf(input).sort());
    expect(received.filter((b) => !b.endsWith("\n"))).toEqual(['{"n":21}\n{"n":22}']);
    expect(received.filter((b) => b.endsWith("\n")).every((b) => b.split("\n").length === 4)).toBe(true);
    expect(JSON.parse(out.join(""))).toMatchObject({ lines: 23, accepted: 21, rejected: 2, batches: 8 });
    expect(err.join("")).toBe("line 5: not JSON\nline 18: not JSON\n");
    expect(mostOpen).toBeGreaterThan(1);
    expect(mostOpen).toBeLessThanOrEqual(3);
    expect(code).toBe(1);
  });
});
