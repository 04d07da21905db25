import { Buffer } from "node:buffer";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { denyAllIngress, fixture, evaluatorFor, semanticsCluster, testPolicy } from "./__tests__/harness";
import { flowObject, oddLines } from "./__tests__/flow-lines";
import { JsonlFlowStream } from "./flow-stream";
import { jsonlSimulator } from "./flows";
import { createEvaluator } from "./eval/evaluator";
import { MATCH_ALL } from "./model";

const ev = evaluatorFor([fixture("recipes/02-limit-traffic-to-an-application.yaml")]);
const reference = jsonlSimulator(ev);

/** Feed `input` to a fresh stream in chunks cut at `cuts` (byte offsets); the whole output as text. */
function run(input: Buffer, cuts: number[] = [], maxChars?: number, options = {}): string {
  const s = new JsonlFlowStream(ev, options, maxChars);
  const parts: Buffer[] = [];
  let at = 0;
  for (const c of [...new Set(cuts)].sort((a, b) => a - b).filter((c) => c > 0 && c < input.length)) {
    parts.push(Buffer.from(s.push(input.subarray(at, c))));
    at = c;
  }
  parts.push(Buffer.from(s.push(input.subarray(at))), Buffer.from(s.end()));
  return Buffer.concat(parts).toString("utf8");
}

/** What the string path answers for the same lines read from UTF-8 (a lone surrogate has no UTF-8 form: it reads back as U+FFFD). */
function expected(lines: string[]): string {
  return lines.map((l, i) => `${reference(i + 1, Buffer.from(l).toString("utf8"))}\n`).join("");
}

/** The object as JSON, sometimes with spaces, a repeated key, an escape or a raw number form the fast path must leave alone. */
const flowLine = fc.oneof(
  flowObject.map((o) => JSON.stringify(o)),
  flowObject.map((o) => JSON.stringify(o, null, 1).replace(/\n/g, "")),
  flowObject.map((o) => JSON.stringify(o).replace(/,/g, " ,\t")),
  fc.constantFrom(
    ...oddLines,
    "{}",
    '{"src":"default/test-plain","dst":"default/apiserver","port":80} x',
    '{"src":"default/test-plain","dst":"default/apiserver","port":80,"port":443}',
    '{"src":"default/test-plain","dst":"default/apiserver","port":080}',
    '{"src":"default/test-plain","dst":"default/apiserver","port":80e0}',
    '{"src":"default/test-plain","dst":"default/apiserver","port":80.0}',
    '{"src":"default/test-plain","dst":"default/apiserver","port":1234567}',
    '{"src":"default\\/test-plain","dst":"default/apiserver","port":80}',
    '{"\\u0073rc":"default/test-plain","dst":"default/apiserver","port":80}',
    '{"src":"default/test-plain","dst":"default/apiserver","port":80,"time":"2026-13-01T00:00:00Z"}',
  ),
);

describe("simulate's jsonl outputs handed back for reuse", () => {
  const lines = (n: number, port: number) =>
    Array.from({ length: n }, (_, i) =>
      JSON.stringify({ src: "default/test-plain", dst: "default/apiserver", port: port + (i % 3), time: `2026-11-30T00:00:0${i % 10}Z` }),
    );
  const first = lines(40, 80);
  const second = lines(30, 443);

  it("writes a later answer into the memory of an output taken back, with the same bytes as fresh memory", () => {
    const s = new JsonlFlowStream(ev);
    const a = s.push(Buffer.from(`${first.join("\n")}\n`));
    expect(a.toString("utf8")).toBe(expected(first));
    s.recycle(a);
    const b = s.push(Buffer.from(`${second.join("\n")}\n`));
    expect(b.buffer).toBe(a.buffer);
    // Line numbers go on from the first chunk's.
    expect(b.toString("utf8")).toBe(
      expected([...first, ...second])
        .split("\n")
        .slice(first.length)
        .join("\n"),
    );
  });

  it("never writes into an output that was not handed back (a stream may still be reading it)", () => {
    const s = new JsonlFlowStream(ev);
    const a = s.push(Buffer.from(`${first.join("\n")}\n`));
    const copy = Buffer.from(a);
    const b = s.push(Buffer.from(`${second.join("\n")}\n`));
    const c = s.end();
    expect(b.buffer).not.toBe(a.buffer);
    expect(c.buffer).not.toBe(a.buffer);
    expect(a.equals(copy)).toBe(true);
    // A buffer the stream did not hand out, or one handed back twice, is not taken.
    s.recycle(Buffer.from(a));
    s.recycle(b);
    s.recycle(b);
    const d = s.push(Buffer.from(`${first.join("\n")}\n`));
    const e = s.push(Buffer.from(`${second.join("\n")}\n`));
    expect(d.buffer).toBe(b.buffer);
    expect(e.buffer).not.toBe(b.buffer);
  });
});

describe("simulate's jsonl over bytes", () => {
  it("answers every line byte for byte as the string path does, however the input is cut into chunks", () => {
    fc.assert(
      fc.property(
        fc.array(flowLine, { minLength: 1, maxLength: 12 }),
        fc.boolean(),
        fc.boolean(),
        fc.array(fc.nat({ max: 2000 }), { maxLength: 6 }),
        (lines, crlf, finalNewline, cuts) => {
          const text = lines.join(crlf ? "\r\n" : "\n") + (finalNewline ? (crlf ? "\r\n" : "\n") : "");
          // A last empty line without a newline is no line at all.
          const answered = !finalNewline && lines[lines.length - 1] === "" ? lines.slice(0, -1) : lines;
          expect(run(Buffer.from(text), cuts)).toBe(expected(answered));
        },
      ),
      { numRuns: 600 },
    );
  }, 60_000);

  it("answers a plain line from the fast path with its verdict and path", () => {
    const out = run(Buffer.from('{"src":"default/test-plain","dst":"default/apiserver","port":80,"protocol":"tcp"}\n'));
    expect(JSON.parse(out)).toMatchObject({ line: 1, src: "default/test-plain", protocol: "TCP", verdict: "deny" });
    expect(out).toBe(expected(['{"src":"default/test-plain","dst":"default/apiserver","port":80,"protocol":"tcp"}']));
  });

  it("refuses a line over the bound without keeping it, in characters, whichever chunk it ends in", () => {
    const ok = '{"src":"default/test-plain","dst":"default/apiserver","port":80}';
    const long = `{"src":"${"é".repeat(200)}"}`; // 400 bytes, 210 characters
    const input = Buffer.from(`${ok}\n${long}\n${ok}\r\n${long}`);
    const out = run(input, [10, 100, 300, 500], 205).split("\n");
    expect(out[1]).toBe(JSON.stringify({ line: 2, error: "line 2: longer than 0.2 KiB; not read" }));
    expect(out[3]).toBe(JSON.stringify({ line: 4, error: "line 4: longer than 0.2 KiB; not read" }));
    expect(out[2]).toBe(reference(3, ok));
    // A line whose last piece takes it over the bound is refused as one, and the next line is its own.
    const longAscii = `{"src":"${"a".repeat(390)}"}`;
    const late = run(Buffer.from(`${longAscii}\n${ok}\n`), [200], 100).split("\n");
    expect(late[0]).toBe(JSON.stringify({ line: 1, error: "line 1: longer than 0.1 KiB; not read" }));
    expect(late[1]).toBe(reference(2, ok));
    // At the bound (in characters, more bytes than that) a line is read.
    expect(run(Buffer.from(`{"src":"${"é".repeat(180)}"}`), [], 205)).toBe(expected([`{"src":"${"é".repeat(180)}"}`]));
  });

  it("keeps at most its bound of connections and answers per identity tuple, starting over with the same output", () => {
    const lines = Array.from({ length: 60 }, (_, i) =>
      JSON.stringify({ src: "default/test-plain", dst: "default/apiserver", port: 1000 + (i % 30), protocol: i % 2 ? "UDP" : "TCP" }),
    );
    const s = new JsonlFlowStream(ev, {}, undefined, 8);
    let out = "";
    for (const line of lines) {
      out += s.push(Buffer.from(`${line}\n`)).toString("utf8");
      expect(s.stats().connections).toBeLessThanOrEqual(8);
      expect(s.stats().tuples).toBeLessThanOrEqual(8);
    }
    expect(out).toBe(expected(lines));
  });

  it("keeps at most its bound of endpoints, starting over with the same output", () => {
    const lines = Array.from({ length: 90 }, (_, i) =>
      JSON.stringify({ src: `10.1.0.${i % 30}`, dst: i % 3 ? "default/apiserver" : `192.168.0.${i % 7}`, port: 80 }),
    );
    const s = new JsonlFlowStream(ev, {}, undefined, undefined, 5);
    let out = "";
    for (const line of lines) {
      out += s.push(Buffer.from(`${line}\n`)).toString("utf8");
      expect(s.stats().endpoints).toBeLessThanOrEqual(5);
    }
    expect(out).toBe(expected(lines));
  });

  it("with --rationale answers through the record path", () => {
    const line = '{"src":"default/test-plain","dst":"default/apiserver","port":80}';
    expect(run(Buffer.from(line), [], undefined, { rationale: true })).toBe(`${jsonlSimulator(ev, { rationale: true })(1, line)}\n`);
  });
});

describe("simulate's jsonl over bytes, when exceptions start and expire", () => {
  // The semantics cases' cluster: app/web isolated for ingress; an exception lets ops/prom in during 2029.
  const timed = createEvaluator(semanticsCluster(), {
    policies: [
      denyAllIngress("app"),
      testPolicy({
        id: "exc",
        layer: "exception",
        startsAt: "2029-01-01T00:00:00Z",
        expiresAt: "2030-01-01T00:00:00Z",
        rules: [
          {
            direction: "egress",
            action: "allow",
            peers: [{ kind: "workloads", selector: { namespaces: { kind: "names", names: ["app"] }, pods: MATCH_ALL } }],
            ports: [{ kind: "number", protocol: "TCP", port: 8080 }],
            ref: { kind: "Test", name: "exc", direction: "egress", ruleIndex: 0 },
          },
        ],
      }),
    ],
  });

  it("decides a repeated connection at each line's own time, as the string path does", () => {
    expect(timed.timeDependent).toBe(true);
    const at = (time: string) => `{"time":"${time}","src":"ops/prom","dst":"app/web","port":8080,"protocol":"TCP"}`;
    const lines = [
      at("2028-12-31T23:59:59Z"),
      at("2029-06-01T00:00:00Z"),
      at("2029-06-01T00:00:01.5Z"),
      at("2030-01-01T00:00:00Z"),
      at("2029-12-31T23:59:59.999Z"),
      '{"src":"ops/prom","dst":"app/web","port":8080}',
    ];
    const s = new JsonlFlowStream(timed, { time: "2029-03-01T00:00:00Z" });
    const out = Buffer.concat([s.push(Buffer.from(`${lines.join("\n")}\n`)), s.end()]).toString("utf8");
    const reference = jsonlSimulator(timed, { time: "2029-03-01T00:00:00Z" });
    expect(out).toBe(lines.map((l, i) => `${reference(i + 1, l)}\n`).join(""));
    expect(
      out
        .split("\n")
        .slice(0, 6)
        .map((l) => JSON.parse(l).verdict),
    ).toEqual(["deny", "allow", "allow", "deny", "allow", "allow"]);
  });
});
