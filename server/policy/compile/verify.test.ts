import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readManifestSources } from "../read/manifests";
import { readDocumentSources } from "../documents/read";
import { PLATFORM_DEFAULT_ALL, PLATFORM_DEFAULT_OFF } from "../model";
import { compileDocuments, type CompileTarget } from "./compile";
import { formatVerifyFinding, verifyCompiled } from "./verify";

const dir = fileURLToPath(new URL("./__fixtures__/issue-10/", import.meta.url));
const read = (f: string) => ({ file: f, text: readFileSync(dir + f, "utf8") });
const inventory = readManifestSources([read("inventory.yaml")]);
const docs = readDocumentSources([read("documents.yaml")]).documents;
const cluster = { name: "c1", model: inventory.cluster };
const time = "2026-06-01T00:00:00Z";

describe("compile --verify: compiled objects under plain Kubernetes semantics against the platform's decision order", () => {
  for (const target of ["anp", "cnp-v1alpha2"] as CompileTarget[]) {
    it(`finds the issue's disagreements when the platform default is not rendered into the cluster (${target})`, () => {
      // Before issue 10 the default existed only in the engine: compile without it, decide with it.
      const compiled = compileDocuments(docs, cluster, { target, now: time, platformDefault: PLATFORM_DEFAULT_OFF });
      const v = verifyCompiled(compiled, { target, platformDefault: PLATFORM_DEFAULT_ALL, time });
      const lines = v.disagreements.map(formatVerifyFinding);
      expect(lines).toContain(`ingress-nginx/controller shop/web 8080/TCP platform=deny cluster=allow c1/${target}`);
      expect(lines).toContain(`ingress-nginx/controller monitoring/prometheus 8080/TCP platform=deny cluster=allow c1/${target}`);
      expect(lines).toContain(`monitoring/prometheus ingress-nginx/controller 8080/TCP platform=deny cluster=allow c1/${target}`);
      expect(v.disagreements.every((f) => f.kind === "disagreement" && f.where === `c1/${target}`)).toBe(true);
    });

    it(`finds none once the platform default is rendered as the last baseline object (${target})`, () => {
      const compiled = compileDocuments(docs, cluster, { target, now: time, platformDefault: PLATFORM_DEFAULT_ALL });
      const v = verifyCompiled(compiled, { target, platformDefault: PLATFORM_DEFAULT_ALL, time });
      expect(v.disagreements).toEqual([]);
      // every pod pair, on the rules' port and one port no rule mentions
      expect(v.flows).toBeGreaterThanOrEqual(4 * 4 * 2);
    });
  }

  it("covers only the namespaces of its scope: an excluded namespace is left to Kubernetes' allow on both sides", () => {
    const platformDefault = { enabled: true, excludeNamespaces: ["monitoring"] };
    for (const target of ["anp", "cnp-v1alpha2"] as CompileTarget[]) {
      const compiled = compileDocuments(docs, cluster, { target, now: time, platformDefault });
      expect(verifyCompiled(compiled, { target, platformDefault, time }).disagreements).toEqual([]);
    }
  });

  it("records a rule the target cannot express, with the compiler's reason, for --verify to classify the flows it decides", () => {
    // A constraint on `world` has no AdminNetworkPolicy peer: it is rendered for Cilium, outside the priority order.
    const extra = readDocumentSources([
      {
        file: "extra.yaml",
        text: `apiVersion: policyplane.io/v1
kind: Policy
metadata: {name: monitoring-pass}
spec:
  tier: global
  subject: {namespaces: [monitoring]}
  rules:
    - {direction: egress, action: pass, peers: [{dns: api.example.com}]}
`,
      },
    ]).documents;
    const compiled = compileDocuments([...docs, ...extra], cluster, { target: "anp", now: time, platformDefault: PLATFORM_DEFAULT_OFF });
    expect(compiled.inexact.map((i) => i.message).join("\n")).toMatch(/Pass rule cannot be expressed/);
  });
});
