/**
 * Validation parity with the upstream CRDs, generated from their facts
 * (../__fixtures__/upstream/*.facts.yaml, extracted by scripts/upstream-facts.ts
 * with their repository, path and commit). For each fact: objects that must be
 * accepted and objects that must be refused with an error located at the field
 * (file:line:col and path). Valid samples and the values that cannot be derived
 * from a fact alone (patterns, CEL rules) are in the *.cases.yaml beside them.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { readManifestSources } from "./manifests";
import { formatPath, type PathSeg } from "./yaml";

const DIR = path.join(import.meta.dirname, "../__fixtures__/upstream");

type Fact = { path: string } & Record<string, unknown>;
interface FactsFile {
  kind: string;
  apiVersion: string;
  provenance: { repository: string; path: string; commit: string };
  facts: Fact[];
}
interface Example {
  path: string;
  fact: string;
  pass?: unknown[];
  fail?: unknown[];
}
interface CasesFile {
  samples: Record<string, unknown>[];
  examples?: Example[];
}

const FACT_KINDS = [
  "enum",
  "default",
  "oneOf",
  "pattern",
  "minimum",
  "maximum",
  "minItems",
  "maxItems",
  "minLength",
  "maxLength",
  "minProperties",
  "maxProperties",
  "required",
  "cel",
  "type",
] as const;
type FactKind = (typeof FACT_KINDS)[number];
const kindOf = (f: Fact): FactKind => {
  const k = FACT_KINDS.find((x) => x in f);
  if (!k) throw new Error(`fact at ${f.path} has no kind this test knows: ${JSON.stringify(f)}`);
  return k;
};

/** "spec.egress[*].to[*].matchLabels.*" → ["spec", "egress", "[*]", "to", "[*]", "matchLabels", "*"]. */
function pattern(p: string): string[] {
  return p === "" ? [] : p.replace(/\[\*\]/g, ".[*]").split(".");
}

/** Concrete paths in `value` matching the fact path (first match per wildcard branch). */
function concrete(value: unknown, pat: readonly string[], at: PathSeg[] = []): PathSeg[][] {
  if (pat.length === 0) return [at];
  const [head, ...rest] = pat as [string, ...string[]];
  if (head === "[*]") return Array.isArray(value) ? value.flatMap((v, i) => concrete(v, rest, [...at, i])) : [];
  if (!value || typeof value !== "object" || Array.isArray(value)) return [];
  const obj = value as Record<string, unknown>;
  if (head === "*") return Object.keys(obj).flatMap((k) => concrete(obj[k], rest, [...at, k]));
  return head in obj ? concrete(obj[head], rest, [...at, head]) : [];
}

const clone = <T>(v: T): T => structuredClone(v);

function get(root: unknown, p: readonly PathSeg[]): unknown {
  return p.reduce<unknown>((v, s) => (v as Record<PathSeg, unknown>)[s], root);
}

function set(root: Record<string, unknown>, p: readonly PathSeg[], value: unknown): Record<string, unknown> {
  if (p.length === 0) return value as Record<string, unknown>;
  const parent = get(root, p.slice(0, -1)) as Record<PathSeg, unknown>;
  if (value === undefined) delete parent[p[p.length - 1]!];
  else parent[p[p.length - 1]!] = value;
  return root;
}

/** An example patch: relative dotted path ("" for the node itself) → value. */
function applyPatch(sample: Record<string, unknown>, at: PathSeg[], patch: Record<string, unknown>): Record<string, unknown> {
  let out = clone(sample);
  for (const [rel, v] of Object.entries(patch)) out = set(out, [...at, ...(rel === "" ? [] : rel.split("."))], clone(v));
  return out;
}

const FILE = "upstream.yaml";
function errorsOf(obj: Record<string, unknown>) {
  const text = stringify(obj, { aliasDuplicateObjects: false, lineWidth: 0 });
  return readManifestSources([{ file: FILE, text }]).errors;
}

const under = (errPath: string, p: string) => p === "" || errPath === p || errPath.startsWith(`${p}.`) || errPath.startsWith(`${p}[`);

function expectAccepted(obj: Record<string, unknown>, at: string, why: string): void {
  const errs = errorsOf(obj).filter((e) => under(e.path, at));
  expect(
    errs.map((e) => e.message),
    `${why}: must be accepted`,
  ).toEqual([]);
}

function expectRefused(obj: Record<string, unknown>, at: string, why: string): void {
  const errs = errorsOf(obj);
  const here = errs.filter((e) => under(e.path, at));
  expect(
    here.length,
    `${why}: must be refused at ${at || "(root)"}; errors: ${errs.map((e) => e.message).join(" | ") || "none"}`,
  ).toBeGreaterThan(0);
  for (const e of here) {
    expect(e.file).toBe(FILE);
    expect(e.line).toBeGreaterThan(0);
    expect(e.column).toBeGreaterThan(0);
    expect(e.message).toContain(`${FILE}:${e.line}:${e.column}`);
  }
}

const WRONG_TYPE: Record<string, unknown> = { string: 12345, integer: "twelve", number: "twelve", boolean: "yes", "int-or-string": true };

const files = readdirSync(DIR).filter((f) => f.endsWith(".facts.yaml"));

describe("validation follows the upstream CRDs fact by fact", () => {
  it("has the facts of ANP/BANP v1alpha1, ClusterNetworkPolicy v1alpha2 and CiliumNetworkPolicy v2, each file with its provenance", () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const f of files) {
      const facts = parse(readFileSync(path.join(DIR, f), "utf8")) as FactsFile;
      expect(facts.provenance.repository).toMatch(/^[\w-]+\/[\w.-]+$/);
      expect(facts.provenance.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(facts.facts.length).toBeGreaterThan(20);
    }
  });

  for (const file of files) {
    const facts = parse(readFileSync(path.join(DIR, file), "utf8")) as FactsFile;
    const cases = parse(readFileSync(path.join(DIR, file.replace(".facts.yaml", ".cases.yaml")), "utf8")) as CasesFile;
    const defaults = new Set(facts.facts.filter((f) => "default" in f).map((f) => f.path));
    const example = (f: Fact, kind: FactKind) => (cases.examples ?? []).find((e) => e.path === f.path && e.fact === kind);

    describe(`${facts.kind} ${facts.apiVersion} (${facts.provenance.repository} ${facts.provenance.path} @ ${facts.provenance.commit.slice(0, 12)})`, () => {
      it("accepts every sample", () => {
        for (const s of cases.samples) expect(errorsOf(s).map((e) => e.message)).toEqual([]);
      });

      facts.facts.forEach((fact) => {
        const kind = kindOf(fact);
        const { path: factPath, ...rest } = fact;
        it(`${factPath || "(root)"}: ${JSON.stringify(rest)}`, () => {
          // The first sample that reaches the fact's path.
          const hit = cases.samples
            .flatMap((s) => concrete(s, pattern(factPath)).map((at) => ({ s, at })))
            .find((x) => x.at.length > 0 || factPath === "");
          expect(hit, `no sample in the cases file reaches ${factPath}`).toBeDefined();
          const { s, at } = hit!;
          const where = formatPath(at);
          const node = get(s, at);
          const withValue = (v: unknown) => set(clone(s), at, clone(v));
          const ex = example(fact, kind);
          switch (kind) {
            case "enum":
              for (const v of fact.enum as unknown[]) expectAccepted(withValue(v), where, `enum value ${JSON.stringify(v)}`);
              expectRefused(withValue("NotInTheEnum"), where, "a value outside the enum");
              break;
            case "default":
              expectAccepted(withValue(undefined), formatPath(at.slice(0, -1)), `omitted (defaulted to ${JSON.stringify(fact.default)})`);
              break;
            case "minimum":
            case "maximum": {
              const bound = fact[kind] as number;
              const outside = kind === "minimum" ? bound - 1 : bound + 1;
              expectAccepted(withValue(bound), where, `${kind} ${bound}`);
              expectRefused(withValue(outside), where, `${outside}, beyond the ${kind}`);
              break;
            }
            case "minItems":
            case "maxItems": {
              const n = fact[kind] as number;
              const items = node as unknown[];
              const of = (len: number) => Array.from({ length: len }, (_, i) => clone(items[i % items.length]));
              expectAccepted(withValue(of(Math.max(n, 1))), where, `${Math.max(n, 1)} item(s)`);
              const bad = kind === "minItems" ? n - 1 : n + 1;
              if (bad >= 0) expectRefused(withValue(of(bad)), where, `${bad} item(s)`);
              break;
            }
            case "minLength":
            case "maxLength": {
              const n = fact[kind] as number;
              const pass = ex?.pass ?? [node];
              const fail = ex?.fail ?? [kind === "maxLength" ? "a".repeat(n + 1) : "a".repeat(Math.max(0, n - 1))];
              for (const v of pass) expectAccepted(withValue(v), where, `${JSON.stringify(v)} (${kind} ${n})`);
              for (const v of fail) {
                if (kind === "maxLength") expect((v as string).length).toBeGreaterThan(n);
                expectRefused(withValue(v), where, `${JSON.stringify(v)} (${kind} ${n})`);
              }
              if (kind === "maxLength" && !ex) expectAccepted(withValue("a".repeat(n)), where, `${n} characters`);
              break;
            }
            case "pattern": {
              expect(ex, `the cases file needs pass/fail examples for the pattern at ${factPath}`).toBeDefined();
              const re = new RegExp(fact.pattern as string);
              for (const v of ex!.pass ?? []) {
                expect(re.test(v as string), `${JSON.stringify(v)} matches the upstream pattern`).toBe(true);
                expectAccepted(withValue(v), where, JSON.stringify(v));
              }
              for (const v of ex!.fail ?? []) {
                expect(re.test(v as string), `${JSON.stringify(v)} does not match the upstream pattern`).toBe(false);
                expectRefused(withValue(v), where, JSON.stringify(v));
              }
              break;
            }
            case "minProperties":
              expectAccepted(s, where, "the sample");
              if ((fact.minProperties as number) === 1) expectRefused(withValue({}), where, "an empty mapping");
              break;
            case "maxProperties":
            case "oneOf":
            case "cel": {
              expect(ex?.fail?.length, `the cases file needs failing examples for the ${kind} at ${factPath}`).toBeGreaterThan(0);
              for (const p of ex!.pass ?? [])
                expectAccepted(
                  kind === "cel" ? applyPatch(s, at, p as Record<string, unknown>) : withValue(p),
                  where,
                  `${kind} pass ${JSON.stringify(p)}`,
                );
              for (const p of ex!.fail!)
                expectRefused(
                  kind === "cel" ? applyPatch(s, at, p as Record<string, unknown>) : withValue(p),
                  where,
                  `${kind} fail ${JSON.stringify(p)}`,
                );
              break;
            }
            case "required": {
              const key = fact.required as string;
              const child = [...at, key];
              expect(get(s, child), `the sample reaching ${factPath} has ${key}`).toBeDefined();
              const without = set(clone(s), child, undefined);
              if (defaults.has(factPath ? `${factPath}.${key}` : key)) expectAccepted(without, where, `${key} omitted, defaulted`);
              else expectRefused(without, where, `${key} omitted`);
              break;
            }
            case "type": {
              expectAccepted(s, where, "the sample");
              const wrong = WRONG_TYPE[fact.type as string];
              expect(wrong, `a wrong value for type ${String(fact.type)}`).toBeDefined();
              expectRefused(withValue(wrong), where, `${JSON.stringify(wrong)} for type ${String(fact.type)}`);
              break;
            }
          }
        });
      });
    });
  }
});
