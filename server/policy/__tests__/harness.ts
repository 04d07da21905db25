/** Test harness: reads fixtures and drives flows through the same code path as `policyplane simulate`. */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { readManifestSources, type ReadResult } from "../read/manifests";
import { createEvaluator, type Evaluator, type EvaluatorOptions } from "../eval/evaluator";
import { simulateLines, type SimulateRecord } from "../flows";
import { MATCH_ALL, type ClusterModel, type Policy } from "../model";

export const FIXTURES = join(__dirname, "..", "__fixtures__");

export function fixture(rel: string): string {
  return readFileSync(join(FIXTURES, rel), "utf8");
}

export function read(...sources: { file: string; text: string }[]): ReadResult {
  const r = readManifestSources(sources);
  if (r.errors.length > 0) throw new Error(`manifest errors:\n${r.errors.map((e) => e.message).join("\n")}`);
  return r;
}

export function evaluatorFor(texts: string[], options: EvaluatorOptions = {}): Evaluator {
  const r = read(...texts.map((text, i) => ({ file: `inline-${i}.yaml`, text })));
  return createEvaluator(r.cluster, r.policies, options);
}

/** The recipe fixtures (recipes/*.yaml), each a whole cluster with its policies. */
export function recipeFixtures(): string[] {
  return readdirSync(join(FIXTURES, "recipes")).filter((f) => f.endsWith(".yaml"));
}

/** The conformance cluster the ANP fixtures read over. */
export const ANP_BASE = "anp/conformance-base-manifests.yaml";

/** The ANP fixtures that read over the conformance cluster (two user stories use an older API's fields, refused by design). */
export function readableAnpFixtures(): string[] {
  const base = fixture(ANP_BASE);
  return readdirSync(join(FIXTURES, "anp")).filter(
    (f) =>
      f.endsWith(".yaml") &&
      `anp/${f}` !== ANP_BASE &&
      readManifestSources([
        { file: "base.yaml", text: base },
        { file: f, text: fixture(`anp/${f}`) },
      ]).errors.length === 0,
  );
}

/** The cluster of the Kubernetes semantics cases (namespaces app and ops; app/web, ops/prom, …). */
export function semanticsCluster(): ClusterModel {
  return read({
    file: "semantics.yaml",
    text: (fixture("semantics/kubernetes.cases.yaml").split("cases:")[0] ?? "").replace(/^cluster: \|\n/m, "").replace(/^ {2}/gm, ""),
  }).cluster;
}

/** A policy of the model with every namespace and pod as subject, both directions, unless given. */
export function testPolicy(p: Partial<Policy> & Pick<Policy, "id" | "layer" | "rules">): Policy {
  return {
    subject: { namespaces: { kind: "selector", selector: MATCH_ALL }, pods: MATCH_ALL },
    policyTypes: { ingress: true, egress: true },
    ref: { kind: "Test", name: p.id },
    ...p,
  };
}

/** A namespace policy isolating every pod of `namespace` for ingress, allowing nothing. */
export function denyAllIngress(namespace: string): Policy {
  return testPolicy({
    id: "np",
    layer: "namespace",
    namespace,
    subject: { namespaces: { kind: "names", names: [namespace] }, pods: MATCH_ALL },
    policyTypes: { ingress: true, egress: false },
    rules: [],
  });
}

/** "src -> dst 80/TCP allow" */
export interface FlowExpectation {
  src: string;
  dst: string;
  port: number;
  protocol: string;
  verdict?: "allow" | "deny";
}

export function parseFlowSpec(s: string): FlowExpectation {
  const m = /^\s*(\S+)\s*->\s*(\S+)\s+(\d+)\/(TCP|UDP|SCTP)(?:\s+(allow|deny))?\s*$/.exec(s);
  if (!m) throw new Error(`bad flow spec: ${s}`);
  return { src: m[1]!, dst: m[2]!, port: Number(m[3]), protocol: m[4]!, ...(m[5] ? { verdict: m[5] as "allow" | "deny" } : {}) };
}

/** Evaluate flows exactly like the CLI does (JSON lines in, one record per line out). */
export function simulate(ev: Evaluator, flows: FlowExpectation[]): SimulateRecord[] {
  const lines = flows.map((f) => JSON.stringify({ src: f.src, dst: f.dst, port: f.port, protocol: f.protocol }));
  return [...simulateLines(ev, lines)];
}

/** Mismatches between expected and simulated verdicts, as readable strings (empty = all good). */
export function mismatches(ev: Evaluator, flows: FlowExpectation[]): string[] {
  const out: string[] = [];
  simulate(ev, flows).forEach((rec, i) => {
    const f = flows[i]!;
    if ("error" in rec) out.push(`${f.src} -> ${f.dst} ${f.port}/${f.protocol}: error ${rec.error}`);
    else if (rec.verdict !== f.verdict)
      out.push(`${f.src} -> ${f.dst} ${f.port}/${f.protocol}: expected ${f.verdict}, got ${rec.verdict} (${rec.path})`);
  });
  return out;
}
