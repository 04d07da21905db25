import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fixture, evaluatorFor } from "./__tests__/harness";
import { flowObject, oddLines } from "./__tests__/flow-lines";
import { jsonlSimulator, simulateLine } from "./flows";

const ev = evaluatorFor([fixture("recipes/02-limit-traffic-to-an-application.yaml")]);
const jsonl = jsonlSimulator(ev);

/** The reference: the record object, serialised generically. */
const reference = (n: number, text: string) => JSON.stringify(simulateLine(ev, n, text));

const flowLine = fc.oneof(
  flowObject.map((o) => JSON.stringify(o)),
  fc.constantFrom(...oddLines),
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
