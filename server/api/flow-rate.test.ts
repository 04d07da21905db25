import { describe, expect, it } from "vitest";
import { FlowRateLimited, FlowRateLimiter } from "./flow-rate";

describe("FlowRateLimiter", () => {
  it("lets a burst through, refuses the next with the seconds until a token is back, and refills at the rate", () => {
    let now = 0;
    const limiter = new FlowRateLimiter({ perSecond: 2, burst: 3 }, () => now);
    for (let i = 0; i < 3; i++) limiter.take("a");
    let refused: unknown;
    try {
      limiter.take("a");
    } catch (e) {
      refused = e;
    }
    expect(refused).toBeInstanceOf(FlowRateLimited);
    expect(refused).toMatchObject({ retryAfterSeconds: 1, status: 429, cluster: "a" });
    // Another key has its own bucket.
    expect(() => limiter.take("b")).not.toThrow();
    // Half a second later one token is back (2 per second), and only one.
    now = 500;
    expect(() => limiter.take("a")).not.toThrow();
    expect(() => limiter.take("a")).toThrow(FlowRateLimited);
    // A long quiet spell refills up to the burst, not beyond.
    now = 100_000;
    for (let i = 0; i < 3; i++) limiter.take("a");
    expect(() => limiter.take("a")).toThrow(FlowRateLimited);
  });

  it("names the cluster in its refusal and waits longer at a slow rate", () => {
    const limiter = new FlowRateLimiter({ perSecond: 0.1, burst: 1 }, () => 0);
    limiter.take("prod-eu-1 token:t1", "prod-eu-1");
    expect(() => limiter.take("prod-eu-1 token:t1", "prod-eu-1")).toThrow(
      expect.objectContaining({ retryAfterSeconds: 10, message: expect.stringContaining('Cluster "prod-eu-1"') }),
    );
  });

  it("refuses a rate that would never refill", () => {
    expect(() => new FlowRateLimiter({ perSecond: 0, burst: 5 })).toThrow(RangeError);
    expect(() => new FlowRateLimiter({ perSecond: 1, burst: 0 })).toThrow(RangeError);
  });
});
