import { beforeAll, describe, expect, it } from "vitest";
import { violationEvents } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import type { Queryable } from "@/db/client";
import { closeMinutes } from "@/server/flows/close";
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

  /** Posts `n` new paths (or the given ports again); returns their ports. */
  const post = async (n: number, ports = Array.from({ length: n }, () => nextPort++)) => {
    const r = await api.request("/api/v1/flows?cluster=prod-eu-1", {
      method: "POST",
      headers: { authorization: `Bearer ${flows}` },
      body: ports.map((port) => dropped(port)).join("\n"),
    });
    expect(r.status).toBe(200);
    return ports;
  };
  /** The minute closer's pass, as the server's timer runs it (the records' minute is over: no grace). */
  const close = (db: Queryable = database().db) => closeMinutes(db, { graceSeconds: 0 });
  /** New paths whose minute then closes: one event each. */
  const ingest = async (n: number) => {
    const ports = await post(n);
    await close();
    return ports;
  };
  const page = (query: string, token = exporter) =>
    api.request(`/api/v1/violations/export?${query}`, { headers: { authorization: `Bearer ${token}` } });
  const allSeqs = async () => (await database().db.select({ seq: violationEvents.seq }).from(violationEvents)).map((r) => r.seq);

  it("pages through every event exactly once while batches, late flows and concurrent closers keep arriving, and resumes from any cursor", async () => {
    const first = await ingest(5);
    const seen: string[] = [];
    const seqs: number[] = [];
    const flowsByPort = new Map<number, number>();
    let cursor = "";
    const patience = Date.now() + 5_000;
    for (let round = 0; round < 200; round++) {
      const r = await page(`limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(r.status).toBe(200);
      const lines = (await r.text()).split("\n").filter(Boolean);
      const events = lines.map((l) => JSON.parse(l) as { cursor: string; flowClass: string; port: number; count: number });
      seen.push(...events.map((e) => e.cursor));
      seqs.push(...events.map((e) => Number(e.cursor.split("-")[1])));
      for (const e of events) flowsByPort.set(e.port, (flowsByPort.get(e.port) ?? 0) + e.count);
      expect(r.headers.get("x-next-cursor")).toBe(events.at(-1)?.cursor ?? (cursor || "0-0"));
      cursor = r.headers.get("x-next-cursor")!;
      // New paths land between pages, three times; once, flows of two paths whose minute already
      // closed (late deltas), emitted by two closers running at once (two replicas).
      if (round < 3) await ingest(3);
      if (round === 1) {
        await post(0, first.slice(0, 2));
        await Promise.all([close(), close()]);
      }
      // Done when the stream is drained. (An empty page can also mean events held back by a transaction
      // still running elsewhere on the server, e.g. another test file's database: ask again a while.)
      if (events.length === 0 && round >= 3 && (seen.length >= 16 || Date.now() > patience)) break;
      if (events.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seqs.sort((a, b) => a - b)).toEqual((await allSeqs()).sort((a, b) => a - b));
    expect(seen.length).toBe(5 + 9 + 2);
    // Every flow in exactly one event: two for the paths with late flows, one for the others.
    expect([...flowsByPort.values()].reduce((n, c) => n + c, 0)).toBe(5 + 9 + 2);
    expect(flowsByPort.get(first[0]!)).toBe(2);
    // A collector that restarts from an older cursor gets exactly what followed it.
    const again = await page(`limit=100&cursor=${seen[5]}`);
    const resumed = (await again.text())
      .split("\n")
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { cursor: string }).cursor);
    expect(resumed).toEqual(seen.slice(6));
    // So does one whose server restarted (a new app on the same database): nothing again, then only what is new.
    const restarted = createApiApp(async () => database().db);
    const pageAfterRestart = () =>
      restarted.request(`/api/v1/violations/export?cursor=${cursor}`, { headers: { authorization: `Bearer ${exporter}` } });
    expect(await (await pageAfterRestart()).text()).toBe("");
    const [newPort] = await ingest(1);
    const next = (await (await pageAfterRestart()).text()).split("\n").filter(Boolean);
    expect(next.map((l) => (JSON.parse(l) as { port: number }).port)).toEqual([newPort]);
  });

  it.skipIf(testDatabaseKind() === "pglite")(
    "holds back events of a transaction still open, so a later commit never lands behind a cursor",
    async () => {
      const db = database().db;
      const before = (await page("limit=10000")).headers.get("x-next-cursor")!;
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let opened!: () => void;
      const isOpen = new Promise<void>((resolve) => (opened = resolve));
      // A closer (another replica) that started first and commits last.
      const [slowPort] = await post(1);
      const slow = db.transaction(async (tx) => {
        await close(tx);
        opened();
        await gate;
      });
      await isOpen;
      // Meanwhile another closer emits two newer paths and commits.
      const ports = await ingest(2);
      const held = await page(`cursor=${before}`);
      expect(await held.text()).toBe("");
      expect(held.headers.get("x-next-cursor")).toBe(before);
      release();
      await slow;
      const after = (await (await page(`cursor=${before}`)).text()).split("\n").filter(Boolean);
      const exported = after.map((l) => (JSON.parse(l) as { port: number }).port);
      expect(exported[0]).toBe(slowPort);
      expect(exported.slice(1).sort()).toEqual(ports.sort());
    },
  );

  it("exports an event as the JSON line it always was: the path, class, rationale and attribution of its aggregate, its own count and cursor", async () => {
    const [port] = await ingest(1);
    const lines = (await (await page("limit=10000")).text()).split("\n").filter(Boolean);
    const event = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => e.port === port)!;
    expect(Object.keys(event).sort()).toEqual(
      [
        "attribution",
        "cluster",
        "count",
        "cursor",
        "destination",
        "firstSeen",
        "flowClass",
        "lastSeen",
        "minute",
        "port",
        "protocol",
        "rationale",
        "receivedAt",
        "releaseNumber",
        "severity",
        "source",
        "verdict",
      ].sort(),
    );
    expect(event).toMatchObject({
      cluster: "prod-eu-1",
      source: "checkout/cart",
      destination: "payments/ledger",
      protocol: "TCP",
      verdict: "DROPPED",
      flowClass: "violation",
      count: 1,
      cursor: expect.stringMatching(/^\d+-\d+$/),
      rationale: expect.stringContaining("deny"),
      attribution: expect.objectContaining({ layer: expect.any(String), reason: expect.any(String) }),
    });
  });

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
