import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fixture, evaluatorFor } from "./__tests__/harness";
import { jsonlSimulator, simulateLine } from "./flows";

const ev = evaluatorFor([fixture("recipes/02-limit-traffic-to-an-application.yaml")]);
const jsonl = jsonlSimulator(ev);

/** The reference: the record object, serialised generically. */
const reference = (n: number, text: string) => JSON.stringify(simulateLine(ev, n, text));

const endpoint = fc.constantFrom(
  "default/apiserver",
  "default/test-plain",
  "default/test-bookstore-frontend",
  " default/apiserver ",
  "default/nope",
  "10.0.0.9",
  "example.com.",
  "a/b/c",
  "",
  7,
  null,
);
/** An array nested deeper than the flow line bound (16). */
const deeplyNested = (depth: number): unknown => (depth === 0 ? 1 : [deeplyNested(depth - 1)]);
const field = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const flowObject = fc.record(
  {
    src: field(endpoint),
    dst: field(endpoint),
    port: field(fc.constantFrom(80, 443, 0, 65536, 80.5, "80")),
    protocol: field(fc.constantFrom("TCP", "tcp", "Udp", "sctp", "ICMP", 6)),
    time: field(fc.constantFrom("2026-12-01T00:00:00Z", "yesterday", 1)),
    extra: field(fc.constantFrom<unknown>(1, { deep: deeplyNested(20) })),
  },
  { requiredKeys: [] },
);
const flowLine = fc.oneof(
  flowObject.map((o) => JSON.stringify(o)),
  fc.constantFrom(
    "",
    "   ",
    "{",
    "[]",
    "null",
    '{"src":"default/apiserver\u0000","dst":"default/apiserver","port":80}',
    '{"src":"default/api\ud800","dst":"default/apiserver","port":80}',
  ),
);

describe("simulate's jsonl lines", () => {
  it("are exactly the generic serialisation of simulateLine's record, for valid and invalid lines alike", () => {
    fc.assert(
      fc.property(fc.nat({ max: 1e6 }), flowLine, (n, text) => {
        expect(jsonl(n, text)).toBe(reference(n, text));
      }),
      { numRuns: 2000 },
    );
  });

  it("answer a plain flow with its verdict and path, and name the field of a bad one", () => {
    expect(
      JSON.parse(
        jsonl(1, '{"src":"default/test-plain","dst":"default/apiserver","port":80,"protocol":"tcp","time":"2026-12-01T00:00:00Z"}'),
      ),
    ).toMatchObject({
      line: 1,
      src: "default/test-plain",
      dst: "default/apiserver",
      port: 80,
      protocol: "TCP",
      verdict: "deny",
      path: expect.stringContaining("api-allow"),
    });
    expect(JSON.parse(jsonl(2, '{"src":"default/test-plain","dst":"default/apiserver","port":"80"}'))).toEqual({
      line: 2,
      error: "line 2: port: expected a number",
    });
  });
});
