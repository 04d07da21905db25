import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { PortMatch, Protocol } from "../model";
import { compilePort } from "./matchers";
import { RulesByPort, adminRulesFor, emptySubjectIndex, type CompiledRule } from "./targets";

const PROTOCOLS: Protocol[] = ["TCP", "UDP", "SCTP"];

/** A compiled rule with just ports: RulesByPort looks at nothing else. */
function ruleWith(ports: PortMatch[] | null, i: number): CompiledRule {
  return { ports: ports && ports.map(compilePort), peers: null, activeFrom: 0, activeUntil: Infinity, i } as unknown as CompiledRule;
}

/** What narrowing must keep: every rule some destination could match on this port and protocol. */
function couldMatch(r: CompiledRule, port: number, protocol: Protocol): boolean {
  if (r.ports === null) return true;
  return r.ports.some((m) =>
    m.kind === "named" ? m.protocol === undefined || m.protocol === protocol : m.protocol === protocol && port >= m.from && port <= m.to,
  );
}

const portArb = fc.integer({ min: 1, max: 40 });
const portMatchArb: fc.Arbitrary<PortMatch> = fc.oneof(
  fc.record({ kind: fc.constant("number" as const), protocol: fc.constantFrom(...PROTOCOLS) }),
  fc.record({ kind: fc.constant("number" as const), protocol: fc.constantFrom(...PROTOCOLS), port: portArb }),
  fc
    .tuple(fc.constantFrom(...PROTOCOLS), portArb, fc.integer({ min: 0, max: 10 }))
    .map(([protocol, port, span]) => ({ kind: "number" as const, protocol, port, endPort: port + span })),
  fc.record({ kind: fc.constant("named" as const), name: fc.constantFrom("http", "dns"), protocol: fc.constantFrom(...PROTOCOLS) }),
  fc.record({ kind: fc.constant("named" as const), name: fc.constantFrom("http", "dns") }),
);
const rulesArb = fc.array(fc.option(fc.array(portMatchArb, { minLength: 1, maxLength: 3 }), { nil: null }), { maxLength: 20 });

describe("RulesByPort (admin rules narrowed by port)", () => {
  it("keeps exactly the rules a port and protocol can match, in order, for ports asked in any order", () => {
    fc.assert(
      fc.property(
        rulesArb,
        fc.array(fc.tuple(fc.integer({ min: 1, max: 60 }), fc.constantFrom(...PROTOCOLS)), { maxLength: 40 }),
        (specs, asks) => {
          const rules = specs.map(ruleWith);
          const narrowed = new RulesByPort(rules);
          // Every port at and around each boundary, then the random ones (classes are cached across asks).
          const all: [number, Protocol][] = [...asks];
          for (let port = 1; port <= 52; port++) for (const p of PROTOCOLS) all.push([port, p]);
          for (const [port, protocol] of all)
            expect(narrowed.rulesFor(port, protocol)).toEqual(rules.filter((r) => couldMatch(r, port, protocol)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("is used only for subjects with enough admin rules, and then per port", () => {
    const idx = emptySubjectIndex(false);
    idx.admin = [ruleWith([{ kind: "number", protocol: "TCP", port: 80 }], 0), ruleWith(null, 1)];
    expect(adminRulesFor(idx, 443, "TCP")).toBe(idx.admin);
    expect(idx.adminByPort).toBeNull();
    idx.admin = Array.from({ length: 10 }, (_, i) => ruleWith([{ kind: "number", protocol: "TCP", port: 80 + i }], i));
    expect(adminRulesFor(idx, 83, "TCP")).toEqual([idx.admin[3]]);
    expect(adminRulesFor(idx, 83, "UDP")).toEqual([]);
    expect(adminRulesFor(idx, 443, "TCP")).toEqual([]);
  });
});
