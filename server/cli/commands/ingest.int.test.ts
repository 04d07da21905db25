import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { clusters, flowAggregates } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { createApiApp } from "@/server/api/app";
import { useSeededDatabase } from "@/server/testing/database";
import { callerFor, DEMO_PEOPLE } from "@/server/testing/actors";
import { ingestUrl, runIngest } from "./ingest";

const fixture = (name: string) => readFileSync(new URL(`../../policy/__fixtures__/hubble/${name}`, import.meta.url), "utf8");

describe(`policyplane ingest against a running server on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  let server: Server;
  let base = "";
  let token = "";
  /** Batches the server answered 429 (its flood control: 3 at once, then 2 a second). */
  let refused = 0;

  beforeAll(async () => {
    const api = createApiApp(async () => database().db, { flowRate: { perSecond: 2, burst: 3 } });
    // The REST app behind a real HTTP port, as the console serves it.
    server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
      const response = await api.fetch(
        new Request(`http://localhost${req.url}`, {
          method: req.method,
          headers,
          ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
        }),
      );
      if (response.status === 429) refused++;
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const admin = await callerFor(database().db, DEMO_PEOPLE.admin);
    const [staging] = await database().db.select().from(clusters).where(eq(clusters.name, "staging-eu-1"));
    token = (
      await admin.settings.createToken({
        name: "cli",
        role: "viewer",
        tenantId: null,
        scopes: ["flows"],
        clusterId: staging!.id,
        expiresInDays: 1,
      })
    ).token;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  function capture() {
    const out: string[] = [];
    const err: string[] = [];
    const o = vi.spyOn(process.stdout, "write").mockImplementation((s) => (out.push(String(s)), true));
    const e = vi.spyOn(process.stderr, "write").mockImplementation((s) => (err.push(String(s)), true));
    return { out, err, restore: () => (o.mockRestore(), e.mockRestore()) };
  }

  it("sends the records in batches, waits out the server's 429s, and reports rejected lines by their number in the whole input", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pp-ingest-"));
    const tcp = fixture("hubble-otel-kind-bookinfo-tcp-first45.jsonl").trimEnd().split("\n");
    const lines = [...tcp.slice(0, 10), "{broken", ...tcp.slice(10)];
    const file = join(dir, "flows.jsonl");
    writeFileSync(file, `${lines.join("\n")}\n`);
    const io = capture();
    const code = await runIngest({ server: base, token, flows: file, batchLines: 7, flushMs: 1000 }).finally(io.restore);
    const totals = JSON.parse(io.out.join(""));
    expect(totals).toMatchObject({ lines: 46, accepted: 45, rejected: 1, batches: 7 });
    expect(io.err.join("")).toMatch(/^line 11: not JSON/);
    expect(code).toBe(1);
    const [staging] = await database().db.select().from(clusters).where(eq(clusters.name, "staging-eu-1"));
    const rows = await database().db.select().from(flowAggregates).where(eq(flowAggregates.clusterId, staging!.id));
    expect(rows.reduce((n, r) => n + r.count, 0)).toBe(45);
    // Seven batches against a burst of three: some were refused 429, sent again after Retry-After, and none was lost.
    expect(refused).toBeGreaterThan(0);
  });

  it("stops with exit 1 on a refused batch, naming the server's reason", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pp-ingest-"));
    const file = join(dir, "flows.jsonl");
    writeFileSync(file, fixture("cilium-docs-export-dropped-2.jsonl"));
    const io = capture();
    const code = await runIngest({ server: base, token, cluster: "prod-eu-1", flows: file, batchLines: 100, flushMs: 1000 }).finally(
      io.restore,
    );
    expect(code).toBe(1);
    expect(io.err.join("")).toMatch(/HTTP 403.*another cluster.*0 line\(s\) accepted/);
  });

  it("refuses a server that is not an http(s) URL before sending anything", () => {
    expect(() => ingestUrl("ftp://x", undefined)).toThrow(/http/);
    expect(() => ingestUrl("not a url", undefined)).toThrow(/--server/);
    expect(ingestUrl("https://pp.example.com/console", "prod-eu-1")).toBe("https://pp.example.com/console/api/v1/flows?cluster=prod-eu-1");
  });
});
