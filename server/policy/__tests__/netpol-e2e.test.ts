/**
 * Upstream Kubernetes netpol e2e cases (x,y,z × a,b,c) through the simulate code path.
 * Data: __fixtures__/netpol-e2e.cases.yaml over __fixtures__/netpol-e2e.model.yaml.
 */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { createEvaluator } from "../eval/evaluator";
import { fixture, mismatches, read, type FlowExpectation } from "./harness";

interface Case {
  name: string;
  policies: string;
  namespaceLabels?: Record<string, Record<string, string>>;
  podLabels?: Record<string, Record<string, string>>;
  probes: { on: string; steps: ({ deny: string } | { allow: string })[] }[];
}

const PODS = ["x/a", "x/b", "x/c", "y/a", "y/b", "y/c", "z/a", "z/b", "z/c"];

function matches(pattern: string, pod: string): boolean {
  if (pattern === "*") return true;
  const [ns, name] = pattern.split("/");
  const [pns, pname] = pod.split("/");
  return ns === pns && (name === "*" || name === pname);
}

function expectedMatrix(steps: Case["probes"][number]["steps"]): Map<string, boolean> {
  const m = new Map<string, boolean>();
  for (const s of PODS) for (const d of PODS) m.set(`${s}|${d}`, true);
  for (const step of steps) {
    const [pattern, value] = "deny" in step ? [step.deny, false] : [step.allow, true];
    const [sp, dp] = pattern.split("->").map((x) => x.trim());
    for (const s of PODS) for (const d of PODS) if (matches(sp!, s) && matches(dp!, d)) m.set(`${s}|${d}`, value);
  }
  return m;
}

const cases = parse(fixture("netpol-e2e.cases.yaml")) as Case[];
const model = fixture("netpol-e2e.model.yaml");

describe("Kubernetes netpol e2e reachability matrices", () => {
  it("has the upstream cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  for (const c of cases) {
    it(c.name, () => {
      const r = read({ file: "netpol-e2e.model.yaml", text: model }, { file: "policies.yaml", text: c.policies });
      for (const [ns, labels] of Object.entries(c.namespaceLabels ?? {})) {
        const n = r.cluster.namespaces.find((x) => x.name === ns)!;
        n.labels = { ...n.labels, ...labels };
      }
      for (const [ref, labels] of Object.entries(c.podLabels ?? {})) {
        const p = r.cluster.pods.find((x) => `${x.namespace}/${x.name}` === ref)!;
        p.labels = { ...labels };
      }
      const ev = createEvaluator(r.cluster, r.policies);
      const problems: string[] = [];
      for (const probe of c.probes) {
        const [port, protocol] = probe.on.split("/");
        const m = expectedMatrix(probe.steps);
        const flows: FlowExpectation[] = [];
        for (const s of PODS)
          for (const d of PODS)
            if (s !== d)
              flows.push({ src: s, dst: d, port: Number(port), protocol: protocol!, verdict: m.get(`${s}|${d}`) ? "allow" : "deny" });
        problems.push(...mismatches(ev, flows));
      }
      expect(problems).toEqual([]);
    });
  }
});
