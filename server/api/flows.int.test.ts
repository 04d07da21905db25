import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { and, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { clusters, flowAggregates, namespaces, violationEvents, workloads } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { closeMinutes } from "@/server/flows/close";
import { forgetFlowEngines } from "@/server/flows/engine";
import { severityOf } from "@/server/flows/severity";
import { SEVERITIES } from "@/lib/flows";
import { useSeededDatabase } from "@/server/testing/database";
import { callerFor, DEMO_PEOPLE } from "@/server/testing/actors";
import { hubbleRecord as hubble, scopedToken } from "@/server/testing/flows";
import { createApiApp } from "./app";
import { MAX_FLOW_BATCH_BYTES } from "./flows";

// The shared real Hubble records (../shared/fixtures/hubble), copied into the repository: CI runs in a clean clone.
const FIXTURES = new URL("../policy/__fixtures__/hubble/", import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES), "utf8");

describe(`POST /api/v1/flows on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const api = createApiApp(async () => database().db);
  let token = "";
  let euToken = "";
  let usToken = "";

  const post = (
    body: string | Uint8Array<ArrayBuffer>,
    opts: { cluster?: string; token?: string; headers?: Record<string, string> } = {},
  ) =>
    api.request(`/api/v1/flows${opts.cluster ? `?cluster=${opts.cluster}` : ""}`, {
      method: "POST",
      headers: { authorization: `Bearer ${opts.token ?? token}`, "content-type": "application/x-ndjson", ...opts.headers },
      body,
    });

  beforeAll(async () => {
    const db = database().db;
    forgetFlowEngines();
    // The Star Wars demo's pods (../cilium/starwars-*.yaml) in prod-eu-1's default namespace, as an inventory would list them.
    const [eu] = await db.select().from(clusters).where(eq(clusters.name, "prod-eu-1"));
    const [ns] = await db.insert(namespaces).values({ clusterId: eu!.id, name: "default", labels: {} }).returning();
    await db.insert(workloads).values([
      { namespaceId: ns!.id, name: "xwing", kind: "Deployment", labels: { org: "alliance", class: "xwing" } },
      {
        namespaceId: ns!.id,
        name: "deathstar",
        kind: "Deployment",
        labels: { org: "empire", class: "deathstar" },
        ports: [{ name: "http", port: 80, protocol: "TCP" }],
      },
    ]);
    token = await scopedToken(db, "flows any", ["flows"]);
    euToken = await scopedToken(db, "flows eu", ["flows"], "prod-eu-1");
    usToken = await scopedToken(db, "flows us", ["flows"], "prod-us-1");
  });

  const rowsOf = async (clusterName: string) => {
    const db = database().db;
    const [c] = await db.select().from(clusters).where(eq(clusters.name, clusterName));
    return db.select().from(flowAggregates).where(eq(flowAggregates.clusterId, c!.id));
  };

  it("turns the fixture's policy drop into a violation attributed by the engine, and reports the ICMP line by number", async () => {
    const response = await post(fixture("cilium-docs-export-dropped-2.jsonl"), { cluster: "prod-eu-1" });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({ cluster: "prod-eu-1", lines: 2, accepted: 1, rejected: 1, unattributed: 0 });
    expect(body.classes).toEqual({ violation: 1, "near-miss": 0, "enforcement-gap": 0, allowed: 0 });
    expect(body.errors).toEqual([{ line: 1, reason: expect.stringContaining("ICMPv6 is not a protocol network policy decides") }]);
    const [row] = (await rowsOf("prod-eu-1")).filter((r) => r.source === "default/xwing");
    expect(row).toMatchObject({
      destination: "default/deathstar",
      port: 80,
      protocol: "TCP",
      verdict: "DROPPED",
      flowClass: "violation",
      engineVerdict: "deny",
      count: 1,
      minute: new Date("2023-08-21T12:12:00Z"),
    });
    // Nothing in the release selects the Star Wars pods: the platform default (secure by default) denied it.
    expect(row!.attribution).toMatchObject({ layer: "default", reason: expect.stringContaining("platform default") });
    expect(row!.rationale).toContain("POLICY_DENIED");
    expect(row!.samples).toHaveLength(1);
    expect(JSON.parse(row!.samples[0]!.line).flow.source.pod_name).toBe("xwing");
  });

  it("attributes flows between inventory workloads to the policy, tier and rule of the release", async () => {
    const lines = [
      hubble({
        src: ["payments", "payments-api-7d9f8c6b5d-abcde"],
        dst: ["kube-system", "coredns-5d78c9869d-x2x2x"],
        port: 53,
        proto: "UDP",
        verdict: "FORWARDED",
        time: "2026-12-06T06:00:10Z",
      }),
      hubble({
        src: ["checkout", "cart-6c8d7f9b4-qwert"],
        dst: ["payments", "payments-db-0"],
        port: 5432,
        verdict: "FORWARDED",
        time: "2026-12-06T06:00:30Z",
      }),
      hubble({
        src: ["checkout", "cart-6c8d7f9b4-qwert"],
        dst: ["payments", "payments-db-1"],
        port: 5432,
        verdict: "DROPPED",
        time: "2026-12-06T06:00:40Z",
      }),
    ];
    const response = await post(lines.join("\n") + "\n", { cluster: "prod-eu-1" });
    expect(await response.json()).toMatchObject({ accepted: 3, rejected: 0, classes: { violation: 1, "enforcement-gap": 1, allowed: 1 } });
    const rows = await rowsOf("prod-eu-1");
    const dns = rows.find((r) => r.source === "payments/payments-api" && r.destination === "kube-system/coredns")!;
    expect(dns).toMatchObject({ flowClass: "allowed", engineVerdict: "allow", attribution: { layer: "admin", tier: "global" } });
    expect(dns.rationale).toContain("global-allow-dns");
    // The cluster forwarded what the release denies: an enforcement gap, denied by checkout's own egress policy.
    const gap = rows.find((r) => r.source === "checkout/cart" && r.flowClass === "enforcement-gap")!;
    expect(gap).toMatchObject({ destination: "payments/payments-db", verdict: "FORWARDED", engineVerdict: "deny" });
    expect(gap.attribution).toMatchObject({ layer: "namespace", policy: "Policy checkout/cart" });
    const tenants = await database()
      .db.select()
      .from(namespaces)
      .where(and(eq(namespaces.name, "payments"), eq(namespaces.clusterId, gap.clusterId)));
    expect(gap.destinationTenantId).toBe(tenants[0]!.tenantId);
    // The same path dropped in the same minute is its own aggregate (another verdict and class).
    expect(rows.find((r) => r.source === "checkout/cart" && r.flowClass === "violation")).toMatchObject({ verdict: "DROPPED", count: 1 });
  });

  it("ingests every Hubble fixture: per-line rejections, and stored flows equal to the accepted records", async () => {
    const names = [
      "hubble-otel-gke-istio-tcp-10.jsonl",
      "hubble-otel-dns-l7-5.jsonl",
      "hubble-otel-http-l7-5.jsonl",
      "hubble-otel-kind-bookinfo-tcp-first45.jsonl",
      "hubble-otel-kind-bookinfo-udp-dns-first33.jsonl",
      "hubble-otel-kind-icmpv4-18.jsonl",
    ];
    let accepted = 0;
    let lines = 0;
    for (const name of names) {
      const text = fixture(name);
      const response = await post(text, { cluster: "staging-eu-1" });
      expect(response.status, name).toBe(200);
      const body = await response.json();
      expect(body.lines, name).toBe(text.trimEnd().split("\n").length);
      expect(body.accepted + body.rejected, name).toBe(body.lines);
      expect(
        body.errors.map((e: { line: number }) => e.line).every((n: number) => n >= 1 && n <= body.lines),
        name,
      ).toBe(true);
      accepted += body.accepted;
      lines += body.lines;
    }
    expect(lines).toBe(116);
    // ICMP echo is not something network policy decides: those 18 are refused by number, the rest kept.
    expect(accepted).toBe(98);
    const rows = await rowsOf("staging-eu-1");
    expect(rows.reduce((n, r) => n + r.count, 0)).toBe(accepted);
    expect(rows.every((r) => r.samples.length >= 1 && r.samples.length <= 3)).toBe(true);
    // Bookinfo's pods are not in staging-eu-1's inventory: they join with the labels their records carry and are decided.
    expect(rows.filter((r) => r.source.startsWith("bookinfo/") && r.engineVerdict !== null).length).toBeGreaterThan(0);
  });

  it("folds a path's flows of one minute into one aggregate, across batches, keeping at most three samples", async () => {
    const line = (second: number) =>
      hubble({
        src: ["identity", "auth-server-7d9f8c6b5d-abcde"],
        dst: ["identity", "identity-db-0"],
        port: 5432,
        verdict: "DROPPED",
        time: `2026-12-06T05:10:${String(second).padStart(2, "0")}Z`,
      });
    await post([1, 2].map(line).join("\n"), { cluster: "prod-us-1" });
    await post([3, 4, 5].map(line).join("\n"), { cluster: "prod-us-1" });
    const rows = (await rowsOf("prod-us-1")).filter((r) => r.source === "identity/auth-server");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ count: 5, firstSeen: new Date("2026-12-06T05:10:01Z"), lastSeen: new Date("2026-12-06T05:10:05Z") });
    expect(rows[0]!.samples.map((s) => s.time)).toEqual([
      "2026-12-06T05:10:01.000Z",
      "2026-12-06T05:10:02.000Z",
      "2026-12-06T05:10:03.000Z",
    ]);
    // A batch after the samples are full counts its flows and leaves the samples as they were.
    await post([6, 7].map(line).join("\n"), { cluster: "prod-us-1" });
    const [after] = (await rowsOf("prod-us-1")).filter((r) => r.source === "identity/auth-server");
    expect(after).toMatchObject({ count: 7, lastSeen: new Date("2026-12-06T05:10:07Z"), samples: rows[0]!.samples });
    // No event per batch: once the minute is closed, one event for the path and minute with its count.
    const eventsOf = async () =>
      (
        await database()
          .db.select({ count: violationEvents.count })
          .from(violationEvents)
          .where(eq(violationEvents.aggregateId, after!.id))
          .orderBy(violationEvents.seq)
      ).map((e) => e.count);
    expect(await eventsOf()).toEqual([]);
    await closeMinutes(database().db);
    expect(await eventsOf()).toEqual([7]);
    // Flows of that minute arriving after it closed: one late event with their count.
    await post([8, 9].map(line).join("\n"), { cluster: "prod-us-1" });
    await closeMinutes(database().db);
    await closeMinutes(database().db);
    expect(await eventsOf()).toEqual([7, 2]);
  });

  it("keeps apart, within one batch, flows differing only by minute, source, destination, port, protocol or verdict", async () => {
    const base = {
      src: ["identity", "auth-server-7d9f8c6b5d-abcde"] as [string, string],
      dst: ["identity", "identity-db-0"] as [string, string],
      port: 7001,
      verdict: "DROPPED",
      time: "2026-12-06T06:20:01Z",
    };
    const lines = [
      base,
      { ...base, time: "2026-12-06T06:20:59Z" }, // same aggregate as the first
      { ...base, time: "2026-12-06T06:21:01Z" },
      { ...base, src: ["identity", "token-issuer-0"] as [string, string] },
      { ...base, dst: ["identity", "auth-server-7d9f8c6b5d-abcde"] as [string, string] },
      { ...base, port: 7002 },
      { ...base, proto: "UDP" as const },
      { ...base, verdict: "AUDIT" },
      { ...base, verdict: "AUDIT", time: "2026-12-06T06:20:30Z" }, // same aggregate as the previous one
    ].map(hubble);
    const res = await post(lines.join("\n"), { cluster: "prod-us-1" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 9, aggregates: 7 });
    const rows = (await rowsOf("prod-us-1")).filter((r) => r.port === 7001 || r.port === 7002);
    const summary = rows
      .map((r) => `${r.minute.toISOString().slice(11, 16)} ${r.source} ${r.destination} ${r.port} ${r.protocol} ${r.verdict} ${r.count}`)
      .sort();
    expect(summary).toEqual([
      "06:20 identity/auth-server identity/auth-server 7001 TCP DROPPED 1",
      "06:20 identity/auth-server identity/identity-db 7001 TCP AUDIT 2",
      "06:20 identity/auth-server identity/identity-db 7001 TCP DROPPED 2",
      "06:20 identity/auth-server identity/identity-db 7001 UDP DROPPED 1",
      "06:20 identity/auth-server identity/identity-db 7002 TCP DROPPED 1",
      "06:20 identity/token-issuer-0 identity/identity-db 7001 TCP DROPPED 1",
      "06:21 identity/auth-server identity/identity-db 7001 TCP DROPPED 1",
    ]);
  });

  it("keeps the first three samples of a recent minute while its batches stream in, whichever batch brought them", async () => {
    const minute = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
    const line = (port: number, second: number) =>
      hubble({
        src: ["identity", "auth-server-7d9f8c6b5d-abcde"],
        dst: ["identity", "identity-db-0"],
        port,
        verdict: "DROPPED",
        time: new Date(minute + second * 1000).toISOString(),
      });
    const samplesOf = async (port: number) => {
      const [row] = (await rowsOf("prod-us-1")).filter((r) => r.source === "identity/auth-server" && r.port === port);
      return { count: row!.count, seconds: row!.samples.map((s) => new Date(s.time).getUTCSeconds()) };
    };
    // A batch that fills the samples, then batches of the same minute: counted, samples as they were.
    await post([1, 2, 3].map((s) => line(6001, s)).join("\n"), { cluster: "prod-us-1" });
    await post([4, 5].map((s) => line(6001, s)).join("\n"), { cluster: "prod-us-1" });
    await post([6].map((s) => line(6001, s)).join("\n"), { cluster: "prod-us-1" });
    expect(await samplesOf(6001)).toEqual({ count: 6, seconds: [1, 2, 3] });
    // One sample first, then a batch of three: the stored one and the first two new ones.
    await post(line(6002, 1), { cluster: "prod-us-1" });
    await post([2, 3, 4].map((s) => line(6002, s)).join("\n"), { cluster: "prod-us-1" });
    await post([5, 6, 7].map((s) => line(6002, s)).join("\n"), { cluster: "prod-us-1" });
    expect(await samplesOf(6002)).toEqual({ count: 7, seconds: [1, 2, 3] });
  });

  it("accepts gzip; refuses a batch too large (413), bad gzip and a missing cluster (400)", async () => {
    const text = hubble({
      src: ["search", "search-api-7d9f8c6b5d-abcde"],
      dst: ["search", "search-indexer-0"],
      port: 8080,
      verdict: "DROPPED",
      time: "2026-12-06T05:20:00Z",
    });
    const gz = await post(new Uint8Array(gzipSync(text)), { cluster: "prod-us-1", headers: { "content-encoding": "gzip" } });
    expect(gz.status).toBe(200);
    expect(await gz.json()).toMatchObject({ accepted: 1, classes: { violation: 1 } });
    // A small body that inflates past the batch bound.
    const bomb = new Uint8Array(gzipSync(Buffer.alloc(MAX_FLOW_BATCH_BYTES + 1, 0x20)));
    const big = await post(bomb, { cluster: "prod-us-1", headers: { "content-encoding": "gzip" } });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: "TooLarge" });
    const over = await post("x".repeat(10 * 1024 * 1024 + 1), { cluster: "prod-us-1" });
    expect(over.status).toBe(413);
    const bad = await post("not gzip at all", { cluster: "prod-us-1", headers: { "content-encoding": "gzip" } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: "InvalidInput", field: "body" });
    const noCluster = await post(text);
    expect(noCluster.status).toBe(400);
    expect(await noCluster.json()).toMatchObject({ field: "cluster" });
  });

  it("refuses an unknown cluster (404), another cluster's token or a token without the flows scope (403); a bound token needs no cluster", async () => {
    const text = hubble({
      src: ["payments", "payments-api-7d9f8c6b5d-abcde"],
      dst: ["payments", "ledger-6c8d7f9b4-qwert"],
      port: 9090,
      verdict: "FORWARDED",
      time: "2026-12-06T05:30:00Z",
    });
    const unknown = await post(text, { cluster: "nowhere-1" });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).message).toContain("nowhere-1");
    const other = await post(text, { cluster: "prod-eu-1", token: usToken });
    expect(other.status).toBe(403);
    expect((await other.json()).message).toContain("another cluster");
    const decideOnly = await scopedToken(database().db, "decide only", ["decide"]);
    const noScope = await post(text, { cluster: "prod-eu-1", token: decideOnly });
    expect(noScope.status).toBe(403);
    expect((await noScope.json()).message).toContain('"flows"');
    const before = (await rowsOf("prod-eu-1")).filter((r) => r.minute.getTime() === Date.parse("2026-12-06T05:30:00Z"));
    expect(before).toHaveLength(0);
    const bound = await post(text, { token: euToken });
    expect(bound.status).toBe(200);
    expect(await bound.json()).toMatchObject({ cluster: "prod-eu-1", accepted: 1 });
  });

  it("reports malformed lines by number and keeps the batch's good lines", async () => {
    const good = hubble({
      src: ["payments", "payments-api-7d9f8c6b5d-abcde"],
      dst: ["payments", "fraud-scoring-6c8d7f9b4-qwert"],
      port: 8080,
      verdict: "FORWARDED",
      time: "2026-12-06T05:40:00Z",
    });
    const body = [
      good,
      "{not json",
      "",
      '{"flow":{"verdict":"DROPPED"}}',
      '{"src":"payments/payments-api","dst":"payments/ledger","port":9090}',
      good,
    ].join("\n");
    const response = await post(body, { cluster: "prod-eu-1" });
    expect(response.status).toBe(200);
    const result = await response.json();
    expect(result).toMatchObject({ lines: 5, accepted: 2, rejected: 3 });
    expect(result.errors.map((e: { line: number }) => e.line)).toEqual([2, 4, 5]);
    expect(result.errors[0].reason).toMatch(/not JSON/);
    expect(result.errors[1].reason).toMatch(/flow\.l4: missing/);
    expect(result.errors[2].reason).toMatch(/no verdict/);
    const rows = (await rowsOf("prod-eu-1")).filter((r) => r.destination === "payments/fraud-scoring");
    expect(rows.reduce((n, r) => n + r.count, 0)).toBe(2);
  });

  it("feeds the dashboard: classes over time, breakdowns, top paths and one path's rationale and samples, scoped to what a reader may see", async () => {
    const minuteAgo = new Date(Date.now() - 60_000).toISOString();
    const lines = [
      hubble({
        src: ["checkout", "promotions-6c8d7f9b4-qwert"],
        dst: ["payments", "ledger-6c8d7f9b4-qwert"],
        port: 9090,
        verdict: "DROPPED",
        time: minuteAgo,
      }),
      hubble({
        src: ["checkout", "promotions-6c8d7f9b4-qwert"],
        dst: ["payments", "ledger-6c8d7f9b4-qwert"],
        port: 9090,
        verdict: "DROPPED",
        time: minuteAgo,
      }),
      hubble({
        src: ["catalog", "catalog-api-6c8d7f9b4-qwert"],
        dst: ["search", "search-api-6c8d7f9b4-qwert"],
        port: 8080,
        verdict: "FORWARDED",
        time: minuteAgo,
      }),
    ];
    expect((await post(lines.join("\n"), { cluster: "prod-eu-1" })).status).toBe(200);
    const security = await callerFor(database().db, DEMO_PEOPLE.security);
    const dashboard = await security.violations.dashboard({ range: "1h", cluster: "prod-eu-1" });
    expect(dashboard.totals.violations).toBe(2);
    expect(dashboard.series.reduce((n, b) => n + b.violations, 0)).toBe(2);
    // Every minute of the hour is a point (empty ones at zero), in order.
    expect(dashboard.series.length).toBeGreaterThanOrEqual(60);
    expect(dashboard.series.map((b) => b.t)).toEqual([...dashboard.series.map((b) => b.t)].sort());
    expect(dashboard.byCluster).toEqual([expect.objectContaining({ name: "prod-eu-1", violations: 2 })]);
    expect(dashboard.byNamespace.find((n) => n.name === "payments")).toMatchObject({ violations: 2 });
    expect(dashboard.byTenant.find((t) => t.name === "payments")).toMatchObject({ violations: 2 });
    const top = dashboard.topPaths.find((p) => p.source === "checkout/promotions")!;
    expect(top).toMatchObject({ destination: "payments/ledger", count: 2, flowClass: "violation", isNew: true });
    // Severity: the destination's criticality against the denying layer, a filter of its own.
    expect(top.severity).toBe(severityOf("violation", null, top.attribution));
    const same = await security.violations.dashboard({ range: "1h", cluster: "prod-eu-1", severity: top.severity! });
    expect(same.topPaths.some((p) => p.source === "checkout/promotions")).toBe(true);
    const other = SEVERITIES.find((s) => s !== top.severity)!;
    const filtered = await security.violations.dashboard({ range: "1h", cluster: "prod-eu-1", severity: other });
    expect(filtered.topPaths.some((p) => p.source === "checkout/promotions")).toBe(false);
    expect(filtered.topPaths.every((p) => p.severity === other)).toBe(true);
    // The graph's red edges: the dropped paths of the range, summed per path; never allowed or forwarded ones.
    const denials = await security.violations.observedDenials({ cluster: "prod-eu-1", range: "1h" });
    expect(denials).toContainEqual({
      cluster: "prod-eu-1",
      source: "checkout/promotions",
      destination: "payments/ledger",
      port: 9090,
      protocol: "TCP",
      count: 2,
    });
    expect(denials.some((d) => d.source === "catalog/catalog-api")).toBe(false);
    expect(await security.violations.observedDenials({ cluster: "all", range: "1h" })).toEqual(expect.arrayContaining(denials));
    // Older flows (the fixtures of 2021-2023) are outside the hour.
    expect(dashboard.topPaths.some((p) => p.source === "default/xwing")).toBe(false);
    const detail = await security.violations.path({
      range: "1h",
      cluster: "prod-eu-1",
      source: "checkout/promotions",
      destination: "payments/ledger",
      port: 9090,
      protocol: "TCP",
      flowClass: "violation",
    });
    expect(detail).toMatchObject({ count: 2, verdicts: ["DROPPED"] });
    expect(detail.samples).toHaveLength(2);
    expect(detail.rationale).toMatch(/egress: .*; ingress: /);
    // A tenant filter keeps flows from or to that tenant's namespaces.
    const all = await security.violations.dashboard({ range: "1h" });
    expect(all.topPaths.some((p) => p.source === "catalog/catalog-api")).toBe(true);
    const payments = await security.violations.dashboard({ range: "1h", tenant: "payments" });
    expect(payments.topPaths.some((p) => p.source === "checkout/promotions")).toBe(true);
    expect(payments.topPaths.some((p) => p.source === "catalog/catalog-api")).toBe(false);
    // A reader limited to one tenant sees only flows from or to its namespaces, whatever the filter.
    const committee = await callerFor(database().db, DEMO_PEOPLE.paymentsCommittee);
    const limited = await committee.violations.dashboard({ range: "1h" });
    expect(limited.topPaths.some((p) => p.source === "checkout/promotions")).toBe(true);
    expect(limited.topPaths.some((p) => p.source === "catalog/catalog-api")).toBe(false);
    await expect(
      committee.violations.path({
        range: "1h",
        cluster: "prod-eu-1",
        source: "catalog/catalog-api",
        destination: "search/search-api",
        port: 8080,
        protocol: "TCP",
        flowClass: all.topPaths.find((p) => p.source === "catalog/catalog-api")!.flowClass,
      }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(security.violations.dashboard({ range: "1h", cluster: "nowhere-1" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("answers a flood 429 with Retry-After per cluster and sender, keeping every batch accepted before it", async () => {
    // A limiter that refills one batch every 100 s: the burst is all a sender gets in this test.
    const limited = createApiApp(async () => database().db, { flowRate: { perSecond: 0.01, burst: 3 } });
    const send = (i: number, t = usToken) =>
      limited.request("/api/v1/flows?cluster=prod-us-1", {
        method: "POST",
        headers: { authorization: `Bearer ${t}`, "content-type": "application/x-ndjson" },
        body:
          hubble({
            src: ["checkout", "cart-6c8d7f9b4-qwert"],
            dst: ["payments", "payments-db-0"],
            port: 5432,
            verdict: "DROPPED",
            time: `2026-12-05T03:${String(i).padStart(2, "0")}:10Z`,
          }) + "\n",
      });
    // Ten batches at once: the burst's three are accepted, the other seven refused; nothing fails.
    const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => send(i)));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429, 429, 429, 429, 429]);
    for (const r of responses.filter((x) => x.status === 429)) {
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(Number(r.headers.get("retry-after"))).toBeLessThanOrEqual(100);
      expect(await r.json()).toMatchObject({ error: "RateLimited", message: expect.stringContaining('Cluster "prod-us-1"') });
    }
    // Exactly the accepted batches are stored: one aggregate each (its own minute).
    const stored = (await rowsOf("prod-us-1")).filter((r) => r.minute.toISOString().startsWith("2026-12-05T03:"));
    expect(stored).toHaveLength(3);
    expect(stored.reduce((n, r) => n + r.count, 0)).toBe(3);
    // Still refused while the bucket is empty; another sender (a token for any cluster) has its own bucket.
    expect((await send(20)).status).toBe(429);
    expect((await send(21, token)).status).toBe(200);
    // A sender flooding a cluster its token is not bound to uses up only its own bucket: refused 403, then 429.
    for (let i = 0; i < 3; i++) expect((await send(30 + i, euToken)).status).toBe(403);
    expect((await send(33, euToken)).status).toBe(429);
    expect((await send(34, token)).status).toBe(200);
  });
});
