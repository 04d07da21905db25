// The decision log's buffer: bounded (a full buffer drops and counts, never blocks), batched, and a
// failed write loses only its batch, never throws into the decision that queued it.
import { describe, expect, it } from "vitest";
import { DecisionLogBuffer, endpointText, sampled, type DecisionLogEntry } from "./log";

const entry = (n: number) => ({ decisionId: `id-${n}` }) as DecisionLogEntry;

describe("the decision log buffer", () => {
  it("drops what does not fit, counting it, and writes the rest in batches", async () => {
    const batches: number[] = [];
    const buffer = new DecisionLogBuffer(async (b) => void batches.push(b.length), { capacity: 5, batchSize: 2, flushMs: 60_000 });
    const accepted = [1, 2, 3, 4, 5, 6, 7].map((n) => buffer.offer(entry(n)));
    expect(accepted).toEqual([true, true, true, true, true, false, false]);
    await buffer.flush();
    expect(batches).toEqual([2, 2, 1]);
    expect(buffer.stats).toMatchObject({ written: 5, dropped: 2, failed: 0, queued: 0 });
  });

  it("loses only a failed batch, says so once, and keeps writing later ones", async () => {
    let calls = 0;
    const complaints: string[] = [];
    const buffer = new DecisionLogBuffer(
      async () => {
        if (calls++ === 0) throw new Error("database down");
      },
      { capacity: 10, batchSize: 3, flushMs: 60_000 },
      (message) => complaints.push(message),
    );
    for (let n = 0; n < 5; n++) buffer.offer(entry(n));
    await expect(buffer.flush()).resolves.toBeUndefined();
    expect(buffer.stats).toMatchObject({ written: 2, failed: 3 });
    expect(complaints).toHaveLength(1);
  });

  it("flushes by itself once a batch is full", async () => {
    let written = 0;
    const buffer = new DecisionLogBuffer(async (b) => void (written += b.length), { capacity: 10, batchSize: 2, flushMs: 60_000 });
    buffer.offer(entry(1));
    buffer.offer(entry(2));
    await new Promise((r) => setTimeout(r, 20));
    expect(written).toBe(2);
  });
});

describe("sampling and endpoint text", () => {
  it("logs by rate, denies always when asked, nothing before the settings are read", () => {
    expect(sampled(null, "deny")).toBe(false);
    expect(sampled({ sampleRate: 0, alwaysLogDenies: true }, "deny")).toBe(true);
    expect(sampled({ sampleRate: 0, alwaysLogDenies: true }, "allow")).toBe(false);
    expect(sampled({ sampleRate: 1, alwaysLogDenies: false }, "allow")).toBe(true);
    expect(sampled({ sampleRate: 0.25, alwaysLogDenies: false }, "allow", () => 0.2)).toBe(true);
    expect(sampled({ sampleRate: 0.25, alwaysLogDenies: false }, "allow", () => 0.3)).toBe(false);
  });

  it("writes each kind of endpoint as the log shows it", () => {
    expect(endpointText({ namespace: "payments", pod: "api" })).toBe("payments/api");
    expect(endpointText({ namespace: "payments", labels: { app: "api", tier: "web" } })).toBe("payments {app=api,tier=web}");
    expect(endpointText({ labels: { app: "api" } })).toBe("{app=api}");
    expect(endpointText({ ip: "10.0.0.1" })).toBe("10.0.0.1");
    expect(endpointText({ dns: "api.stripe.com" })).toBe("api.stripe.com");
  });
});
