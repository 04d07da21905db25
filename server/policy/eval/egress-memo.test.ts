import { describe, expect, it } from "vitest";
import { ANP_BASE, evaluatorFor, fixture, readableAnpFixtures, recipeFixtures } from "../__tests__/harness";
import { EgressMemo } from "./egress-memo";
import { formatDecisionPath } from "./explain";
import type { Evaluator } from "./evaluator";
import type { Protocol } from "../model";

/** Every (src, dst, port) among the identities, decided through the cache (and so the egress memo) and without it. */
function differences(ev: Evaluator): string[] {
  const ids = ev.identities;
  const probes: { port: number; protocol: Protocol }[] = [
    { port: 80, protocol: "TCP" },
    { port: 53, protocol: "UDP" },
    ...ev.rulePorts().map((p) => ({ port: p.port, protocol: p.protocol })),
  ];
  const out: string[] = [];
  // Destinations outermost: each egress class is first decided for one source, then answered from the memo for the others.
  for (const dst of ids)
    for (const src of ids)
      for (const { port, protocol } of probes) {
        const memo = ev.decideIdentities(src, dst, port, protocol);
        const direct = ev.decideUncached(src, dst, port, protocol);
        // Made afresh with the memo, as simulate's byte path decides a new tuple.
        const fresh = ev.decideAtEpoch(src, dst, port, protocol, ev.epochAt());
        const a = `${memo.verdict} ${formatDecisionPath(memo)}`;
        const b = `${direct.verdict} ${formatDecisionPath(direct)}`;
        const c = `${fresh.verdict} ${formatDecisionPath(fresh)}`;
        if (a !== b || c !== b) out.push(`${src.id} -> ${dst.id} ${port}/${protocol}: ${a}, afresh ${c} (uncached: ${b})`);
      }
  return out;
}

const recipes = recipeFixtures();
const base = fixture(ANP_BASE);
const anp = readableAnpFixtures();

describe("egress directions shared by sources that walk the same egress rules", () => {
  it.each(recipes)("answer as an uncached decision does: recipes/%s", (file) => {
    expect(differences(evaluatorFor([fixture(`recipes/${file}`)]))).toEqual([]);
  });

  it("cover the ANP fixtures that read", () => expect(anp.length).toBeGreaterThanOrEqual(9));

  it.each(anp)("answer as an uncached decision does: anp/%s over the conformance cluster", (file) => {
    const ev = evaluatorFor([base, fixture(`anp/${file}`)]);
    expect(differences(ev)).toEqual([]);
  });

  it("are shared: identities of namespaces that admin rules select alike fall into one class", () => {
    const ev = evaluatorFor([fixture("anp/conformance-base-manifests.yaml"), fixture("anp/anp-standard-gress-rules-combined.yaml")]);
    const pods = ev.identities.filter((id) => id.kind === "pod").length;
    const memo = new EgressMemo(ev.identities.map((identity) => ({ identity, ...ev.subjectIndex(identity.id) })));
    expect(memo.classes).toBeGreaterThan(1);
    expect(memo.classes).toBeLessThan(pods);
  });
});
