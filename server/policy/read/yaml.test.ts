// The fast reader (js-yaml) must agree with the position-tracking reader (yaml)
// on values, objects, errors and every position it reports.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseSource, parseSourcePositional, type ParsedSource, type PathSeg } from "./yaml";

const root = fileURLToPath(new URL("../", import.meta.url));
function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(name) ? [p] : [];
  });
}

/** Every path in a value (objects and arrays and their leaves), plus a missing field under each mapping. */
function paths(v: unknown, prefix: PathSeg[] = [], out: PathSeg[][] = []): PathSeg[][] {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...prefix, i], out));
  else if (v !== null && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) paths(x, [...prefix, k], out);
    out.push([...prefix, "no-such-field", 0]);
  }
  return out;
}

function agree(file: string, text: string): void {
  const fast: ParsedSource = parseSource(file, text);
  const exact: ParsedSource = parseSourcePositional(file, text);
  expect(fast.errors.map((e) => e.message)).toEqual(exact.errors.map((e) => e.message));
  expect(fast.objects.map((o) => ({ value: o.value, base: o.base, line: o.line, column: o.column }))).toEqual(
    exact.objects.map((o) => ({ value: o.value, base: o.base, line: o.line, column: o.column })),
  );
  fast.objects.forEach((o, i) => {
    for (const p of paths(o.value))
      expect(o.locate(p), `${file} ${JSON.stringify([...o.base, ...p])}`).toEqual(exact.objects[i]!.locate(p));
  });
}

describe("the fast YAML reader agrees with the position-tracking reader", () => {
  it("on every YAML file of the engine's fixtures and templates", () => {
    const files = yamlFiles(root);
    expect(files.length).toBeGreaterThan(50);
    for (const f of files) agree(f, readFileSync(f, "utf8"));
  }, 60_000);

  const scalar = fc.oneof(
    fc.constantFrom(
      "1",
      "-0",
      "+12",
      "0o17",
      "017",
      "0x1F",
      "1_000",
      "0b101",
      "1e3",
      "+.5",
      ".5",
      "1.",
      ".inf",
      "-.Inf",
      ".NaN",
      "~",
      "null",
      "Null",
      "",
      "true",
      "True",
      "FALSE",
      "yes",
      "off",
      "2024-01-01",
      "10.0.0.0/8",
      "*.example.com",
      "'quoted'",
      '"dq \\u00e9"',
      "a b",
      "a: b",
      "x # comment",
      "'it''s'",
      "[a, b]",
      "{a: 1}",
      "[]",
      "{}",
      "a &b",
      "x *y",
      "c !d",
      "q ? r",
      "'a : b'",
      "'&x'",
      "'x]: y'",
      "'null: z'",
      "w # see *x, &y, null: z, ? q, a]: b",
      "|\n  text\n",
      ">-\n  folded\n  text\n",
    ),
    fc.stringMatching(/^[a-z0-9][-a-z0-9.]{0,12}$/),
  );
  const key = fc.oneof(
    fc.constantFrom("apiVersion", "kind", "name", "1", "true", "null", "a b", "'q'"),
    fc.stringMatching(/^[a-z][a-zA-Z0-9]{0,8}$/),
  );
  const tree: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
    node: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      scalar,
      fc
        .array(fc.tuple(key, tie("node")), { minLength: 1, maxLength: 4 })
        .map((pairs) => `{${pairs.map(([k, v]) => `${k}: ${v.includes("\n") ? "x" : v}`).join(", ")}}`),
      fc
        .array(tie("node"), { minLength: 1, maxLength: 4 })
        .map((items) => `[${items.map((v) => (v.includes("\n") || v.includes(": ") ? "y" : v)).join(", ")}]`),
    ),
  })).node;
  /** Block mappings and sequences with flow and scalar leaves, at some indentation. */
  const block = (indent: number): fc.Arbitrary<string> =>
    indent > 6
      ? tree.map((v) => (v.includes("\n") ? "leaf" : v))
      : fc.oneof(
          fc
            .array(fc.tuple(key, fc.oneof(tree, block(indent + 2)), fc.boolean()), { minLength: 1, maxLength: 4 })
            .map((pairs) =>
              pairs
                .map(
                  ([k, v, comment]) =>
                    `${" ".repeat(indent)}${k}:${v.startsWith(" ") ? `${comment ? " # note: *x &y ? z null: w" : ""}\n${v}` : v.includes("\n") && !/^[|>]/.test(v) ? `\n${" ".repeat(indent + 2)}x` : ` ${v.startsWith("|") || v.startsWith(">") ? v.replace(/\n {2}/g, `\n${" ".repeat(indent + 2)}`) : v}`}`,
                )
                .join("\n"),
            ),
          fc
            .array(fc.oneof(tree, block(indent + 2)), { minLength: 1, maxLength: 3 })
            .map((items) =>
              items
                .map((v) => (v.startsWith(" ") ? `${" ".repeat(indent)}-\n${v}` : `${" ".repeat(indent)}- ${v.includes("\n") ? "z" : v}`))
                .join("\n"),
            ),
        );

  it("on generated documents (scalars of every core type, flow and block collections, comments, several documents)", () => {
    fc.assert(
      fc.property(fc.array(block(0), { minLength: 1, maxLength: 3 }), (docs) => agree("gen.yaml", `${docs.join("\n---\n")}\n`)),
      { numRuns: 400 },
    );
  }, 120_000);
});

describe("syntax errors a person can act on", () => {
  const base = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    team: shop\n";
  const errorsOf = (text: string) =>
    parseSource("ns.yaml", text).errors.map((e) => `${e.line}:${e.column} ${e.message.replace(/^ns\.yaml:\d+:\d+: /, "")}`);

  it("say what to do, in words, on the culprit's line, once per line", () => {
    expect(errorsOf(base.replace("  name: shop", "  name shop"))).toEqual([
      '4:3 invalid YAML: a key needs a colon and a space after it ("key: value")',
    ]);
    expect(errorsOf(base.replace("  name: shop", "\tname: shop"))).toEqual([
      "4:1 invalid YAML: a tab indents this line; YAML indents with spaces only",
    ]);
    expect(errorsOf(base.replace("  name: shop", "  name: shop: eu"))).toEqual([
      '4:9 invalid YAML: a value holding ": " must be quoted, or its key belongs on its own line',
    ]);
    expect(errorsOf(`${base}  name: other\n`)).toEqual(["7:3 invalid YAML: this key is already set above in the same mapping; keep one"]);
    expect(errorsOf(base.replace("    team: shop", "    team: [shop"))).toEqual([
      '6:16 invalid YAML: a list opened with "[" is not closed with "]"',
    ]);
    // The library places this one at the end of line 5; the line indented too little is line 6.
    expect(errorsOf(base.replace("    team: shop", " team: shop"))).toEqual([
      "6:2 invalid YAML: this line is not indented like the other keys at its level",
    ]);
  });
});
