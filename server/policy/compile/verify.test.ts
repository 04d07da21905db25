import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readManifestSources } from "../read/manifests";
import { readDocumentSources } from "../documents/read";
import { emptyCluster, PLATFORM_DEFAULT_ALL, PLATFORM_DEFAULT_OFF } from "../model";
import { createEvaluator } from "../eval/evaluator";
import { compileDocuments, type CompileTarget } from "./compile";
import { formatVerifyFinding, verifyCompiled, verifyCompiledPairByPair } from "./verify";
import { SideSignatures } from "./verify-classes";

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

describe("compile --verify by classes", () => {
  // Twelve workloads in one namespace, each with its own policy saying the same: accept 8080 from the api tier.
  const model = emptyCluster();
  model.namespaces.push({ name: "shop", labels: { tenant: "shop" } });
  const perWorkload: string[] = [];
  for (let i = 0; i < 12; i++) {
    const tier = i < 2 ? "api" : "backend";
    model.pods.push({
      namespace: "shop",
      name: `w${i}`,
      labels: { app: `w${i}`, tier },
      ports: [{ name: "http", port: 8080, protocol: "TCP" }],
      ips: [`10.0.0.${i + 1}`],
      hostNetwork: false,
    });
    perWorkload.push(`apiVersion: policyplane.io/v1
kind: Policy
metadata: {name: w${i}-in, tenant: shop}
spec:
  tier: namespace
  subject: {podSelector: {matchLabels: {app: w${i}}}}
  rules:
    - {direction: ingress, action: allow, peers: [{workloads: {podSelector: {matchLabels: {tier: api}}}}], ports: [{port: 8080}]}
`);
  }
  const shopDocs = readDocumentSources([{ file: "per-workload.yaml", text: perWorkload.join("---\n") }]).documents;
  const shop = { name: "c1", model };
  const options = { target: "anp" as const, platformDefault: PLATFORM_DEFAULT_ALL, time };

  it("puts workloads whose own policies say the same thing in one class, and decides one flow per class triple", () => {
    const compiled = compileDocuments(shopDocs, shop, { target: "anp", now: time, platformDefault: PLATFORM_DEFAULT_ALL });
    const v = verifyCompiled(compiled, options);
    const reference = verifyCompiledPairByPair(compiled, options);
    expect(v.disagreementCount).toBe(0);
    expect(v.flows).toBe(reference.flows);
    // Twelve pod identities and two addresses outside the cluster each way, in classes: api pods,
    // backend pods, and the outside.
    expect(reference.classes.sources).toBe(14);
    expect(v.classes.sources).toBe(3);
    expect(v.classes.destinations).toBe(3);
    expect(v.decided).toBeLessThan(reference.decided / 10);
  });

  it("still lists every disagreeing flow by name, decided one by one, when a class disagrees", () => {
    const compiled = compileDocuments(shopDocs, shop, { target: "anp", now: time, platformDefault: PLATFORM_DEFAULT_OFF });
    const v = verifyCompiled(compiled, options);
    const reference = verifyCompiledPairByPair(compiled, options);
    expect(v.disagreementCount).toBe(2 * 12);
    expect(v.disagreements.map(formatVerifyFinding).sort()).toEqual(reference.disagreements.map(formatVerifyFinding).sort());
    expect(v.disagreements.map(formatVerifyFinding)).toContain("shop/w0 shop/w11 8080/TCP platform=deny cluster=allow c1/anp");
    const capped = verifyCompiled(compiled, { ...options, maxFindings: 5 });
    expect(capped.disagreements).toHaveLength(5);
    expect(capped.disagreementCount).toBe(reference.disagreementCount);
  });

  it("keeps apart endpoints whose deciding rules differ in what the check reads from them (inexact, needs Cilium)", () => {
    const compiled = compileDocuments(shopDocs, shop, { target: "anp", now: time, platformDefault: PLATFORM_DEFAULT_ALL });
    const ev = createEvaluator(model, compiled.lowered.policies, { secureByDefault: PLATFORM_DEFAULT_ALL });
    const ids = ev.podEntries.map((e) => e.identity);
    const alike = new SideSignatures(ev, ids, new Set(), { rule: () => "", policy: () => "" });
    const w5 = ev.findPod("shop", "w5")!.identity;
    const w6 = ev.findPod("shop", "w6")!.identity;
    expect(alike.dst(w5)).toBe(alike.dst(w6));
    const tagged = new SideSignatures(ev, ids, new Set(), {
      rule: (r) => (r.policy.ref.name === "w5-in" ? "+inexact" : ""),
      policy: () => "",
    });
    expect(tagged.dst(w5)).not.toBe(tagged.dst(w6));
  });
});
