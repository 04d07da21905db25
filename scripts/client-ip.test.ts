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

  it("takes proxies as CIDR ranges and compares IPv6 by value, not spelling", () => {
    const resolve = clientIpResolver("10.42.0.0/16, 2001:DB8::/32");
    expect(resolve("10.42.7.9", "198.51.100.7")).toBe("198.51.100.7");
    expect(resolve("2001:db8:0:0::5", "198.51.100.8")).toBe("198.51.100.8");
    expect(resolve("10.43.0.1", "198.51.100.7")).toBe("10.43.0.1");
  });

  it("reads hops written with ports or brackets, and stops at a hop that is not an address", () => {
    const resolve = clientIpResolver("10.0.0.2");
    expect(resolve("10.0.0.2", "198.51.100.7:5678")).toBe("198.51.100.7");
    expect(resolve("10.0.0.2", "[2001:db8::9]:443")).toBe("2001:db8::9");
    expect(resolve("10.0.0.2", "unknown")).toBe("10.0.0.2");
  });

  it("refuses a TRUSTED_PROXIES entry that is not an address, naming it", () => {
    expect(() => clientIpResolver("10.0.0.2, ingress")).toThrow('TRUSTED_PROXIES: "ingress" is not an IP address or CIDR range');
  });
});
