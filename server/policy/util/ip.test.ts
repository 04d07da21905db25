import { describe, expect, it } from "vitest";
import { parseIp } from "./ip";

/** The dotted quad as its definition reads: four groups of 1-3 digits, each at most 255, none with a leading zero. */
function definitionV4(s: string): bigint | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m || m.slice(1).some((part) => (part.length > 1 && part.startsWith("0")) || Number(part) > 255)) return null;
  return m.slice(1).reduce((v, part) => (v << 8n) | BigInt(part), 0n);
}

const v4 = (s: string) => {
  const p = parseIp(s);
  return p?.family === 4 ? p.value : null;
};

describe("IPv4 addresses", () => {
  it.each([
    ["10.0.0.1", 0x0a000001n],
    ["0.0.0.0", 0n],
    ["255.255.255.255", 0xffffffffn],
    ["192.168.1.10", 0xc0a8010an],
  ])("reads %s", (s, value) => expect(v4(s)).toBe(value));

  it.each([
    "256.0.0.1",
    "1.2.3",
    "1.2.3.4.5",
    "01.2.3.4",
    "1.2.3.00",
    "1..3.4",
    ".1.2.3",
    "1.2.3.4.",
    "1.2.3.1000",
    " 1.2.3.4",
    "1.2.3.4 ",
    "a.b.c.d",
    "",
  ])("refuses %j", (s) => expect(v4(s)).toBeNull());

  it("agrees with the definition on 50,000 generated texts", () => {
    const parts = ["0", "1", "7", "25", "255", "256", "00", "01", "10", "100", "999", "1000", "", ".", "a", " ", ":"];
    let seed = 7;
    const pick = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      return parts[seed % parts.length]!;
    };
    let valid = 0;
    for (let i = 0; i < 50_000; i++) {
      const s = i % 2 ? [pick(), pick(), pick(), pick()].join(".") : pick() + pick() + pick() + pick() + pick() + pick() + pick();
      const want = definitionV4(s);
      if (want !== null) valid++;
      expect(v4(s), JSON.stringify(s)).toBe(want);
    }
    // Both kinds occur (a test of only refusals would prove little).
    expect(valid).toBeGreaterThan(500);
  });
});
