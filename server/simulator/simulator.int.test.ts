import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { eq } from "drizzle-orm";
import { afterAll, describe, expect, it, vi } from "vitest";
import { auditEvents, memberships, replayDatasets, replayRunPaths, replayRuns, tenants } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { createApiApp } from "@/server/api/app";
import { demoActor, callerFor, DEMO_PEOPLE } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { paymentsDbYaml } from "@/server/testing/policies";
import { trpcFailure } from "@/server/testing/trpc";
import { parseRecordLine } from "@/server/replay/records";
import { insertPasswordUser } from "@/server/users/credentials";
import { MAX_DATASET_BYTES } from "@/lib/simulator";
import { datasetScanned, defaultDatasetStore, deleteDataset, getDataset, uploadDataset, type DatasetStore } from "./datasets";
import { cancelRun, runFinished, startReplayRun } from "./runs";

// The shared real Hubble records (../shared/fixtures/hubble), copied into the repository: CI runs in a clean clone.
const FIXTURES = path.resolve(import.meta.dirname, "../policy/__fixtures__/hubble");
const T0 = Date.parse("2026-11-30T10:00:00Z");
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const flow = (src: string, dst: string, port: number, minutes: number) => JSON.stringify({ src, dst, port, time: at(minutes) });

describe(`the Simulator's datasets and runs on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;
  // The data folder the services (and the tRPC procedures) use by default.
  const dataDir = mkdtempSync(path.join(tmpdir(), "pp-data-"));
  vi.stubEnv("POLICYPLANE_DATA_DIR", dataDir);
  const store: DatasetStore = defaultDatasetStore();
  afterAll(() => {
    vi.unstubAllEnvs();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const ctxOf = async (email: string) => ({ db: db(), actor: await demoActor(db(), email), requestId: `test-${email}` });

  async function* chunks(data: Buffer | string, size = 4096): AsyncGenerator<Uint8Array> {
    const buf = Buffer.from(data);
    for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
  }
  async function upload(name: string, text: Buffer | string, email: string = DEMO_PEOPLE.author, format: "auto" | "csv" = "auto") {
    const ctx = await ctxOf(email);
    const created = await uploadDataset({ ctx, input: { name, format }, body: chunks(text), store });
    await datasetScanned(created.id);
    return getDataset({ ctx, input: { id: created.id } });
  }

  it("reads every Hubble fixture as the CLI's reader does, gzipped or not", async () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith(".jsonl"));
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) {
      const text = readFileSync(path.join(FIXTURES, file), "utf8");
      const lines = text.split("\n").filter((l, i, all) => i < all.length - 1 || l !== "");
      const records = lines.map((l) => parseRecordLine(l)).flatMap((r) => (r.ok ? [r.record] : []));
      const good = records.length;
      const times = records.flatMap((r) => (r.time === undefined ? [] : [r.time]));
      // Each file plain; the first one gzipped too (the scan detects gzip by its magic bytes).
      const variants: [string, string | Buffer][] = [["plain", text]];
      if (file === files[0]) variants.push(["gzip", gzipSync(text)]);
      for (const [label, body] of variants) {
        const dataset = await upload(`${file} (${label})`, body);
        expect(dataset, `${file} ${label}`).toMatchObject({
          state: "ready",
          recordCount: good,
          badLineCount: lines.length - good,
          gzip: label === "gzip",
        });
        expect(dataset.timeFrom?.getTime() ?? null).toBe(times.length > 0 ? Math.min(...times) : null);
        expect(dataset.timeTo?.getTime() ?? null).toBe(times.length > 0 ? Math.max(...times) : null);
      }
    }
  });

  it("counts bad lines with their line numbers and reasons, and keeps the good ones", async () => {
    const good = readFileSync(path.join(FIXTURES, "hubble-otel-gke-istio-tcp-10.jsonl"), "utf8").trimEnd().split("\n");
    const lines = [
      good[0]!,
      good[1]!.slice(0, 200), // truncated JSON
      JSON.stringify({ src: "payments/ledger", dst: "payments/payments-db" }), // no port
      JSON.stringify({ src: "payments/ledger", dst: "payments/payments-db", port: 5432, protocol: "ICMP" }),
      `{"src":"a/b","dst":"c/d","port":1,"pad":"${"x".repeat(10 * 1024 * 1024)}"}`, // a 10 MB line
      ...good.slice(2),
    ];
    const dataset = await upload("with bad lines", lines.join("\n") + "\n");
    expect(dataset.state).toBe("ready");
    expect(dataset.recordCount).toBe(good.length - 1);
    expect(dataset.badLineCount).toBe(4);
    expect(dataset.badLines!.map((b) => b.line)).toEqual([2, 3, 4, 5]);
    expect(dataset.badLines![0]!.reason).toMatch(/JSON/i);
    expect(dataset.badLines![1]!.reason).toMatch(/port/);
    expect(dataset.badLines![2]!.reason).toMatch(/ICMP|protocol/);
    expect(dataset.badLines![3]!.reason).toMatch(/longer than/);
  });

  it("refuses a body declared over 2 GB with 413 and writes nothing; and a cookie call from another origin", async () => {
    const actor = await demoActor(db(), DEMO_PEOPLE.author);
    const api = createApiApp(async () => db(), { sessionActor: async () => actor, trustedOrigins: ["http://console.test"] });
    const before = readdirSync(store.dir).length;
    const tooBig = await api.request("/api/v1/replay/datasets?name=huge", {
      method: "POST",
      headers: { cookie: "s=1", origin: "http://console.test", "content-length": String(MAX_DATASET_BYTES + 1) },
      body: "{}",
    });
    expect(tooBig.status).toBe(413);
    expect(await tooBig.json()).toMatchObject({ error: "TooLarge" });
    expect(readdirSync(store.dir)).toHaveLength(before);

    // Through the REST route with the session cookie: the body (here labelled JSON) is streamed to the file, not parsed.
    const body = [
      flow("payments/ledger", "payments/payments-db", 5432, 0),
      flow("payments/payments-api", "payments/payments-db", 5432, 1),
    ].join("\n");
    const created = await api.request("/api/v1/replay/datasets?name=via%20REST", {
      method: "POST",
      headers: { cookie: "s=1", origin: "http://console.test", "content-type": "application/json" },
      body,
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    await datasetScanned(id);
    expect(await getDataset({ ctx: await ctxOf(DEMO_PEOPLE.author), input: { id } })).toMatchObject({
      name: "via REST",
      recordCount: 2,
      sizeBytes: Buffer.byteLength(body),
    });

    const foreign = await api.request("/api/v1/replay/datasets?name=x", {
      method: "POST",
      headers: { cookie: "s=1", origin: "http://evil.test" },
      body: "{}",
    });
    expect(foreign.status).toBe(403);
    const unnamed = await api.request("/api/v1/replay/datasets?name=", {
      method: "POST",
      headers: { cookie: "s=1", origin: "http://console.test" },
      body: "{}",
    });
    expect(unnamed.status).toBe(400);
    expect(await unnamed.json()).toMatchObject({ error: "InvalidInput", field: "name" });
  });

  it("stops a body without a declared length as it crosses the size limit: 413, nothing kept on disk or in the database", async () => {
    const actor = await demoActor(db(), DEMO_PEOPLE.author);
    const limited: DatasetStore = { dir: store.dir, maxBytes: 64 * 1024 };
    const api = createApiApp(async () => db(), {
      sessionActor: async () => actor,
      trustedOrigins: ["http://console.test"],
      datasetStore: limited,
    });
    const chunk = Buffer.from(`${flow("payments/ledger", "payments/payments-db", 5432, 0)}\n`.repeat(100));
    /** A streamed body (no content-length) of `total` bytes; `sent()` tells how much of it was read. */
    const streamed = (total: number) => {
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= total) return controller.close();
          const part = chunk.subarray(0, Math.min(chunk.length, total - sent));
          sent += part.length;
          controller.enqueue(part);
        },
      });
      return { body, sent: () => sent };
    };
    const post = (name: string, body: ReadableStream<Uint8Array>) =>
      api.request(`/api/v1/replay/datasets?name=${name}`, {
        method: "POST",
        headers: { cookie: "s=1", origin: "http://console.test" },
        body,
        duplex: "half",
      } as RequestInit);
    mkdirSync(store.dir, { recursive: true });
    const filesBefore = readdirSync(store.dir).sort();
    const over = streamed(1024 * 1024);
    const refused = await post("over-the-limit", over.body);
    expect(refused.status).toBe(413);
    expect(await refused.json()).toMatchObject({ error: "TooLarge", message: "A dataset may be at most 64 KiB." });
    // Reading stopped near the limit, not at the end of the body.
    expect(over.sent()).toBeLessThan(256 * 1024);
    expect(readdirSync(store.dir).sort()).toEqual(filesBefore);
    expect(await db().select().from(replayDatasets).where(eq(replayDatasets.name, "over-the-limit"))).toEqual([]);
    expect(await db().select().from(auditEvents).where(eq(auditEvents.targetLabel, "over-the-limit"))).toEqual([]);

    // The same stream under the limit is taken: the limit, not the streaming, refused the first one.
    const under = streamed(32 * 1024);
    const taken = await post("under-the-limit", under.body);
    expect(taken.status).toBe(201);
    const { id } = (await taken.json()) as { id: string };
    await datasetScanned(id);
    expect(await getDataset({ ctx: await ctxOf(DEMO_PEOPLE.author), input: { id } })).toMatchObject({ sizeBytes: 32 * 1024 });
  });

  /** The author saves a new version of payments-db and proposes it. */
  async function proposePaymentsDb(title: string, yaml: string) {
    const author = await callerFor(db(), DEMO_PEOPLE.author);
    const current = await author.policies.get({ name: "payments-db" });
    await author.policies.saveDraft({ policyName: "payments-db", baseVersion: current.policy.latestVersion, yaml, message: title });
    return (await author.policies.proposeChange({ title, description: "", policies: ["payments-db"] })).number;
  }

  const DATASET = [
    flow("payments/ledger", "payments/payments-db", 5432, 0),
    flow("payments/payments-api", "payments/payments-db", 5432, 1),
    flow("payments/ledger", "payments/payments-db", 5432, 2),
    flow("checkout/checkout-api", "payments/payments-db", 5432, 3),
    flow("payments/payments-api", "payments/payments-db", 5432, 4),
  ].join("\n");

  it("shows exactly the records a proposal denies as allow → deny, with both rationales, and an identical proposal changes nothing", async () => {
    const dataset = await upload("ledger traffic", DATASET);
    expect(dataset.recordCount).toBe(5);
    // payments-db's ingress narrowed to the API: the ledger's calls to the database become denied.
    const number = await proposePaymentsDb("payments-db: the API only", paymentsDbYaml("The API only.", ["payments-api"]));
    const ctx = await ctxOf(DEMO_PEOPLE.author);
    const run = await startReplayRun({ ctx, input: { datasetId: dataset.id, changeNumber: number, cluster: "prod-eu-1" }, store });
    await runFinished(run.id);
    const [stored] = await db().select().from(replayRuns).where(eq(replayRuns.id, run.id));
    expect(stored!.error).toBeNull();
    expect(stored!.state).toBe("succeeded");
    expect(stored!.totals!.changes["newly-denied"]).toEqual({ flows: 2, paths: 1 });
    expect(stored!.totals!.changes["newly-allowed"]).toEqual({ flows: 0, paths: 0 });
    const rows = await db().select().from(replayRunPaths).where(eq(replayRunPaths.runId, run.id));
    const denied = rows.filter((r) => r.change === "newly-denied");
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({ src: "payments/ledger", dst: "payments/payments-db", port: 5432, flows: 2, sampleLines: [1, 3] });
    expect(denied[0]!.firstSeen.toISOString()).toBe(at(0));
    expect(denied[0]!.lastSeen.toISOString()).toBe(at(2));
    expect(denied[0]!.baselinePath).toMatch(/allow/);
    expect(denied[0]!.proposalPath).toMatch(/deny/);
    expect(rows.find((r) => r.src === "payments/payments-api")).toMatchObject({ change: "unchanged-allow", flows: 2 });

    const caller = await callerFor(db(), DEMO_PEOPLE.security);
    const samples = await caller.simulator.runSamples({ id: run.id, pathId: denied[0]!.id });
    expect(samples.samples.map((s) => s.line)).toEqual([1, 3]);
    expect(samples.samples[0]!.text).toContain("payments/ledger");
    const latest = await caller.simulator.changeRun({ number });
    expect(latest?.id).toBe(run.id);
    const filtered = await caller.simulator.runPaths({ id: run.id, change: "newly-denied" });
    expect(filtered.total).toBe(1);

    // An identical proposal (the policy saved again with a new description only) decides every record as the release does.
    const same = await proposePaymentsDb("payments-db: reworded", paymentsDbYaml("Reworded, same rules.", ["payments-api", "ledger"]));
    const again = await startReplayRun({ ctx, input: { datasetId: dataset.id, changeNumber: same, cluster: "prod-eu-1" }, store });
    await runFinished(again.id);
    const [unchanged] = await db().select().from(replayRuns).where(eq(replayRuns.id, again.id));
    expect(unchanged!.totals!.changes["newly-denied"].flows + unchanged!.totals!.changes["newly-allowed"].flows).toBe(0);
    expect(unchanged!.totals!.changes["unchanged-allow"].flows).toBe(4);

    const audited = await db().select().from(auditEvents).where(eq(auditEvents.targetId, run.id));
    expect(audited.map((e) => e.action)).toEqual(["replay.run.start"]);
  });

  it("decides only the records inside the run's time window and counts the others", async () => {
    const dataset = await upload("windowed", DATASET);
    const ctx = await ctxOf(DEMO_PEOPLE.author);
    const run = await startReplayRun({
      ctx,
      input: { datasetId: dataset.id, changeNumber: null, cluster: "prod-eu-1", from: at(1), to: at(3) },
      store,
    });
    await runFinished(run.id);
    const [stored] = await db().select().from(replayRuns).where(eq(replayRuns.id, run.id));
    expect(stored).toMatchObject({ state: "succeeded", windowFrom: new Date(at(1)), windowTo: new Date(at(3)) });
    // Minutes 1, 2, 3 are inside; 0 and 4 are not.
    expect(stored!.totals).toMatchObject({ records: 3, outsideWindow: 2, flows: 3 });
    const rows = await db().select().from(replayRunPaths).where(eq(replayRunPaths.runId, run.id));
    expect(rows.flatMap((r) => r.sampleLines).sort()).toEqual([2, 3, 4]);
  });

  it("resolves each record through the inventory of the cluster it names; the chosen cluster is for the records naming none", async () => {
    // image-resizer runs in the EU clusters only.
    const line = (cluster?: string) =>
      JSON.stringify({
        src: "catalog/image-resizer",
        dst: "catalog/catalog-api",
        port: 8080,
        time: at(0),
        ...(cluster ? { cluster } : {}),
      });
    const dataset = await upload("per-record clusters", [line("prod-eu-1"), line("prod-us-1"), line(), line("nowhere")].join("\n"));
    const ctx = await ctxOf(DEMO_PEOPLE.author);
    const totals = async (cluster: string) => {
      const run = await startReplayRun({ ctx, input: { datasetId: dataset.id, changeNumber: null, cluster }, store });
      await runFinished(run.id);
      const [stored] = await db().select().from(replayRuns).where(eq(replayRuns.id, run.id));
      expect(stored!.state).toBe("succeeded");
      const rows = await db().select().from(replayRunPaths).where(eq(replayRunPaths.runId, run.id));
      return { ...stored!.totals!, lines: rows.flatMap((r) => r.sampleLines).sort() };
    };
    // prod-us-1 as the default: only the record naming prod-eu-1 finds the pod.
    expect(await totals("prod-us-1")).toMatchObject({ records: 4, unreadable: 3, flows: 1, lines: [1] });
    // prod-eu-1 as the default: the record naming none finds it too; prod-us-1 and an unknown cluster still do not.
    expect(await totals("prod-eu-1")).toMatchObject({ records: 4, unreadable: 2, flows: 2, lines: [1, 3] });
    await expect(
      startReplayRun({ ctx, input: { datasetId: dataset.id, changeNumber: null, cluster: "nowhere" }, store }),
    ).rejects.toMatchObject({ name: "NotFound" });
  });

  it("keeps the same workload name in different clusters apart: one row per cluster, never merged", async () => {
    const line = (minutes: number, cluster?: string) =>
      JSON.stringify({
        src: "payments/ledger",
        dst: "payments/payments-db",
        port: 5432,
        time: at(minutes),
        ...(cluster ? { cluster } : {}),
      });
    // Two records in prod-eu-1 (one naming it, one naming none with prod-eu-1 the default), three in prod-us-1.
    const dataset = await upload(
      "ledger in two clusters",
      [line(0, "prod-eu-1"), line(1), line(2, "prod-us-1"), line(3, "prod-us-1"), line(4, "prod-us-1")].join("\n"),
    );
    const ctx = await ctxOf(DEMO_PEOPLE.author);
    const run = await startReplayRun({ ctx, input: { datasetId: dataset.id, changeNumber: null, cluster: "prod-eu-1" }, store });
    await runFinished(run.id);
    const rows = await db().select().from(replayRunPaths).where(eq(replayRunPaths.runId, run.id));
    expect(
      rows
        .map((r) => ({ cluster: r.cluster, src: r.src, dst: r.dst, flows: r.flows, lines: r.sampleLines }))
        .sort((a, b) => a.cluster!.localeCompare(b.cluster!)),
    ).toEqual([
      { cluster: "prod-eu-1", src: "payments/ledger", dst: "payments/payments-db", flows: 2, lines: [1, 2] },
      { cluster: "prod-us-1", src: "payments/ledger", dst: "payments/payments-db", flows: 3, lines: [3, 4, 5] },
    ]);
    // The table's search finds rows by their cluster too, and the CSV export names it.
    const caller = await callerFor(db(), DEMO_PEOPLE.author);
    const found = await caller.simulator.runPaths({
      id: run.id,
      search: "prod-us",
      sort: "flows",
      direction: "desc",
      limit: 10,
      offset: 0,
    });
    expect(found.rows.map((r) => r.cluster)).toEqual(["prod-us-1"]);
    const actor = await demoActor(db(), DEMO_PEOPLE.author);
    const api = createApiApp(async () => db(), { sessionActor: async () => actor, trustedOrigins: ["http://console.test"] });
    const csv = await api.request(`/api/v1/replay/runs/${run.id}/export?format=csv`, {
      headers: { cookie: "s=1", origin: "http://console.test" },
    });
    expect(csv.status).toBe(200);
    const text = await csv.text();
    expect(text.split("\n")[0]).toMatch(/^cluster,src,dst,/);
    expect(text).toContain("prod-us-1,payments/ledger,payments/payments-db,5432,TCP,");
  });

  it("gives the graph exactly the run's changed paths of one cluster, and refuses a reader who may not see the run", async () => {
    const line = (src: string, minutes: number, cluster?: string) =>
      JSON.stringify({ src, dst: "payments/payments-db", port: 5432, time: at(minutes), ...(cluster ? { cluster } : {}) });
    const dataset = await upload(
      "changes for the graph",
      [
        line("payments/ledger", 0),
        line("payments/ledger", 1, "prod-us-1"),
        line("payments/payments-api", 2),
        line("payments/psp-adapter", 3),
        line("payments/ledger", 4),
      ].join("\n"),
    );
    // payments-db: the ledger loses its access (newly denied), the PSP adapter gains it (newly allowed).
    const number = await proposePaymentsDb(
      "payments-db: the API and the PSP adapter",
      paymentsDbYaml("Swap.", ["payments-api", "psp-adapter"]),
    );
    const ctx = await ctxOf(DEMO_PEOPLE.author);
    const run = await startReplayRun({ ctx, input: { datasetId: dataset.id, changeNumber: number, cluster: "prod-eu-1" }, store });
    await runFinished(run.id);
    const rows = await db().select().from(replayRunPaths).where(eq(replayRunPaths.runId, run.id));
    expect(rows.filter((r) => r.change.startsWith("unchanged")).map((r) => r.src)).toEqual(["payments/payments-api"]);

    const path = (cluster: string, src: string, change: string, flows: number) => ({
      cluster,
      src,
      dst: "payments/payments-db",
      port: 5432,
      protocol: "TCP",
      change,
      flows,
    });
    const security = await callerFor(db(), DEMO_PEOPLE.security);
    expect(await security.simulator.runOverlay({ id: run.id, cluster: "prod-eu-1" })).toEqual([
      path("prod-eu-1", "payments/ledger", "newly-denied", 2),
      path("prod-eu-1", "payments/psp-adapter", "newly-allowed", 1),
    ]);
    expect(await security.simulator.runOverlay({ id: run.id, cluster: "prod-us-1" })).toEqual([
      path("prod-us-1", "payments/ledger", "newly-denied", 1),
    ]);
    expect(await security.simulator.runOverlay({ id: run.id, cluster: "all" })).toHaveLength(3);
    expect(await security.simulator.runOverlay({ id: run.id, cluster: "staging-eu-1" })).toEqual([]);

    // Someone in the checkout tenant only may not read a payments change request, so not its run either.
    const [checkout] = await db().select({ id: tenants.id }).from(tenants).where(eq(tenants.name, "checkout"));
    const email = "only.checkout.overlay@acme.example";
    const userId = await insertPasswordUser(db(), { name: "Checkout only", email, password: "a-good-password" });
    await db().insert(memberships).values({ userId, tenantId: checkout!.id, role: "viewer" });
    const outsider = await callerFor(db(), email);
    const refused = await trpcFailure(outsider.simulator.runOverlay({ id: run.id, cluster: "prod-eu-1" }));
    expect(refused.code).toBe("NOT_FOUND");
    expect((await trpcFailure(security.simulator.runOverlay({ id: run.id, cluster: " " }))).code).toBe("BAD_REQUEST");
  });

  it("cancelling a run leaves no half-written results, and only its starter or an admin may cancel", async () => {
    const big = Array.from({ length: 60_000 }, (_, i) => flow("payments/ledger", "payments/payments-db", 5432, i % 600)).join("\n");
    const dataset = await upload("a longer recording", big);
    const ctx = await ctxOf(DEMO_PEOPLE.author);
    const run = await startReplayRun({ ctx, input: { datasetId: dataset.id, changeNumber: null, cluster: "prod-eu-1" }, store });
    const viewer = await callerFor(db(), DEMO_PEOPLE.viewer);
    expect((await trpcFailure(viewer.simulator.cancelRun({ id: run.id }))).code).toBe("FORBIDDEN");
    const cancelled = await cancelRun({ ctx, input: { id: run.id } });
    expect(cancelled.state).toBe("cancelled");
    await runFinished(run.id);
    const [stored] = await db().select().from(replayRuns).where(eq(replayRuns.id, run.id));
    expect(stored).toMatchObject({ state: "cancelled", totals: null });
    expect(await db().select().from(replayRunPaths).where(eq(replayRunPaths.runId, run.id))).toEqual([]);
    expect((await trpcFailure((await callerFor(db(), DEMO_PEOPLE.author)).simulator.cancelRun({ id: run.id }))).code).toBe("CONFLICT");
  });

  /** A path row as a run's store writes it (ledger → payments-db, one flow), for a run not finished yet. */
  const pathRowOf = (runId: string) => ({
    runId,
    src: "payments/ledger",
    dst: "payments/payments-db",
    port: 5432,
    protocol: "TCP",
    change: "newly-denied" as const,
    baseline: "allow",
    proposal: "deny",
    flows: 1,
    records: 1,
    firstSeen: new Date(T0),
    lastSeen: new Date(T0),
    baselinePath: "",
    proposalPath: "",
    sampleLines: [1],
  });

  it("writes a result of many paths whole (several chunks), and shows none of a run's rows before it has succeeded", async () => {
    // 640 distinct ports: 640 path rows, written a chunk per transaction.
    const ports = Array.from({ length: 640 }, (_, i) => flow("payments/ledger", "payments/payments-db", 10_000 + i, i % 60)).join("\n");
    const dataset = await upload("many paths", ports);
    const ctx = await ctxOf(DEMO_PEOPLE.author);
    const run = await startReplayRun({ ctx, input: { datasetId: dataset.id, changeNumber: null, cluster: "prod-eu-1" }, store });
    // A row written while the run is still running (as a chunk is before the run succeeds) is not its result yet.
    const [early] = await db().insert(replayRunPaths).values(pathRowOf(run.id)).returning();
    const caller = await callerFor(db(), DEMO_PEOPLE.author);
    const [state] = await db().select({ state: replayRuns.state }).from(replayRuns).where(eq(replayRuns.id, run.id));
    // The run's thread takes far longer to start than these few queries.
    expect(state!.state).toBe("running");
    expect(await caller.simulator.runPaths({ id: run.id })).toMatchObject({ rows: [], total: 0 });
    expect(await caller.simulator.runOverlay({ id: run.id, cluster: "all" })).toEqual([]);
    expect((await trpcFailure(caller.simulator.runSamples({ id: run.id, pathId: early!.id }))).code).toBe("NOT_FOUND");
    await db().delete(replayRunPaths).where(eq(replayRunPaths.id, early!.id));
    // While its chunks are written the run says so (the page shows "Storing the results"), with the share stored.
    const seen: { phase: string; progress: number }[] = [];
    for (let state = "running"; state === "running";) {
      const [now] = await db()
        .select({ state: replayRuns.state, phase: replayRuns.phase, progress: replayRuns.progress })
        .from(replayRuns)
        .where(eq(replayRuns.id, run.id));
      state = now!.state;
      if (state === "running") seen.push(now!);
      // A macrotask between polls: the run's thread reports through messages (PGlite's queries never yield).
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await runFinished(run.id);
    const storing = seen.filter((s) => s.phase === "storing");
    expect(storing.length).toBeGreaterThan(0);
    expect(storing.every((s, i) => s.progress < 1 && s.progress >= (storing[i - 1]?.progress ?? 0))).toBe(true);
    expect(seen.slice(seen.indexOf(storing[0]!)).every((s) => s.phase === "storing")).toBe(true);
    const [stored] = await db().select().from(replayRuns).where(eq(replayRuns.id, run.id));
    expect(stored).toMatchObject({ state: "succeeded", totals: { records: 640, flows: 640 } });
    const rows = await db().select().from(replayRunPaths).where(eq(replayRunPaths.runId, run.id));
    expect(rows).toHaveLength(640);
    expect(new Set(rows.map((r) => r.port)).size).toBe(640);
    expect(rows.flatMap((r) => r.sampleLines).sort((a, b) => a - b)).toEqual(Array.from({ length: 640 }, (_, i) => i + 1));
    expect((await caller.simulator.runPaths({ id: run.id, limit: 10 })).total).toBe(640);
  });

  it("fails a run a stopped server left running, and deletes the rows it had written", async () => {
    const dataset = await upload("interrupted", DATASET);
    const [orphan] = await db()
      .insert(replayRuns)
      .values({
        datasetId: dataset.id,
        cluster: "prod-eu-1",
        proposalKind: "drafts",
        baselineLabel: "release",
        proposalLabel: "drafts",
        startedByLabel: "a server since stopped",
      })
      .returning();
    await db().insert(replayRunPaths).values(pathRowOf(orphan!.id));
    const caller = await callerFor(db(), DEMO_PEOPLE.author);
    expect(await caller.simulator.run({ id: orphan!.id })).toMatchObject({ state: "failed", error: "the server stopped during the run" });
    expect(await db().select().from(replayRunPaths).where(eq(replayRunPaths.runId, orphan!.id))).toEqual([]);
  });

  it("lets the uploader or an admin delete a dataset (audited, file removed), not another member", async () => {
    const dataset = await upload("to delete", DATASET);
    const files = readdirSync(store.dir).length;
    const other = await ctxOf(DEMO_PEOPLE.security);
    await expect(deleteDataset({ ctx: other, input: { id: dataset.id }, store })).rejects.toMatchObject({ name: "Forbidden" });
    await deleteDataset({ ctx: await ctxOf(DEMO_PEOPLE.admin), input: { id: dataset.id }, store });
    expect(readdirSync(store.dir).length).toBe(files - 1);
    const audited = await db().select().from(auditEvents).where(eq(auditEvents.targetId, dataset.id)).orderBy(auditEvents.seq);
    expect(audited.map((e) => e.action)).toEqual(["dataset.upload", "dataset.delete"]);
  });
});
