/** Golden datasets: small clusters with expected verdicts, one case per rule of semantics. */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { FIXTURES, evaluatorFor, fixture, mismatches, parseFlowSpec } from "./harness";

interface CaseFile {
  cluster: string;
  cases: { name: string; policies: string; options?: { secureByDefault?: boolean }; flows: string[] }[];
}

for (const file of readdirSync(join(FIXTURES, "semantics")).filter((f) => f.endsWith(".cases.yaml"))) {
  const data = parse(fixture(join("semantics", file))) as CaseFile;
  describe(`semantics: ${file}`, () => {
    for (const c of data.cases) {
      it(c.name, () => {
        const ev = evaluatorFor([data.cluster, c.policies], c.options ?? {});
        expect(mismatches(ev, c.flows.map(parseFlowSpec))).toEqual([]);
      });
    }
  });
}
