import { describe, expect, it } from "vitest";
import { ANP_BASE, evaluatorFor, fixture, readableAnpFixtures, recipeFixtures, semanticsCluster, testPolicy } from "../__tests__/harness";
import { ADMIN_TIER_ORDER, type Action, type Direction, type Policy, type PolicyRule } from "../model";
import { createEvaluator, type Evaluator } from "./evaluator";
import { compileNamespaceMatch, compileSelector } from "./selectors";
import { compareDecisionOrder, type CompiledRule } from "./targets";

/**
 * The admin and baseline lists as a stable sort of each identity's own list gives them: the rules of
 * the admin (baseline: non-pass rules of baseline) policies whose subject selects the identity, taken
 * in the order of the policy set, then sorted by decision order and rule index.
 */
function expectedLists(ev: Evaluator, id: number, dir: Direction): { admin: string[]; baseline: string[] } {
  const identity = ev.identity(id)!;
  const label = (p: Policy, r: PolicyRule) => `${p.id}#${r.direction}${r.ref.ruleIndex}`;
  const out = { admin: [] as { p: Policy; r: PolicyRule }[], baseline: [] as { p: Policy; r: PolicyRule }[] };
  if (identity.kind === "pod" && !identity.hostNetwork) {
    for (const p of ev.policySet.policies) {
      if (p.layer !== "admin" && p.layer !== "baseline") continue;
      const selects =
        compileNamespaceMatch(p.subject.namespaces, p.namespace)(identity.namespace, identity.nsLabels) &&
        compileSelector(p.subject.pods)(identity.labels);
      if (!selects) continue;
      for (const r of p.rules) if (r.direction === dir && (p.layer === "admin" || r.action !== "pass")) out[p.layer].push({ p, r });
    }
  }
  const order = (a: { p: Policy; r: PolicyRule }, b: { p: Policy; r: PolicyRule }) =>
    compareDecisionOrder(a.p, b.p) || a.r.ref.ruleIndex - b.r.ref.ruleIndex;
  return {
    admin: out.admin.sort(order).map(({ p, r }) => label(p, r)),
    baseline: out.baseline.sort(order).map(({ p, r }) => label(p, r)),
  };
}

function differences(ev: Evaluator): string[] {
  const label = (c: CompiledRule) => `${c.policy.id}#${c.rule.direction}${c.rule.ref.ruleIndex}`;
  const out: string[] = [];
  for (const identity of ev.identities)
    for (const dir of ["egress", "ingress"] as const) {
      const idx = ev.subjectIndex(identity.id)[dir];
      const want = expectedLists(ev, identity.id, dir);
      const got = { admin: idx.admin.map(label), baseline: idx.baseline.map(label) };
      if (JSON.stringify(got) !== JSON.stringify(want))
        out.push(`${identity.id} ${dir}: ${JSON.stringify(got)} (expected ${JSON.stringify(want)})`);
    }
  return out;
}

/** Deterministic PRNG (the same policy sets on every run). */
function prng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
}

/**
 * Admin and baseline policies over the semantics cluster with few priorities (many ties, broken by
 * id), every tier and none, subjects by name, label and pod selector, rules of both directions in
 * mixed order, and pass rules in baselines (which never attach), listed in a shuffled order.
 */
function randomPolicies(seed: number): Policy[] {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const subjects: Policy["subject"][] = [
    {
      namespaces: { kind: "selector", selector: { matchLabels: {}, matchExpressions: [] } },
      pods: { matchLabels: {}, matchExpressions: [] },
    },
    { namespaces: { kind: "names", names: ["app"] }, pods: { matchLabels: {}, matchExpressions: [] } },
    {
      namespaces: { kind: "selector", selector: { matchLabels: { team: "blue" }, matchExpressions: [] } },
      pods: { matchLabels: {}, matchExpressions: [] },
    },
    { namespaces: { kind: "names", names: ["app", "ops"] }, pods: { matchLabels: { app: "web" }, matchExpressions: [] } },
    {
      namespaces: { kind: "selector", selector: { matchLabels: {}, matchExpressions: [] } },
      pods: { matchLabels: { role: "client" }, matchExpressions: [] },
    },
  ];
  const policies: Policy[] = [];
  const n = 4 + Math.floor(rand() * 10);
  for (let i = 0; i < n; i++) {
    const baseline = rand() < 0.3;
    const rules: PolicyRule[] = [];
    const counts = { ingress: 0, egress: 0 };
    const k = Math.floor(rand() * 5);
    for (let j = 0; j < k; j++) {
      const direction: Direction = rand() < 0.5 ? "ingress" : "egress";
      const action: Action = pick(["allow", "deny", "pass"] as const);
      rules.push({
        direction,
        action,
        peers: null,
        ports: null,
        ref: { kind: "Test", name: `p${i}`, direction, ruleIndex: counts[direction]++ },
      });
    }
    const tier = pick([...ADMIN_TIER_ORDER, undefined]);
    policies.push(
      testPolicy({
        id: `p${String(Math.floor(rand() * 1000)).padStart(3, "0")}-${i}`,
        layer: baseline ? "baseline" : "admin",
        ...(baseline || tier === undefined ? {} : { tier }),
        ...(rand() < 0.8 ? { priority: Math.floor(rand() * 3) } : {}),
        subject: pick(subjects),
        rules,
      }),
    );
  }
  return policies;
}

const recipes = recipeFixtures();
const base = fixture(ANP_BASE);
const anp = readableAnpFixtures();

describe("admin and baseline rules attached once in decision order", () => {
  it.each(recipes)("equal each identity's own rules sorted by decision order: recipes/%s", (file) => {
    expect(differences(evaluatorFor([fixture(`recipes/${file}`)]))).toEqual([]);
  });

  it.each(anp)("equal each identity's own rules sorted by decision order: anp/%s over the conformance cluster", (file) => {
    expect(differences(evaluatorFor([base, fixture(`anp/${file}`)]))).toEqual([]);
  });

  it("equal each identity's own rules sorted by decision order on 50 generated policy sets with tied priorities", () => {
    const cluster = semanticsCluster();
    let attached = 0;
    for (let seed = 1; seed <= 50; seed++) {
      const ev = createEvaluator(cluster, { policies: randomPolicies(seed) });
      expect(differences(ev), `seed ${seed}`).toEqual([]);
      for (const id of ev.identities)
        attached += ev.subjectIndex(id.id).ingress.admin.length + ev.subjectIndex(id.id).egress.baseline.length;
    }
    // The generated sets do attach rules (a test over empty lists would prove nothing).
    expect(attached).toBeGreaterThan(100);
  });
});

describe("admin and baseline lists shared", () => {
  it("equal lists are one array, distinct lists are not, on 50 generated policy sets", () => {
    const cluster = semanticsCluster();
    let shared = 0;
    for (let seed = 1; seed <= 50; seed++) {
      const ev = createEvaluator(cluster, { policies: randomPolicies(seed) });
      for (const dir of ["egress", "ingress"] as const)
        for (const layer of ["admin", "baseline"] as const) {
          const lists = ev.identities.filter((i) => i.kind === "pod" && !i.hostNetwork).map((i) => ev.subjectIndex(i.id)[dir][layer]);
          const contents = new Set(lists.map((l) => l.map((r) => `${r.policy.id}#${r.rule.ref.ruleIndex}`).join(",")));
          expect(new Set(lists).size, `seed ${seed} ${dir} ${layer}`).toBe(contents.size);
          shared += lists.length - new Set(lists).size;
        }
    }
    // Identities do share (a test where every list is its own would not show it).
    expect(shared).toBeGreaterThan(100);
  });
});
