// Grouped and streamed reachability answer exactly what the whole graph answers.
import { describe, expect, it } from "vitest";
import { computeReachability, streamReachability, type ReachabilityEdge } from "./reachability";
import { evaluatorFor, fixture } from "../__tests__/harness";

const scenarios: [string, string[]][] = [
  ["recipe 09", [fixture("recipes/09-allow-traffic-only-to-a-port.yaml")]],
  ["ANP + NP + BANP", [fixture("anp/conformance-base-manifests.yaml"), fixture("anp/api-integration-anp-np-banp.yaml")]],
  ["netpol model", [fixture("netpol-e2e.model.yaml")]],
];
const key = (e: ReachabilityEdge) => `${e.from}→${e.to}`;

describe("reachability grouped by namespace and streamed", () => {
  for (const [name, texts] of scenarios) {
    it(`streams the same edges, ports and rationales as the whole graph, each destination's edges together: ${name}`, () => {
      const whole = computeReachability(evaluatorFor(texts));
      const stream = streamReachability(evaluatorFor(texts));
      const streamed = [...stream.edges];
      expect(stream.nodes).toEqual(whole.nodes);
      expect(new Map(streamed.map((e) => [key(e), e]))).toEqual(new Map(whole.edges.map((e) => [key(e), e])));
      expect(streamed).toHaveLength(whole.edges.length);
      const destinations = streamed.map((e) => e.to).filter((to, i, all) => i === 0 || all[i - 1] !== to);
      expect(new Set(destinations).size).toBe(destinations.length);
      expect(stream.stats().edges).toBe(streamed.length);
    });

    it(`groups by namespace exactly as the workload graph folded onto namespaces: ${name}`, () => {
      const workloads = computeReachability(evaluatorFor(texts), { rationale: false });
      const ns = computeReachability(evaluatorFor(texts), { rationale: false, groupBy: "namespace" });
      const group = (id: string) => (id.startsWith("external/") ? id : id.split("/")[0]!);
      const folded = new Map<string, Set<string>>();
      for (const e of workloads.edges) {
        const k = `${group(e.from)}→${group(e.to)}`;
        folded.set(k, new Set([...(folded.get(k) ?? []), ...e.ports]));
      }
      expect(new Map(ns.edges.map((e) => [key(e), new Set(e.ports)]))).toEqual(folded);
      expect(ns.nodes.filter((n) => n.kind === "namespace").map((n) => n.id)).toEqual(
        [...new Set(workloads.nodes.filter((n) => n.kind === "workload").map((n) => n.namespace))].sort(),
      );
      expect(new Map(ns.edges.map((e) => [key(e), e]))).toEqual(
        new Map([...streamReachability(evaluatorFor(texts), { rationale: false, groupBy: "namespace" }).edges].map((e) => [key(e), e])),
      );
    });

    it(`counts behind each namespace edge exactly the workload paths it folds: ${name}`, () => {
      const workloads = computeReachability(evaluatorFor(texts), { rationale: false });
      const ns = computeReachability(evaluatorFor(texts), { rationale: false, groupBy: "namespace", pairs: true });
      const group = (id: string) => (id.startsWith("external/") ? id : id.split("/")[0]!);
      const counts = new Map<string, number>();
      for (const e of workloads.edges)
        counts.set(`${group(e.from)}→${group(e.to)}`, (counts.get(`${group(e.from)}→${group(e.to)}`) ?? 0) + 1);
      expect(new Map(ns.edges.map((e) => [key(e), e.pairs]))).toEqual(counts);
    });

    it(`opens one namespace: its workloads' edges in detail, every other namespace folded, nothing that does not touch it: ${name}`, () => {
      const workloads = computeReachability(evaluatorFor(texts), { rationale: false });
      const namespaces = [...new Set(workloads.nodes.filter((n) => n.kind === "workload").map((n) => n.namespace))].sort();
      for (const open of namespaces) {
        const island = computeReachability(evaluatorFor(texts), {
          rationale: false,
          groupBy: "namespace",
          workloadsIn: [open],
          touching: open,
          pairs: true,
        });
        const inOpen = (id: string) => id.startsWith(`${open}/`);
        const fold = (id: string) => (id.startsWith("external/") || inOpen(id) ? id : id.split("/")[0]!);
        const expected = new Map<string, { ports: Set<string>; pairs: number }>();
        for (const e of workloads.edges) {
          if (!inOpen(e.from) && !inOpen(e.to)) continue;
          const k = `${fold(e.from)}→${fold(e.to)}`;
          const prev = expected.get(k);
          expected.set(k, { ports: new Set([...(prev?.ports ?? []), ...e.ports]), pairs: (prev?.pairs ?? 0) + 1 });
        }
        expect(new Map(island.edges.map((e) => [key(e), { ports: new Set(e.ports), pairs: e.pairs }]))).toEqual(expected);
      }
    });
  }
});
