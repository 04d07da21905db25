import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { platformPolicies, readMixedSources } from "../policy/documents/mixed";
import { createEvaluator } from "../policy/eval/evaluator";
import { parseEndpoint } from "../policy/flows";
import { attributionOf, classify } from "./classify";

const read = (path: string) => readFileSync(new URL(path, import.meta.url), "utf8");
const issue10 = "../policy/compile/__fixtures__/issue-10/";

const EXCEPTION = `
apiVersion: policyplane.io/v1
kind: Exception
metadata: {name: bank-accepts-monitoring-for-incident}
spec:
  subject: {namespaces: [bank]}
  direction: ingress
  peers: [{workloads: {namespaces: [monitoring]}}]
  ports: [{port: 5432}]
  justification: incident 77, reading the ledger database
  expiresAt: "2030-01-01T00:00:00.000Z"
`;

function engine(...texts: string[]) {
  const mixed = readMixedSources(texts.map((text, i) => ({ file: `doc-${i}.yaml`, text })));
  const errors = [...mixed.manifests.errors, ...(mixed.documents?.errors ?? [])];
  if (errors.length > 0) throw new Error(errors.map((e) => e.message).join("\n"));
  return createEvaluator(mixed.manifests.cluster, platformPolicies(mixed).policies);
}

function decide(ev: ReturnType<typeof engine>, src: string, dst: string, port: number) {
  const r = ev.decide({ src: parseEndpoint(src)!, dst: parseEndpoint(dst)!, port, protocol: "TCP", time: "2026-06-01T00:00:00Z" });
  if (!r.ok) throw r.error;
  return r.value;
}

describe("classifying an observed flow against the release", () => {
  const inventory = read(`${issue10}inventory.yaml`);
  const documents = read(`${issue10}documents.yaml`);

  it("a dropped flow is a violation, whatever the release says; a forwarded flow the release denies is an enforcement gap", () => {
    const ev = engine(inventory, documents);
    const denied = decide(ev, "monitoring/prometheus", "bank/ledger", 5432);
    const allowed = decide(ev, "ingress-nginx/controller", "shop/web", 8080);
    expect(denied.verdict).toBe("deny");
    expect(allowed.verdict).toBe("allow");
    expect(classify("DROPPED", denied)).toBe("violation");
    expect(classify("DROPPED", allowed)).toBe("violation");
    expect(classify("FORWARDED", denied)).toBe("enforcement-gap");
    expect(classify("AUDIT", denied)).toBe("enforcement-gap");
    expect(classify("FORWARDED", allowed)).toBe("allowed");
    // Not placed by the engine: only the cluster's verdict is known.
    expect(classify("DROPPED", null)).toBe("violation");
    expect(classify("FORWARDED", null)).toBe("allowed");
  });

  it("a flow only an exception allows is a near-miss, attributed to the exception", () => {
    const ev = engine(inventory, documents, EXCEPTION);
    const d = decide(ev, "monitoring/prometheus", "bank/ledger", 5432);
    expect(d.verdict).toBe("allow");
    expect(classify("FORWARDED", d)).toBe("near-miss");
    expect(attributionOf(d)).toMatchObject({ layer: "exception", policy: expect.stringContaining("bank-accepts-monitoring-for-incident") });
    // A flow a policy allows on its own stays allowed.
    expect(classify("FORWARDED", decide(ev, "ingress-nginx/controller", "shop/web", 8080))).toBe("allowed");
  });

  it("attributes a deny to the direction that denied it, naming the policy, tier and rule where there is one", () => {
    const ev = engine(inventory, documents);
    const d = decide(ev, "monitoring/prometheus", "bank/ledger", 5432);
    const a = attributionOf(d)!;
    const denying = [d.egress, d.ingress].find((x) => x.applicable && x.verdict === "deny")!;
    const last = denying.effects.at(-1)!;
    expect(a.layer).toBe(last.layer);
    expect(a.reason).toBe(last.reason);
    if (last.policy) expect(a.policy).toContain(last.policy.name);
    // Cached per decision object: the same answer, the same object.
    expect(attributionOf(d)).toBe(a);
  });
});
