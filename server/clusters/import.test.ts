// Import round trip: each upstream netpol e2e case's NetworkPolicies, imported as
// Policyplane policies, decide every flow of the fixture cluster as the originals
// do: through the platform's decision order over the imported documents, and
// through the objects those documents compile to (read back with plain
// Kubernetes semantics, as the cluster would enforce them).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import type { ObservedObject } from "@/db/schema/clusters";
import { compileDocuments, toYaml } from "@/server/policy/compile/compile";
import { inMemoryDocuments } from "@/server/policy/documents/read";
import { lowerDocuments, TENANT_LABEL } from "@/server/policy/documents/lower";
import { createEvaluator, type Evaluator } from "@/server/policy/eval/evaluator";
import type { ClusterModel } from "@/server/policy/model";
import { readManifestSources } from "@/server/policy/read/manifests";
import { simulate } from "@/server/policy/__tests__/harness";
import { importNetworkPolicy, importObserved } from "./import";

const fixture = (name: string) => readFileSync(new URL(`../policy/__fixtures__/${name}`, import.meta.url), "utf8");
interface Case {
  name: string;
  policies: string;
  namespaceLabels?: Record<string, Record<string, string>>;
  podLabels?: Record<string, Record<string, string>>;
}
const cases = parse(fixture("netpol-e2e.cases.yaml")) as Case[];
const modelText = fixture("netpol-e2e.model.yaml");
const PODS = ["x/a", "x/b", "x/c", "y/a", "y/b", "y/c", "z/a", "z/b", "z/c"];
const PROBES = ["80/TCP", "81/TCP", "80/UDP", "81/UDP", "80/SCTP", "443/TCP"];

/** The cluster model with the case's labels, each namespace its own tenant (as a brownfield organisation would map them). */
function modelFor(c: Case): ClusterModel {
  const cluster = readManifestSources([{ file: "model.yaml", text: modelText }]).cluster;
  for (const n of cluster.namespaces) n.labels = { ...n.labels, ...(c.namespaceLabels?.[n.name] ?? {}), [TENANT_LABEL]: n.name };
  for (const [ref, labels] of Object.entries(c.podLabels ?? {})) {
    const p = cluster.pods.find((x) => `${x.namespace}/${x.name}` === ref)!;
    p.labels = { ...labels };
  }
  return cluster;
}

function verdicts(ev: Evaluator): string[] {
  const flows = PROBES.flatMap((probe) => {
    const [port, protocol] = probe.split("/");
    return PODS.flatMap((src) => PODS.filter((dst) => dst !== src).map((dst) => ({ src, dst, port: Number(port), protocol: protocol! })));
  });
  return simulate(ev, flows).map(
    (r, i) => `${flows[i]!.src} -> ${flows[i]!.dst} ${flows[i]!.port}/${flows[i]!.protocol} ${"verdict" in r ? r.verdict : r.error}`,
  );
}

describe("import of a cluster's NetworkPolicies", () => {
  it("covers the upstream netpol e2e cases", () => expect(cases.length).toBeGreaterThanOrEqual(40));

  for (const c of cases) {
    it(`round trip: ${c.name}`, () => {
      const model = modelFor(c);
      const originals = parseAllDocuments(c.policies).map((d) => d.toJSON() as ObservedObject);
      const { documents, notImported } = importObserved(originals, (ns) => ns);
      if (notImported.length > 0) {
        // Only what has no exact Policyplane form is left out, and the case says so.
        expect(notImported.map((n) => n.reason).join("; ")).toMatch(/has no Policyplane form/);
        return;
      }
      expect(documents).toHaveLength(originals.length);
      const expected = verdicts(createEvaluator(model, readManifestSources([{ file: "policies.yaml", text: c.policies }]).policies));
      const located = inMemoryDocuments(documents);
      const cluster = { name: "fixture", model };
      // The engine, deciding by the platform's order over the imported documents.
      expect(verdicts(createEvaluator(model, lowerDocuments(located, cluster).policies))).toEqual(expected);
      // The objects they compile to, as the cluster would enforce them.
      const compiled = compileDocuments(located, cluster, { target: "anp", release: "import" });
      expect(compiled.errors).toEqual([]);
      const enforced = readManifestSources([{ file: "compiled.yaml", text: toYaml(compiled.objects) }]).policies;
      expect(verdicts(createEvaluator(model, enforced))).toEqual(expected);
    });
  }

  it("gives no owner to a namespace without a tenant, and names what it does not import", () => {
    const np = {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "p", namespace: "loose" },
      spec: { podSelector: {} },
    };
    expect(importNetworkPolicy(np, null)).toEqual({
      object: "NetworkPolicy loose/p",
      reason: "namespace loose belongs to no tenant, so the policy would have no owner",
    });
    const anp = { apiVersion: "policy.networking.k8s.io/v1alpha1", kind: "AdminNetworkPolicy", metadata: { name: "a" }, spec: {} };
    const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "a", namespace: "x" } };
    const twin = { ...np, metadata: { name: "p", namespace: "loose" } };
    const r = importObserved([np, twin, anp, pod], () => "t");
    expect(r.documents.map((d) => d.metadata.name)).toEqual(["loose-p", "loose-p-2"]);
    expect(r.notImported).toEqual([
      { object: "AdminNetworkPolicy a", reason: "AdminNetworkPolicy is not imported yet: only NetworkPolicies are" },
    ]);
  });
});
