// GET /api/v1/metrics (issue 18 item 7): the Prometheus exposition moves with what the process does —
// a decision counts under its verdict, a cache hit moves the ratio, a request counts under its route
// pattern and status, sweeper runs count — and only a token with the `metrics` scope may read it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as schema from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { resetDecisionPoint } from "@/server/decide/point";
import { sweepExceptions } from "@/server/exceptions/sweep";
import { sweepFlows } from "@/server/flows/retention";
import { loadClusterModels } from "@/server/inventory/cluster-model";
import { demoToken } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { createApiApp } from "./app";

const CLUSTER = "prod-eu-1";

/** One sample's value from the exposition (0 when the series is absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split("\n")) {
    const match = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries([...(match[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1]!, x[2]!]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(match[3]);
  }
  return 0;
}

describe(`GET /api/v1/metrics on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;
  const api = createApiApp(async () => db());
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    resetDecisionPoint();
    tokens.metrics = await demoToken(db(), "prometheus", ["metrics"]);
    tokens.decide = await demoToken(db(), "decision point", ["decide"]);
  });
  afterAll(() => resetDecisionPoint());

  const scrape = async () => {
    const response = await api.request("/api/v1/metrics", { headers: { authorization: `Bearer ${tokens.metrics}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.text();
  };
  const decide = (body: unknown) =>
    api.request("/api/v1/decide", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${tokens.decide}` },
      body: JSON.stringify(body),
    });

  it("counts a decision under its verdict, and a repeated one as a cache hit", async () => {
    const [context] = await loadClusterModels(db(), [CLUSTER]);
    const w = context!.model.workloads[0]!;
    const flow = {
      cluster: CLUSTER,
      source: { namespace: w.namespace, pod: w.name },
      destination: { ip: "8.8.8.8" },
      port: 53,
      protocol: "UDP",
    };
    const before = await scrape();

    const first = await decide(flow);
    expect(first.status).toBe(200);
    const { decision } = (await first.json()) as { decision: "allow" | "deny" };
    expect((await (await decide(flow)).json()) as { cached: boolean }).toMatchObject({ cached: true });
    const after = await scrape();

    const verdict = { verdict: decision, source: "release" };
    expect(sample(after, "policyplane_decisions_total", verdict) - sample(before, "policyplane_decisions_total", verdict)).toBe(2);
    const other = { verdict: decision === "allow" ? "deny" : "allow", source: "release" };
    expect(sample(after, "policyplane_decisions_total", other)).toBe(sample(before, "policyplane_decisions_total", other));
    const hits = (t: string) => sample(t, "policyplane_decide_cache_lookups_total", { result: "hit" });
    const misses = (t: string) => sample(t, "policyplane_decide_cache_lookups_total", { result: "miss" });
    expect(hits(after) - hits(before)).toBe(1);
    expect(misses(after) - misses(before)).toBe(1);
    // Since the reset above: one miss and one hit.
    expect(sample(after, "policyplane_decide_cache_hit_ratio")).toBe(0.5);
    expect(sample(after, "policyplane_decide_duration_seconds_count", { verdict: decision })).toBeGreaterThanOrEqual(2);
    expect(sample(after, "policyplane_decide_loaded_releases", { cluster: CLUSTER })).toBe(0);

    // Requests count under their route pattern and status: the two decisions, and the scrape before this one.
    const route = { app: "api", method: "POST", route: "/api/v1/decide", status: "200" };
    expect(sample(after, "policyplane_http_requests_total", route) - sample(before, "policyplane_http_requests_total", route)).toBe(2);
    expect(sample(after, "policyplane_http_requests_total", { route: "/api/v1/metrics", status: "200" })).toBeGreaterThanOrEqual(1);
    expect(
      sample(after, "policyplane_http_request_duration_seconds_count", { route: "/api/v1/decide", method: "POST" }),
    ).toBeGreaterThanOrEqual(2);
    expect(sample(after, "policyplane_database_up")).toBe(1);
  });

  it("labels an unknown path as unmatched and a refused call by its route and status", async () => {
    await api.request("/api/v1/no/such/route/12345", { headers: { authorization: `Bearer ${tokens.metrics}` } });
    await api.request("/api/v1/clusters/prod-eu-1/observed", { method: "POST" });
    const text = await scrape();
    expect(text).not.toContain("12345");
    expect(sample(text, "policyplane_http_requests_total", { route: "unmatched", status: "404" })).toBeGreaterThanOrEqual(1);
    expect(sample(text, "policyplane_http_requests_total", { route: "/api/v1/clusters/:name/observed", status: "401" })).toBe(1);
  });

  it("counts sweeper runs and what they changed", async () => {
    const before = await scrape();
    await sweepExceptions(db());
    await sweepFlows(db());
    const after = await scrape();
    for (const sweeper of ["exceptions", "flow_retention"]) {
      const runs = (t: string) => sample(t, "policyplane_sweeper_runs_total", { sweeper, outcome: "ok" });
      expect(runs(after) - runs(before), sweeper).toBe(1);
      expect(sample(after, "policyplane_sweeper_last_success_timestamp_seconds", { sweeper })).toBeGreaterThan(Date.now() / 1000 - 60);
    }
  });

  it("takes only a token with the metrics scope, and answers 404 when switched off", async () => {
    expect((await api.request("/api/v1/metrics")).status).toBe(401);
    const wrongScope = await api.request("/api/v1/metrics", { headers: { authorization: `Bearer ${tokens.decide}` } });
    expect(wrongScope.status).toBe(403);
    expect(((await wrongScope.json()) as { message: string }).message).toContain('"metrics" scope');
    const off = createApiApp(async () => db(), { metrics: "off" });
    const response = await off.request("/api/v1/metrics", { headers: { authorization: `Bearer ${tokens.metrics}` } });
    expect(response.status).toBe(404);
    expect(await db().select().from(schema.apiTokens)).not.toHaveLength(0);
  });
});
