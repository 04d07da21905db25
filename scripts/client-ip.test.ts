import { describe, expect, it } from "vitest";
import { clientIpResolver } from "./client-ip.mjs";

describe("client address", () => {
  it("ignores X-Forwarded-For from a peer that is not a trusted proxy, so a client cannot pick its address", () => {
    const resolve = clientIpResolver(undefined);
    expect(resolve("203.0.113.9", "10.9.9.9")).toBe("203.0.113.9");
    expect(resolve("::ffff:203.0.113.9", ["10.1.1.1", "10.2.2.2"])).toBe("203.0.113.9");
  });

  it("behind trusted proxies, takes the nearest address that is not one of them", () => {
    const resolve = clientIpResolver("10.0.0.2, 10.0.0.3");
    // client → 10.0.0.3 → 10.0.0.2 → console; the client's own claim (1.1.1.1) is further left and ignored.
    expect(resolve("10.0.0.2", "1.1.1.1, 198.51.100.7, 10.0.0.3")).toBe("198.51.100.7");
    expect(resolve("::ffff:10.0.0.2", "198.51.100.7")).toBe("198.51.100.7");
    // A trusted proxy that forwarded nothing is itself the peer.
    expect(resolve("10.0.0.2", undefined)).toBe("10.0.0.2");
    expect(resolve("2001:db8::5", "198.51.100.7")).toBe("2001:db8::5");
  });
});
