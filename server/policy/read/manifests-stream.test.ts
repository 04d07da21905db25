// readManifestSources reads each object as soon as its document is parsed (so a large file's
// parse is never held whole). It must answer exactly as parsing every source first and reading
// the objects afterwards does — including when a source leaves the block subset after some of
// its documents were already read, and the reading of that source starts again.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cliClusterYaml } from "../../../bench/lib/cli-cluster";
import { readManifestSources, readParsedObjects, type ManifestSource, type ReadResult } from "./manifests";
import { parseSource } from "./yaml";

/** Parse every source, then read: the order of work before streaming. */
function parseThenRead(sources: readonly ManifestSource[]): ReadResult {
  const parsed = sources.map((s) => parseSource(s.file, s.text));
  return readParsedObjects(
    parsed.flatMap((p) => p.objects),
    parsed.flatMap((p) => p.errors),
  );
}

function same(sources: readonly ManifestSource[]): void {
  const streamed = readManifestSources(sources);
  const reference = parseThenRead(sources);
  const label = sources.map((s) => s.file).join(", ");
  expect(
    streamed.errors.map((e) => e.toJSON()),
    label,
  ).toEqual(reference.errors.map((e) => e.toJSON()));
  expect(
    streamed.warnings.map((e) => e.toJSON()),
    label,
  ).toEqual(reference.warnings.map((e) => e.toJSON()));
  expect(streamed.objectCount, label).toBe(reference.objectCount);
  expect(streamed.cluster, label).toStrictEqual(reference.cluster);
  expect(streamed.policies, label).toStrictEqual(reference.policies);
}

const root = fileURLToPath(new URL("../", import.meta.url));
function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(name) ? [p] : [];
  });
}

const pod = (name: string, extra = "") =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  namespace: shop\n  labels: {app: web}\n${extra}spec:\n  containers:\n  - name: main\n    ports:\n    - containerPort: 8080\n      name: http\nstatus:\n  podIP: 10.0.0.${name.length}\n`;

/** Documents in the block subset: objects, read errors and warnings, Lists, non-objects, empties, comments. */
const BLOCK = [
  pod("web-0"),
  pod("web-1", "  # a comment line\n"),
  pod("web-0"), // defined twice: a warning from the final pass
  pod("Bad_Name!"), // refused by validation, with a position
  "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    tenant: a\n",
  "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: np\n  namespace: shop\nspec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]\n  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}\n    ports:\n    - {port: 80, protocol: TCP}\n  egress:\n  - ports:\n    - port: 99999\n",
  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ignored\n",
  "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata:\n    name: svc\n    namespace: shop\n  spec:\n    selector: {app: web}\n    ports:\n    - port: 80\n      targetPort: http\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: listed\n",
  "just a scalar\n",
  "# only a comment\n",
  "apiVersion: v1\nkind: Pod\nmetadata:\n  name: 'quoted-it''s'\n  namespace: \"shop\"\n",
];

/** Documents outside it: each sends the whole source to js-yaml or to the position-tracking reader. */
const NOT_BLOCK = [
  pod("block-scalar", "  annotations:\n    note: |\n      two\n      lines\n"),
  pod("folded", "  annotations:\n    note: >-\n      folded\n      text\n"),
  pod("multi-line-plain", "  annotations:\n    note: a plain scalar\n      that goes on\n"),
  pod("escaped", '  annotations:\n    note: "tab\\tand \\u00e9"\n'),
  pod("flow-lines", "  annotations: {a: '1',\n    b: '2'}\n"),
  pod("quoted-key", '  annotations:\n    "example.com/k": v\n'),
  pod("anchor", "  annotations: &notes\n    a: b\n"),
  "apiVersion: v1\nkind: Pod\nmetadata: &m\n  name: aliased\n  namespace: shop\n---\napiVersion: v1\nkind: Pod\nmetadata: *m\n",
  pod("duplicate-key", "  labels: {app: other}\n"),
  "apiVersion: v1\nkind: Pod\nmetadata:\n  name: broken\n  labels: [unclosed\n",
  "apiVersion: v1\nkind: Pod\nmetadata:\n\tname: tabbed\n",
  "--- !!map\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: tagged\n",
  "? apiVersion\n: v1\nkind: Namespace\nmetadata:\n  name: explicit-key\n",
];

const joinDocs = (docs: readonly string[]) => docs.join("---\n");
const crlf = (t: string) => t.replace(/\n/g, "\r\n");

describe("reading each object as its document is parsed answers as parsing first, then reading", () => {
  it("on every YAML file of the engine's fixtures and templates, alone and all together", () => {
    const files = yamlFiles(root);
    expect(files.length).toBeGreaterThan(50);
    const sources = files.map((f) => ({ file: f, text: readFileSync(f, "utf8") }));
    for (const s of sources) same([s]);
    same(sources);
  }, 60_000);

  it("when a source leaves the block subset after many documents were read (the read starts that source again)", () => {
    const cluster = cliClusterYaml().yaml.split("\n---\n").slice(0, 300);
    for (const late of NOT_BLOCK) {
      const text = joinDocs([...cluster.map((d) => `${d}\n`), late]);
      same([
        { file: "before.yaml", text: joinDocs(BLOCK) },
        { file: "late.yaml", text },
        { file: "after.yaml", text: pod("after") },
      ]);
      const r = readManifestSources([{ file: "late.yaml", text }]);
      // Read once: no object of the cluster is reported as defined twice.
      expect(r.warnings.filter((w) => /defined more than once/.test(w.message) && !/web-0/.test(w.message))).toEqual([]);
    }
  }, 60_000);

  it("on generated mixes of documents, sources, line ends and byte-order marks", () => {
    const doc = fc.oneof({ arbitrary: fc.constantFrom(...BLOCK), weight: 4 }, { arbitrary: fc.constantFrom(...NOT_BLOCK), weight: 1 });
    const source = fc.record({
      docs: fc.array(doc, { minLength: 0, maxLength: 8 }),
      marker: fc.boolean(),
      crlf: fc.boolean(),
      bom: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(source, { minLength: 1, maxLength: 3 }), (specs) => {
        const sources = specs.map((s, i) => {
          let text = joinDocs(s.docs);
          if (s.marker) text = `---\n${text}`;
          if (s.crlf) text = crlf(text);
          if (s.bom) text = `\ufeff${text}`;
          return { file: `s${i}.yaml`, text };
        });
        same(sources);
      }),
      { numRuns: 300 },
    );
  }, 60_000);
});
