// Hostile YAML and JSON at every parser entry point: a located refusal, never a
// crash, a stack overflow or a process killed by memory (issue 8, Availability 1).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readManifestSources } from "./manifests";
import { parseSource } from "./yaml";
import { readDocumentSources } from "../documents/read";
import { parseFlowLine } from "../flows";
import { readPolicyYaml } from "@/lib/policy-yaml";
import { FLOW_LINE_LIMITS, YAML_LIMITS, parseJsonBounded } from "./bounded";
import { HOSTILE_DEEP, aliasBomb } from "./__fixtures__/hostile";

const POD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\n  labels: {app: web}\nstatus: {podIP: 10.0.0.1}\n";

/** Every YAML entry point, as (located errors) of one text. */
const entries: Record<string, (text: string) => { line: number; column: number; message: string }[]> = {
  parseSource: (t) => parseSource("in.yaml", t).errors,
  readManifestSources: (t) => readManifestSources([{ file: "in.yaml", text: t }]).errors,
  readDocumentSources: (t) => readDocumentSources([{ file: "in.yaml", text: t }]).errors,
  "readPolicyYaml (the editor's analyse and saveDraft)": (t) => readPolicyYaml(t).errors,
};

const hostile = fc.oneof(
  fc
    .integer({ min: YAML_LIMITS.maxDepth + 1, max: 3000 })
    .map((n) => ({ text: "[".repeat(n) + "]".repeat(n), why: /nested deeper than 64/ })),
  fc
    .integer({ min: YAML_LIMITS.maxDepth + 1, max: 3000 })
    .map((n) => ({ text: "{a: ".repeat(n) + "b" + "}".repeat(n), why: /nested deeper than 64/ })),
  fc.integer({ min: YAML_LIMITS.maxDepth + 1, max: 400 }).map((n) => ({
    text: Array.from({ length: n }, (_, i) => `${" ".repeat(i)}k${i}:`).join("\n") + " x\n",
    why: /nested deeper than 64/,
  })),
  fc.integer({ min: YAML_LIMITS.maxDepth + 1, max: 3000 }).map((n) => ({ text: "- ".repeat(n) + "x\n", why: /nested deeper than 64/ })),
  fc.integer({ min: 0, max: POD.length - 1 }).map((i) => ({ text: POD.slice(0, i) + "\0" + POD.slice(i), why: /NUL character/ })),
  fc
    .integer({ min: 0, max: POD.length - 1 })
    .map((i) => ({ text: POD.slice(0, i) + "\ud800" + POD.slice(i), why: /lone UTF-16 surrogate/ })),
  // An unterminated quote opening any value.
  fc
    .constantFrom(...[...POD.matchAll(/: /g)].map((m) => m.index + 2))
    .map((i) => ({ text: `${POD.slice(0, i)}"${POD.slice(i)}`, why: /invalid YAML: Missing closing "quote/ })),
  fc.constant({ text: aliasBomb(), why: /alias/i }),
);

describe("bounded parsing of YAML", () => {
  for (const [name, read] of Object.entries(entries)) {
    it(`${name} refuses hostile documents with a located error and stays up`, () => {
      fc.assert(
        fc.property(hostile, ({ text, why }) => {
          const errors = read(text);
          expect(errors.length).toBeGreaterThan(0);
          for (const e of errors) {
            expect(e.line, e.message).toBeGreaterThan(0);
            expect(e.column, e.message).toBeGreaterThan(0);
          }
          expect(errors.map((e) => e.message).join("\n")).toMatch(why);
        }),
        { numRuns: 60 },
      );
    }, 60_000);
  }

  it("refuses arbitrary text spliced into a manifest with located errors or reads it, never throws", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: POD.length }), fc.string({ unit: "binary", maxLength: 40 }), (i, junk) => {
        const r = readManifestSources([{ file: "in.yaml", text: POD.slice(0, i) + junk + POD.slice(i) }]);
        for (const e of r.errors) expect(e.line, e.message).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 200 },
    );
  }, 60_000);

  it("refuses more documents than the bound before building them", () => {
    const r = parseSource("many.yaml", "---\n".repeat(YAML_LIMITS.maxDocuments + 1), { ...YAML_LIMITS });
    expect(r.errors.map((e) => e.message)).toEqual([expect.stringMatching(/^many\.yaml:\d+:\d+: more than 100000 YAML documents/)]);
  });

  it("refuses a file over the size bound without parsing it, and reads a huge scalar under it", () => {
    const big = parseSource("big.yaml", `a: ${"x".repeat(64)}\n`, { ...YAML_LIMITS, maxChars: 32 });
    expect(big.errors.map((e) => e.message)).toEqual(["big.yaml:1:1: the file is 0.1 KiB, over the 0.0 KiB limit; not parsed"]);
    const huge = parseSource(
      "huge.yaml",
      `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n  annotations: {a: ${"x".repeat(5 * 1024 * 1024)}}\n`,
    );
    expect(huge.errors).toEqual([]);
    expect(huge.objects).toHaveLength(1);
  });

  it("names the line of a deep structure that follows a syntax error (the exact parser is bounded too)", () => {
    const r = parseSource("x.yaml", HOSTILE_DEEP.deepAfterSyntaxError!);
    expect(r.errors.some((e) => /nested deeper than 64 levels/.test(e.message) && e.line === 3)).toBe(true);
  });
});

describe("bounded parsing of JSON (flow lines)", () => {
  it("refuses deep nesting, oversized lines and NUL with the column, and never throws", () => {
    const deep = parseFlowLine("[".repeat(1000) + "]".repeat(1000));
    expect(deep).toEqual({ ok: false, error: `column ${FLOW_LINE_LIMITS.maxDepth + 1}: nesting deeper than 16 levels` });
    const long = parseFlowLine(`{"src":"a/b","dst":"${"x".repeat(10 * 1024 * 1024)}","port":1}`);
    expect(long).toEqual({ ok: false, error: "column 65537: the JSON text is 10.0 MiB, over the 64 KiB limit; not parsed" });
    expect(parseFlowLine('{"src":"a/b\u0000","dst":"c/d","port":1}')).toEqual({
      ok: false,
      error: "column 12: a NUL character is not allowed in YAML or JSON text",
    });
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (s) => {
        const r = parseFlowLine(s);
        if (!r.ok) expect(r.error).toMatch(/^(column \d+: |src|dst|port|protocol|time|expected)/);
      }),
      { numRuns: 500 },
    );
  }, 60_000);

  it("does not count brackets inside strings", () => {
    expect(parseJsonBounded(JSON.stringify({ s: "[".repeat(100) }), FLOW_LINE_LIMITS)).toEqual({ ok: true, value: { s: "[".repeat(100) } });
    expect(parseJsonBounded(JSON.stringify({ s: '\\"[[' }), { maxChars: 100, maxDepth: 1 })).toEqual({ ok: true, value: { s: '\\"[[' } });
  });
});

describe("a process with a small stack", () => {
  it("stays up on inputs that overflow a recursive parser, at every entry point, with located errors", () => {
    const script = fileURLToPath(new URL("./__fixtures__/hostile-child.ts", import.meta.url));
    const res = spawnSync(process.execPath, ["--stack-size=200", "--import", "tsx", script], {
      encoding: "utf8",
      timeout: 120_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(res.stderr).toBe("");
    expect(res.status).toBe(0);
    const out = JSON.parse(res.stdout) as { input: string; entry: string; errors: { line: number; column: number; message: string }[] }[];
    expect(out.length).toBe(Object.keys(HOSTILE_DEEP).length * 3 + 2);
    for (const r of out) {
      expect(r.errors.length, `${r.entry} on ${r.input}`).toBeGreaterThan(0);
      for (const e of r.errors) {
        expect(e.line, `${r.entry} on ${r.input}: ${e.message}`).toBeGreaterThan(0);
        expect(e.message).not.toMatch(/call stack/);
      }
      expect(r.errors.map((e) => e.message).join("\n"), `${r.entry} on ${r.input}`).toMatch(/nested deeper|nesting deeper/);
    }
  }, 120_000);
});
