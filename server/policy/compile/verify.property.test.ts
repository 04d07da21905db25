/**
 * Property: the compile check by classes (verifyCompiled) finds exactly what deciding every pair of
 * endpoints on every probe port finds (verifyCompiledPairByPair), on random small organisations.
 *
 * Unlike compile.property.test.ts, the organisations here are not kept to what the targets express:
 * DNS and `world` peers in every layer, CIDR peers on admin ingress, named ports that mean
 * different port numbers on different pods, host-network pods and several baselines all take part,
 * so "not expressible" findings are common. Disagreements are made on purpose: the objects are
 * compiled with one platform default and checked against another, or one compiled object is left
 * out. Pods come in groups with equal labels and per-workload policies that say the same thing, so
 * classes hold several members.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { emptyCluster, PLATFORM_DEFAULT_OFF, type ClusterModel, type NamedPort, type PlatformDefault } from "@/server/policy/model";
import { policyplaneDocument, type PolicyplaneDocument } from "@/server/policy/documents/schema";
import { lowerDocuments, type TargetCluster } from "@/server/policy/documents/lower";
import { inMemoryDocuments } from "@/server/policy/documents/read";
import { compileLowered, type CompileResult, type CompileTarget } from "./compile";
import { formatVerifyFinding, verifyCompiled, verifyCompiledPairByPair, type VerifyFinding, type VerifyResult } from "./verify";

const T = "2026-06-01T00:00:00Z";
const NS = ["a", "b", "c"] as const;
const PORTS: NamedPort[] = [
  { name: "http", port: 80, protocol: "TCP" },
  { name: "http", port: 8080, protocol: "TCP" },
  { name: "dns", port: 53, protocol: "UDP" },
  { name: "metrics", port: 9090, protocol: "TCP" },
];

const clusterArb: fc.Arbitrary<TargetCluster> = fc
  .record({
    nsLabels: fc.array(fc.option(fc.constantFrom("t1", "t2"), { nil: undefined }), { minLength: 3, maxLength: 3 }),
    groups: fc.array(
      fc.record({
        ns: fc.constantFrom(...NS),
        app: fc.constantFrom("x", "y", "z"),
        role: fc.option(fc.constantFrom("web", "db"), { nil: undefined }),
        ports: fc.subarray(PORTS),
        replicas: fc.integer({ min: 1, max: 3 }),
        hostNetwork: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
      }),
      { minLength: 2, maxLength: 6 },
    ),
  })
  .map(({ nsLabels, groups }) => {
    const model: ClusterModel = emptyCluster();
    NS.forEach((ns, i) => model.namespaces.push({ name: ns, labels: nsLabels[i] ? { tenant: nsLabels[i] } : {} }));
    let ip = 1;
    groups.forEach((g, gi) => {
      for (let r = 0; r < g.replicas; r++) {
        model.pods.push({
          namespace: g.ns,
          name: `w${gi}-${r}`,
          // Each workload's own label: per-workload policies select it, and pods of one workload share it.
          labels: { app: g.app, workload: `w${gi}`, ...(g.role ? { role: g.role } : {}) },
          ports: g.ports,
          ips: [`10.0.${gi}.${ip++}`],
          hostNetwork: g.hostNetwork,
          workload: { kind: "Deployment", name: `w${gi}` },
        });
      }
    });
    model.namespaces.push({ name: "kube-system", labels: {} }, { name: "istio-system", labels: {} });
    model.pods.push(
      {
        namespace: "kube-system",
        name: "coredns",
        labels: { "k8s-app": "kube-dns" },
        ports: [PORTS[2]!],
        ips: ["10.0.9.1"],
        hostNetwork: false,
      },
      {
        namespace: "istio-system",
        name: "egress-gw",
        labels: { app: "egress-gw" },
        ports: [{ name: "https", port: 443, protocol: "TCP" }],
        ips: ["10.0.8.1"],
        hostNetwork: false,
      },
    );
    return { name: "k1", region: "eu", model };
  });

const podSelector = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom("x", "y", "z").map((app) => ({ matchLabels: { app } })),
  fc.integer({ min: 0, max: 5 }).map((w) => ({ matchLabels: { workload: `w${w}` } })),
  fc.constantFrom("In", "NotIn", "Exists", "DoesNotExist").map((op) => ({
    matchExpressions: [op === "In" || op === "NotIn" ? { key: "role", operator: op, values: ["web"] } : { key: "role", operator: op }],
  })),
);
const workloads = fc
  .record({
    ns: fc.oneof(
      fc.constant({}),
      fc.constantFrom("t1", "t2").map((tenant) => ({ tenant })),
      fc.subarray([...NS], { minLength: 1 }).map((namespaces) => ({ namespaces })),
    ),
    podSelector,
  })
  .map(({ ns, podSelector: ps }) => ({ ...ns, ...(ps ? { podSelector: ps } : {}) }));
const peer = fc.oneof(
  { weight: 4, arbitrary: workloads.map((w) => ({ workloads: w })) },
  {
    weight: 1,
    arbitrary: fc.constantFrom({ cidr: "10.0.0.0/16", except: ["10.0.1.0/24"] }, { cidr: "0.0.0.0/0" }, { cidr: "192.0.2.0/24" }),
  },
  { weight: 1, arbitrary: fc.constantFrom({ entity: "kube-dns" }, { entity: "world" }, { entity: "cluster" }) },
  { weight: 1, arbitrary: fc.constantFrom({ dns: "api.example.com" }, { dns: "*.example.org" }) },
);
const ports = fc.option(
  fc.array(
    fc.constantFrom(
      { port: 80 },
      { port: "http" },
      { port: 53, protocol: "UDP" },
      { port: "dns", protocol: "UDP" },
      { port: 80, endPort: 9090 },
      { port: "metrics" },
      { port: 443 },
    ),
    { minLength: 1, maxLength: 2 },
  ),
  { nil: undefined },
);
const rule = (actions: readonly string[]) =>
  fc
    .record({
      direction: fc.constantFrom("ingress", "egress"),
      action: fc.constantFrom(...actions),
      peers: fc.array(peer, { minLength: 1, maxLength: 2 }),
      ports,
    })
    .map(({ ports: p, ...r }) => ({ ...r, ...(p ? { ports: p } : {}) }));

const policy = (i: number) =>
  fc
    .record({
      tier: fc.constantFrom("global", "cluster", "namespace", "baseline"),
      priority: fc.integer({ min: 0, max: 2 }),
      subject: workloads,
      rules: fc.array(rule(["allow", "deny", "pass"]), { minLength: 1, maxLength: 2 }),
      tenant: fc.constantFrom("t1", "t2"),
    })
    .map(({ tier, priority, subject, rules, tenant }) => {
      const action = (a: string) => (tier === "namespace" ? "allow" : tier === "baseline" && a === "pass" ? "deny" : a);
      return {
        apiVersion: "policyplane.io/v1",
        kind: "Policy",
        metadata: { name: `p-${i}`, ...(tier === "namespace" ? { tenant } : {}) },
        spec: {
          tier,
          ...(tier === "global" || tier === "cluster" ? { priority } : {}),
          subject: tier === "namespace" ? { ...(subject.podSelector ? { podSelector: subject.podSelector } : {}) } : subject,
          rules: rules.map((r) => ({ ...r, action: action(r.action) })),
        },
      };
    });

/** The same rule for every workload of a list, one policy each (as teams write per-app policies). */
const perWorkload = fc
  .record({ workloads: fc.uniqueArray(fc.integer({ min: 0, max: 5 }), { maxLength: 4 }), rule: rule(["allow"]) })
  .map(({ workloads: ws, rule: r }) =>
    ws.map((w) => ({
      apiVersion: "policyplane.io/v1",
      kind: "Policy",
      metadata: { name: `per-w${w}`, tenant: "t1" },
      spec: { tier: "namespace", subject: { podSelector: { matchLabels: { workload: `w${w}` } } }, rules: [r] },
    })),
  );

const flowDocs = (i: number) =>
  fc
    .record({
      kind: fc.constantFrom("ComplianceConstraint", "Exception"),
      direction: fc.constantFrom("ingress", "egress"),
      subject: workloads,
      peers: fc.array(peer, { minLength: 1, maxLength: 2 }),
      window: fc.constantFrom(
        { startsAt: "2026-05-01T00:00:00Z", expiresAt: "2027-01-01T00:00:00Z" },
        { expiresAt: "2026-01-01T00:00:00Z" },
        { startsAt: T, expiresAt: "2026-06-01T00:00:00.001Z" },
      ),
    })
    .map(({ kind, direction, subject, peers, window }) => ({
      apiVersion: "policyplane.io/v1",
      kind,
      metadata: { name: `flow-${i}` },
      spec:
        kind === "Exception"
          ? { subject, direction, peers, ports: [{ port: 80 }], justification: "generated for the property test", ...window }
          : { subject, direction, peers, rationale: "generated" },
    }));

const indexed = <A>(f: (i: number) => fc.Arbitrary<A>, max: number) =>
  fc.integer({ min: 0, max }).chain((n) => (n === 0 ? fc.constant([] as A[]) : fc.tuple(...Array.from({ length: n }, (_, i) => f(i)))));

const documentsArb: fc.Arbitrary<PolicyplaneDocument[]> = fc
  .tuple(indexed(policy, 5), perWorkload, indexed(flowDocs, 2))
  .map((groups) => groups.flat())
  .map((docs) => docs.flatMap((d) => (policyplaneDocument.safeParse(d).success ? [policyplaneDocument.parse(d)] : [])));

const platformDefaultArb: fc.Arbitrary<PlatformDefault> = fc.oneof(
  fc.constant(PLATFORM_DEFAULT_OFF),
  fc.subarray([...NS, "kube-system"]).map((excludeNamespaces) => ({ enabled: true, excludeNamespaces })),
);

/** How the compiled objects are made to disagree (or not). */
const mutationArb = fc.oneof(
  fc.constant({ kind: "none" as const }),
  platformDefaultArb.map((compiledWith) => ({ kind: "other-default" as const, compiledWith })),
  fc.nat().map((index) => ({ kind: "drop-object" as const, index })),
);

const lines = (list: readonly VerifyFinding[]) =>
  list.map((f) => `${formatVerifyFinding(f)} decided by [${f.decidedBy.join(", ")}]`).sort();

function comparable(v: VerifyResult) {
  return {
    flows: v.flows,
    disagreementCount: v.disagreementCount,
    notExpressibleCount: v.notExpressibleCount,
    disagreements: lines(v.disagreements),
    notExpressible: lines(v.notExpressible),
  };
}

describe("the compile check by classes equals deciding every pair", () => {
  for (const target of ["anp", "cnp-v1alpha2"] as CompileTarget[]) {
    it(`lists the same findings and counts as the pair-by-pair check on random organisations (target ${target})`, () => {
      let withDisagreements = 0;
      let withNotExpressible = 0;
      let merged = 0;
      fc.assert(
        fc.property(
          clusterArb,
          documentsArb,
          platformDefaultArb,
          mutationArb,
          fc.boolean(),
          (cluster, docs, platformDefault, mutation, listNotExpressible) => {
            const lowered = lowerDocuments(inMemoryDocuments(docs), cluster);
            const compiledWith = mutation.kind === "other-default" ? mutation.compiledWith : platformDefault;
            let compiled: CompileResult = compileLowered(lowered, cluster, { target, now: T, platformDefault: compiledWith });
            if (mutation.kind === "drop-object" && compiled.objects.length > 0) {
              const drop = mutation.index % compiled.objects.length;
              compiled = { ...compiled, objects: compiled.objects.filter((_, i) => i !== drop) };
            }
            const options = { target, platformDefault, time: T, listNotExpressible };
            const byClass = verifyCompiled(compiled, options);
            const reference = verifyCompiledPairByPair(compiled, options);
            expect(comparable(byClass)).toEqual(comparable(reference));
            // A cap lists the first findings of the same set and still counts them all.
            const capped = verifyCompiled(compiled, { ...options, maxFindings: 2 });
            expect(capped.disagreementCount).toBe(reference.disagreementCount);
            expect(capped.notExpressibleCount).toBe(reference.notExpressibleCount);
            expect(capped.disagreements.length).toBe(Math.min(2, reference.disagreementCount));
            expect(capped.notExpressible.length).toBe(Math.min(2, reference.notExpressibleCount));
            const all = new Set([...comparable(reference).disagreements, ...comparable(reference).notExpressible]);
            for (const l of [...lines(capped.disagreements), ...lines(capped.notExpressible)]) expect(all).toContain(l);
            if (reference.disagreementCount > 0) withDisagreements++;
            if (reference.notExpressibleCount > 0) withNotExpressible++;
            if (byClass.decided < reference.decided) merged++;
          },
        ),
        { numRuns: 120, seed: 1010 + (target === "anp" ? 0 : 1) },
      );
      // The generators must exercise what they claim: disagreements, what the target cannot say, and classes of several members.
      expect(withDisagreements).toBeGreaterThan(20);
      expect(withNotExpressible).toBeGreaterThan(20);
      expect(merged).toBeGreaterThan(60);
    }, 120_000);
  }
});
