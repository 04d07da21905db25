// The exposition's names and histogram buckets (issue 18 item 7): Prometheus conventions (base unit
// seconds in the name, `_total` counters, cumulative `le` buckets ending at +Inf), so dashboards and
// alerts written against these names keep working.
import { describe, expect, it } from "vitest";
import { LATENCY_BUCKETS, SWEEP_BUCKETS, countedHandler, metrics, timedSweep } from "./metrics";

const exposition = () => metrics().registry.metrics();

describe("metrics exposition", () => {
  it("names every histogram in seconds, with the buckets in order and a final +Inf", async () => {
    for (const buckets of [LATENCY_BUCKETS, SWEEP_BUCKETS]) expect([...buckets].sort((a, b) => a - b)).toEqual(buckets);
    const m = metrics();
    m.httpDuration.observe({ app: "api", method: "GET", route: "/api/v1/health" }, 0.003);
    m.decideDuration.observe({ verdict: "allow" }, 0.0004);
    const text = await exposition();
    const histograms = [...text.matchAll(/^# TYPE (\S+) histogram$/gm)].map((x) => x[1]!);
    expect(histograms).toEqual(
      expect.arrayContaining([
        "policyplane_http_request_duration_seconds",
        "policyplane_decide_duration_seconds",
        "policyplane_sweeper_duration_seconds",
      ]),
    );
    for (const name of histograms) expect(name).toMatch(/^policyplane_\w+_seconds$/);

    const bucketLines = text.split("\n").filter((l) => l.startsWith('policyplane_decide_duration_seconds_bucket{le="'));
    expect(bucketLines.map((l) => /le="([^"]+)"/.exec(l)![1])).toEqual([...LATENCY_BUCKETS.map(String), "+Inf"]);
    // Cumulative: 0.4 ms falls in the first bucket (1 ms) and every one after it.
    expect(bucketLines.map((l) => Number(l.split(" ").at(-1)))).toEqual(bucketLines.map(() => 1));
    expect(text).toMatch(
      /^policyplane_http_request_duration_seconds_bucket\{le="0\.0025",app="api",method="GET",route="\/api\/v1\/health"\} 0$/m,
    );
    expect(text).toMatch(
      /^policyplane_http_request_duration_seconds_bucket\{le="0\.005",app="api",method="GET",route="\/api\/v1\/health"\} 1$/m,
    );
    expect(text).toMatch(/^policyplane_http_request_duration_seconds_count\{app="api",method="GET",route="\/api\/v1\/health"\} 1$/m);
  });

  it("ends every counter's name in _total and prefixes every name", async () => {
    const text = await exposition();
    const types = [...text.matchAll(/^# TYPE (\S+) (\w+)$/gm)].map((x) => ({ name: x[1]!, type: x[2]! }));
    expect(types.length).toBeGreaterThan(10);
    for (const { name, type } of types) {
      expect(name).toMatch(/^policyplane_/);
      if (type === "counter") expect(name).toMatch(/_total$/);
    }
  });

  it("counts a sweeper's runs by outcome, what it changed, and rethrows a failure", async () => {
    const m = metrics();
    const runs = async (outcome: string) =>
      (await m.sweeperRuns.get()).values.find((v) => v.labels.sweeper === "unit" && v.labels.outcome === outcome)?.value ?? 0;
    await timedSweep(
      "unit",
      async () => ({ n: 3 }),
      (r) => ({ things: r.n }),
    );
    await expect(
      timedSweep(
        "unit",
        () => Promise.reject(new Error("database gone")),
        () => ({}),
      ),
    ).rejects.toThrow("database gone");
    expect(await runs("ok")).toBe(1);
    expect(await runs("failed")).toBe(1);
    const items = (await m.sweeperItems.get()).values.find((v) => v.labels.sweeper === "unit");
    expect(items).toMatchObject({ labels: { item: "things" }, value: 3 });
    expect((await m.sweeperLastSuccess.get()).values.find((v) => v.labels.sweeper === "unit")?.value).toBeGreaterThan(1.7e9);
  });

  it("counts a console handler's answers, a thrown one as 500", async () => {
    const handler = countedHandler("console", "/unit", async (r) =>
      r.method === "GET" ? new Response("ok") : Promise.reject(new Error("x")),
    );
    await handler(new Request("http://x/unit"));
    await expect(handler(new Request("http://x/unit", { method: "POST" }))).rejects.toThrow();
    const text = await exposition();
    expect(text).toMatch(/^policyplane_http_requests_total\{app="console",method="GET",route="\/unit",status="200"\} 1$/m);
    expect(text).toMatch(/^policyplane_http_requests_total\{app="console",method="POST",route="\/unit",status="500"\} 1$/m);
  });
});
