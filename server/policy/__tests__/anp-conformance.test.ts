/** AdminNetworkPolicy / BaselineAdminNetworkPolicy / ClusterNetworkPolicy conformance expectations. */
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { createEvaluator } from "../eval/evaluator";
import { fixture, mismatches, parseFlowSpec, read } from "./harness";

interface Case {
  name: string;
  manifests: string[];
  inline?: string;
  edits?: [string, string][];
  omitKinds?: string[];
  flows: string[];
}

const ALIAS: Record<string, string> = {
  G: "network-policy-conformance-gryffindor/harry-potter",
  S: "network-policy-conformance-slytherin/draco-malfoy",
  H: "network-policy-conformance-hufflepuff/cedric-diggory",
  R: "network-policy-conformance-ravenclaw/luna-lovegood",
  F: "network-policy-conformance-forbidden-forrest/centaur",
};
const expand = (s: string) => s.replace(/\b([GSHRF])([01])\b/g, (_m, a: string, i: string) => `${ALIAS[a]}-${i}`);

const cases = parse(fixture("anp-conformance.cases.yaml")) as Case[];
const base = fixture("anp/conformance-base-manifests.yaml");

describe("network-policy-api conformance expectations", () => {
  for (const c of cases) {
    it(c.name, () => {
      const sources = [{ file: "conformance-base-manifests.yaml", text: base }];
      for (const m of c.manifests) {
        let text = fixture(m);
        for (const [from, to] of c.edits ?? []) {
          expect(text.includes(from), `edit target not found: ${from}`).toBe(true);
          text = text.split(from).join(to);
        }
        if (c.omitKinds) {
          text = parseAllDocuments(text)
            .filter((d) => !c.omitKinds!.includes(String((d.toJS() as { kind?: string }).kind)))
            .map((d) => d.toString())
            .join("---\n");
        }
        sources.push({ file: m, text });
      }
      if (c.inline) sources.push({ file: "inline.yaml", text: c.inline });
      const r = read(...sources);
      const ev = createEvaluator(r.cluster, r.policies);
      expect(
        mismatches(
          ev,
          c.flows.map((f) => parseFlowSpec(expand(f))),
        ),
      ).toEqual([]);
    });
  }
});
