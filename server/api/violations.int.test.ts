import { eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { clusters, violationEvents } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { forgetFlowEngines } from "@/server/flows/engine";
import { useSeededDatabase } from "@/server/testing/database";
import { hubbleRecord, scopedToken } from "@/server/testing/flows";
import { createApiApp } from "./app";

/** A dropped flow from checkout to payments on `port`, a minute ago (each port is its own path, so its own event). */
const dropped = (port: number, src = "cart-6c8d7f9b4-qwert") =>
  hubbleRecord({
    src: ["checkout", src],
    dst: ["payments", "ledger-6c8d7f9b4-qwert"],
    port,
    verdict: "DROPPED",
    time: new Date(Date.now() - 60_000).toISOString(),
  });

describe(`GET /api/v1/violations/export and /stream on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const api = createApiApp(async () => database().db, { streamPollMs: 50, flowRate: { perSecond: 1000, burst: 1000 } });
  let flows = "";
  let exporter = "";
  let nextPort = 20_000;

  beforeAll(async () => {
    forgetFlowEngines();
    flows = await scopedToken(database().db, "flows", ["flows"]);
    exporter = await scopedToken(database().db, "siem", ["export"]);
  });

  const ingest = async (n: number) => {
    const lines = Array.from({ length: n }, () => dropped(nextPort++));
    const r = await api.request("/api/v1/flows?cluster=prod-eu-1", {
      method: "POST",
      headers: { authorization: `Bearer ${flows}` },
      body: lines.join("\n"),
    });
    expect(r.status).toBe(200);
  };
  const page = (query: string, token = exporter) =>
    api.request(`/api/v1/violations/export?${query}`, { headers: { authorization: `Bearer ${token}` } });
  const allSeqs = async () => (await database().db.select({ seq: violationEvents.seq }).from(violationEvents)).map((r) => r.seq);

  it("pages through every event exactly once while batches keep arriving, and resumes from any cursor", async () => {
    await ingest(5);
    const seen: string[] = [];
    const seqs: number[] = [];
    let cursor = "";
    for (let round = 0; round < 50; round++) {
      const r = await page(`limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(r.status).toBe(200);
      const lines = (await r.text()).split("\n").filter(Boolean);
      const events = lines.map((l) => JSON.parse(l) as { cursor: string; flowClass: string; port: number });
      seen.push(...events.map((e) => e.cursor));
      seqs.push(...events.map((e) => Number(e.cursor.split("-")[1])));
      expect(r.headers.get("x-next-cursor")).toBe(events.at(-1)?.cursor ?? (cursor || "0-0"));
      cursor = r.headers.get("x-next-cursor")!;
      // New batches land between pages, three times.
      if (round < 3) await ingest(3);
      if (events.length === 0) break;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seqs.sort((a, b) => a - b)).toEqual((await allSeqs()).sort((a, b) => a - b));
    expect(seen.length).toBe(14);
    // A collector that restarts from an older cursor gets exactly what followed it.
    const again = await page(`limit=100&cursor=${seen[5]}`);
    const resumed = (await again.text())
      .split("\n")
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { cursor: string }).cursor);
    expect(resumed).toEqual(seen.slice(6));
  });

  it.skipIf(testDatabaseKind() === "pglite")(
    "holds back events of a transaction still open, so a later commit never lands behind a cursor",
    async () => {
      const db = database().db;
      const [eu] = await db.select().from(clusters).where(eq(clusters.name, "prod-eu-1"));
      const before = (await page("limit=10000")).headers.get("x-next-cursor")!;
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let opened!: () => void;
      const isOpen = new Promise<void>((resolve) => (opened = resolve));
      // An ingestion that started first and commits last.
      const slow = db.transaction(async (tx) => {
        await tx.execute(sql`insert into violation_events (cluster_id, minute, source, destination, port, protocol, verdict, flow_class,
          rationale, count, first_seen, last_seen) values (${eu!.id}, now(), 'checkout/slow', 'payments/ledger', 1, 'TCP', 'DROPPED',
          'violation', 'late commit', 1, now(), now())`);
        opened();
        await gate;
      });
      await isOpen;
      await ingest(2);
      const held = await page(`cursor=${before}`);
      expect(await held.text()).toBe("");
      expect(held.headers.get("x-next-cursor")).toBe(before);
      release();
      await slow;
      const after = (await (await page(`cursor=${before}`)).text()).split("\n").filter(Boolean);
      expect(after.map((l) => (JSON.parse(l) as { source: string }).source)).toEqual(["checkout/slow", "checkout/cart", "checkout/cart"]);
    },
  );

  it("writes CEF lines with the cursor as externalId, and refuses a bad format, cursor or limit (400) or a token without the export scope (403)", async () => {
    await ingest(1);
    const r = await page("format=cef&limit=1");
    expect(r.status).toBe(200);
    const line = (await r.text()).trimEnd();
    expect(line).toMatch(
      /^CEF:0\|Policyplane\|Policyplane\|[^|]+\|violation\|violation checkout\/cart -> payments\/ledger:\d+\/TCP\|\d+\|/,
    );
    expect(line).toContain(`externalId=${r.headers.get("x-next-cursor")}`);
    expect(line).toContain("suser=checkout/cart");
    expect(line.split("\n")).toHaveLength(1);
    for (const [query, field] of [
      ["format=xml", "format"],
      ["cursor=abc", "cursor"],
      ["limit=0", "limit"],
      ["limit=x", "limit"],
    ] as const) {
      const bad = await page(query);
      expect(bad.status, query).toBe(400);
      expect(await bad.json(), query).toMatchObject({ error: "InvalidInput", field });
    }
    const noScope = await page("limit=1", flows);
    expect(noScope.status).toBe(403);
    expect((await noScope.json()).message).toContain('"export"');
    const stream = await api.request("/api/v1/violations/stream", { headers: { authorization: `Bearer ${flows}` } });
    expect(stream.status).toBe(403);
  });

  it("streams new violations as Server-Sent Events with their cursor as id, resuming after Last-Event-ID", async () => {
    const controller = new AbortController();
    const r = await api.request("/api/v1/violations/stream", {
      headers: { authorization: `Bearer ${exporter}` },
      signal: controller.signal,
    });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("text/event-stream");
    const reader = r.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    const readUntil = async (pattern: RegExp) => {
      const deadline = Date.now() + 10_000;
      while (!pattern.test(text) && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value);
      }
      return pattern.exec(text);
    };
    expect(await readUntil(/event: ready/)).not.toBeNull();
    // Only what arrives after the stream opened.
    expect(text).not.toContain("event: violation");
    await ingest(1);
    const m = await readUntil(/event: violation\ndata: (.*)\nid: (\S+)/);
    expect(m).not.toBeNull();
    const event = JSON.parse(m![1]!) as { cursor: string; destination: string };
    expect(event.destination).toBe("payments/ledger");
    expect(m![2]).toBe(event.cursor);
    controller.abort();
    await reader.cancel().catch(() => {});
    // Reconnecting with Last-Event-ID starts after that event.
    await ingest(1);
    const resumed = await api.request("/api/v1/violations/stream", {
      headers: { authorization: `Bearer ${exporter}`, "last-event-id": event.cursor },
    });
    const reader2 = resumed.body!.getReader();
    let text2 = "";
    while (!/event: violation/.test(text2)) text2 += decoder.decode((await reader2.read()).value);
    await reader2.cancel();
    expect(text2).not.toContain(`id: ${event.cursor}\n`);
  });
});
