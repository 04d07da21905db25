/**
 * What the compiler writes is what the API server (with the upstream CRDs) accepts: the demo
 * organisation and every built-in template, compiled for every demo cluster and both admin
 * targets, each object read back by the same validation `policyplane validate` runs (the rules
 * pinned by ../read/apiserver-parity.test.ts and ../read/upstream-parity.test.ts).
 */
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { DEMO_CLUSTERS } from "@/server/seed/demo-data";
import { builtinTemplatesDir, readDocumentPaths } from "@/server/policy/documents/fs";
import { instantiateTemplate } from "@/server/policy/documents/template";
import { demoCluster, demoDocuments } from "@/server/policy/documents/__tests__/demo-cluster";
import { TEMPLATE_VALUES } from "@/server/policy/documents/__tests__/template-values";
import { readManifestSources } from "@/server/policy/read/manifests";
import { compileDocuments } from "./compile";

function templateDocuments() {
  const { templates, errors } = readDocumentPaths([builtinTemplatesDir()]);
  expect(errors).toEqual([]);
  return templates.map((t) => {
    const r = instantiateTemplate(t, TEMPLATE_VALUES[t.document.metadata.name] ?? {});
    expect(
      r.errors.map((e) => e.message),
      t.document.metadata.name,
    ).toEqual([]);
    return r.document!;
  });
}

describe("compiled objects pass the validation the API server would apply", () => {
  const sets = { "demo organisation": demoDocuments, "built-in templates": templateDocuments };
  for (const [what, docs] of Object.entries(sets)) {
    for (const { name } of DEMO_CLUSTERS) {
      for (const target of ["anp", "cnp-v1alpha2"] as const) {
        it(`${what} for ${name}, target ${target}`, () => {
          const r = compileDocuments(docs(), demoCluster(name), { target, release: "r1", now: "2026-06-01T00:00:00Z" });
          expect(r.errors.map((e) => e.message)).toEqual([]);
          expect(r.objects.length).toBeGreaterThan(0);
          for (const { object, path } of r.objects) {
            const back = readManifestSources([{ file: path, text: stringify(object, { lineWidth: 0 }) }]);
            expect(
              back.errors.map((e) => e.message),
              path,
            ).toEqual([]);
          }
        });
      }
    }
  }
});
