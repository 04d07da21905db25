/**
 * Property: for random small clusters, random Policyplane documents and random
 * flows, evaluating the compiled Kubernetes objects (serialised to YAML, read
 * back with the engine's manifest readers) gives the same verdict as
 * evaluating the lowered documents.
 *
 * The generators keep to what both sides express exactly. Excluded, because the
 * compiler reports them as inexact (see compile.ts):
 * - DNS-name peers (Cilium toFQDNs also opens DNS to kube-dns), and `world` or
 *   DNS in the admin layers / constraints / exceptions (rendered as Cilium
 *   clusterwide policies outside the admin priority order);
 * - CIDR peers on admin-layer ingress rules (ANP ingress peers are pods only)
 *   and CIDR peers of exceptions (the mirrored direction cannot select pods by address);
 * - named ports used with another protocol than the container port declares
 *   (ANP namedPort carries no protocol);
 * - named ports on admin-layer rules with CIDR peers (the CRDs refuse named ports next to
 *   networks peers, so the compiler keeps only the numbered ports for those peers and says so);
 * - more than one baseline policy with target "anp" (BANP v1alpha1 is a singleton);
 * - services (resolved to workloads by the lowering, before compilation);
 * `via` rules are included: their pod-to-gateway leg is compiled to NetworkPolicy/ANP and
 * must decide alike; the gateway-to-internet leg is Istio routing, which the engine does not evaluate.
 * - nodes and host-network pods (no node peers in documents).
 *
 * Each organisation also draws the platform default (off, on for every namespace, or on except
 * some), rendered by the compiler as the last baseline object, and exceptions that are active,
 * expired or not yet started. Beside the random flows, `verifyCompiled` (the core of
 * `compile --verify`) must find no disagreement over every identity pair and probe port; flows
 * from outside the pod network are "not expressible" with the platform default on (ANP/CNP
 * ingress peers are pods) and are left out of the random flows then.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createEvaluator } from "@/server/policy/eval/evaluator";
import { readManifestSources } from "@/server/policy/read/manifests";
import {
  PLATFORM_DEFAULT_OFF,
  emptyCluster,
  type ClusterModel,
  type Flow,
  type FlowEndpoint,
  type NamedPort,
  type PlatformDefault,
} from "@/server/policy/model";
import { policyplaneDocument, type PolicyplaneDocument } from "@/server/policy/documents/schema";
import { lowerDocuments, type TargetCluster } from "@/server/policy/documents/lower";
import { inMemoryDocuments } from "@/server/policy/documents/read";
import { compileLowered, toYaml, type CompileTarget } from "./compile";
import { formatVerifyFinding, inexactRules, notExpressibleBecause, verifyCompiled } from "./verify";

const T = "2026-06-01T00:00:00Z";
const NS = ["a", "b", "c"] as const;
const PORTS: NamedPort[] = [
  { name: "http", port: 80, protocol: "TCP" },
  { name: "dns", port: 53, protocol: "UDP" },
  { name: "metrics", port: 9090, protocol: "TCP" },
];
const EXTERNAL_IPS = ["192.0.2.1", "10.1.0.1", "8.8.8.8"];

interface World {
  cluster: TargetCluster;
  pods: string[];
}

const podLabels = fc.record({ app: fc.constantFrom("x", "y", "z"), role: fc.option(fc.constantFrom("web", "db"), { nil: undefined }) });

const clusterArb: fc.Arbitrary<World> = fc
  .record({
    namespaces: fc.uniqueArray(fc.constantFrom(...NS), { minLength: 2, maxLength: 3 }),
    nsLabels: fc.array(
      fc.record({
        tenant: fc.option(fc.constantFrom("t1", "t2"), { nil: undefined }),
        env: fc.option(fc.constantFrom("prod", "dev"), { nil: undefined }),
      }),
      { minLength: 3, maxLength: 3 },
    ),
    pods: fc.array(fc.array(fc.record({ labels: podLabels, ports: fc.subarray(PORTS) }), { minLength: 1, maxLength: 3 }), {
      minLength: 3,
      maxLength: 3,
    }),
    region: fc.constantFrom("eu", "us"),
  })
  .map(({ namespaces, nsLabels, pods, region }) => {
    const model: ClusterModel = emptyCluster();
    const names: string[] = [];
    namespaces.forEach((ns, i) => {
      const l = nsLabels[i]!;
      model.namespaces.push({ name: ns, labels: { ...(l.tenant ? { tenant: l.tenant } : {}), ...(l.env ? { env: l.env } : {}) } });
      pods[i]!.forEach((p, j) => {
        const labels = { app: p.labels.app, ...(p.labels.role ? { role: p.labels.role } : {}) };
        model.pods.push({ namespace: ns, name: `p${j}`, labels, ports: p.ports, ips: [`10.0.${i}.${j + 1}`], hostNetwork: false });
        names.push(`${ns}/p${j}`);
      });
    });
    model.namespaces.push({ name: "kube-system", labels: {} }, { name: "istio-system", labels: {} });
    model.pods.push({
      namespace: "istio-system",
      name: "egress-gw",
      labels: { app: "egress-gw" },
      ports: [{ name: "https", port: 443, protocol: "TCP" }],
      ips: ["10.0.8.1"],
      hostNetwork: false,
      workload: { kind: "Pod", name: "egress-gw" },
    });
    names.push("istio-system/egress-gw");
    model.pods.push({
      namespace: "kube-system",
      name: "coredns",
      labels: { "k8s-app": "kube-dns" },
      ports: [PORTS[1]!],
      ips: ["10.0.9.1"],
      hostNetwork: false,
    });
    names.push("kube-system/coredns");
    return { cluster: { name: `k-${region}`, region, model }, pods: names };
  });

// --- document pieces -------------------------------------------------------

const podSelector = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom("x", "y", "z").map((app) => ({ matchLabels: { app } })),
  fc.record({ op: fc.constantFrom("In", "NotIn", "Exists", "DoesNotExist"), v: fc.constantFrom("web", "db") }).map(({ op, v }) => ({
    matchExpressions: [op === "In" || op === "NotIn" ? { key: "role", operator: op, values: [v] } : { key: "role", operator: op }],
  })),
);
const workloads = fc
  .record({
    ns: fc.oneof(
      fc.constant({}),
      fc.constantFrom("t1", "t2").map((tenant) => ({ tenant })),
      fc.subarray([...NS], { minLength: 1 }).map((namespaces) => ({ namespaces })),
      fc.constantFrom("prod", "dev").map((env) => ({ namespaceSelector: { matchLabels: { env } } })),
    ),
    podSelector,
  })
  .map(({ ns, podSelector: ps }) => ({ ...ns, ...(ps ? { podSelector: ps } : {}) }));

const cidrPeer = fc.constantFrom(
  { cidr: "10.0.0.0/16", except: ["10.0.1.0/24"] },
  { cidr: "10.0.0.0/8" },
  { cidr: "192.0.2.0/24" },
  { cidr: "0.0.0.0/0", except: ["10.0.0.0/16"] },
  { cidr: "10.0.2.0/30" },
);
const wlPeer = workloads.map((w) => ({ workloads: w }));
const kubeDns = fc.constant({ entity: "kube-dns" as const });
const clusterEntity = fc.constant({ entity: "cluster" as const });

// Only consistent named ports: "dns" is UDP, "http"/"metrics" TCP.
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

type Peer = Record<string, unknown>;
function peersFor(direction: "ingress" | "egress", layer: "admin" | "namespace" | "exception"): fc.Arbitrary<Peer[]> {
  const options: fc.Arbitrary<Peer>[] = [wlPeer, wlPeer, kubeDns, clusterEntity];
  if (layer === "namespace") options.push(cidrPeer, fc.constant({ entity: "world" }));
  else if (layer === "admin" && direction === "egress") options.push(cidrPeer);
  return fc.array(fc.oneof(...options), { minLength: 1, maxLength: 2 });
}

const scope = fc.option(fc.oneof(fc.constant({ regions: ["eu"] }), fc.constant({ clusters: ["k-us"] })), { nil: undefined });

/** An egress rule to internet hosts through the egress gateway. */
const viaRule = fc.record({
  direction: fc.constant("egress" as const),
  peers: fc.constant([{ dns: "api.example.com" }]),
  ports,
  via: fc.constant("egress-gw"),
});

function numberedPortsWithCidrs<R extends { peers: Peer[]; ports?: { port: number | string }[] | undefined }>(r: R): R {
  if (!r.ports || !r.peers.some((p) => "cidr" in p)) return r;
  const numbered = r.ports.filter((p) => typeof p.port === "number");
  return { ...r, ports: numbered.length > 0 ? numbered : undefined };
}

function adminRule(actions: ("allow" | "deny" | "pass")[]) {
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .constantFrom("ingress" as const, "egress" as const)
        .chain((direction) =>
          fc
            .record({ direction: fc.constant(direction), action: fc.constantFrom(...actions), peers: peersFor(direction, "admin"), ports })
            .map(numberedPortsWithCidrs),
        ),
    },
    { weight: 1, arbitrary: viaRule.map((r) => ({ ...r, action: "allow" as const })) },
  );
}

const adminPolicy = (i: number) =>
  fc
    .record({
      tier: fc.constantFrom("global", "regional", "cluster"),
      priority: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
      subject: workloads,
      rules: fc.array(adminRule(["allow", "deny", "pass"]), { minLength: 1, maxLength: 3 }),
      scope,
    })
    .map((s) => ({
      apiVersion: "policyplane.io/v1",
      kind: "Policy",
      metadata: { name: `admin-${i}` },
      spec: {
        tier: s.tier,
        ...(s.priority !== undefined ? { priority: s.priority } : {}),
        ...(s.scope ? { scope: s.scope } : {}),
        subject: s.subject,
        rules: s.rules.map(clean),
      },
    }));

const baselinePolicy = (i: number) =>
  fc.record({ subject: workloads, rules: fc.array(adminRule(["allow", "deny"]), { minLength: 1, maxLength: 2 }) }).map((s) => ({
    apiVersion: "policyplane.io/v1",
    kind: "Policy",
    metadata: { name: `baseline-${i}` },
    spec: { tier: "baseline", subject: s.subject, rules: s.rules.map(clean) },
  }));

const namespacePolicy = (i: number) =>
  fc
    .record({
      tenant: fc.constantFrom("t1", "t2"),
      subject: fc.oneof(
        fc.constant({}),
        fc.subarray([...NS], { minLength: 1 }).map((namespaces) => ({ namespaces })),
      ),
      podSelector,
      isolate: fc.option(fc.subarray(["ingress", "egress"] as const), { nil: undefined }),
      rules: fc.array(
        fc.oneof(
          {
            weight: 6,
            arbitrary: fc
              .constantFrom("ingress" as const, "egress" as const)
              .chain((direction) => fc.record({ direction: fc.constant(direction), peers: peersFor(direction, "namespace"), ports })),
          },
          { weight: 1, arbitrary: viaRule },
        ),
        { maxLength: 3 },
      ),
    })
    .map((s) => ({
      apiVersion: "policyplane.io/v1",
      kind: "Policy",
      metadata: { name: `ns-${i}`, tenant: s.tenant },
      spec: {
        tier: "namespace",
        subject: { ...s.subject, ...(s.podSelector ? { podSelector: s.podSelector } : {}) },
        rules: s.rules.map(clean),
        ...(s.isolate ? { isolate: s.isolate } : {}),
      },
    }));

const constraint = (i: number) =>
  fc.constantFrom("ingress" as const, "egress" as const).chain((direction) =>
    fc.record({ subject: workloads, peers: peersFor(direction, "exception"), ports }).map((s) => ({
      apiVersion: "policyplane.io/v1",
      kind: "ComplianceConstraint",
      metadata: { name: `constraint-${i}` },
      spec: { subject: s.subject, direction, peers: s.peers, ...(s.ports ? { ports: s.ports } : {}), rationale: "generated" },
    })),
  );

const exception = (i: number) =>
  fc.constantFrom("ingress" as const, "egress" as const).chain((direction) =>
    fc
      .record({
        subject: workloads,
        peers: peersFor(direction, "exception"),
        ports: fc.array(fc.constantFrom({ port: 80 }, { port: "http" }, { port: 53, protocol: "UDP" }), { minLength: 1, maxLength: 2 }),
        window: fc.constantFrom("active", "expired", "not-started", "starts-now", "expires-now"),
      })
      .map((s) => ({
        apiVersion: "policyplane.io/v1",
        kind: "Exception",
        metadata: { name: `exception-${i}` },
        spec: {
          subject: s.subject,
          direction,
          peers: s.peers,
          ports: s.ports,
          justification: "generated for the property test",
          ...WINDOWS[s.window],
        },
      })),
  );

/** Exception windows around T, to the millisecond: a window counts iff startsAt <= T < expiresAt. */
const WINDOWS = {
  active: { startsAt: "2026-05-01T00:00:00Z", expiresAt: "2027-01-01T00:00:00Z" },
  expired: { expiresAt: "2026-01-01T00:00:00Z" },
  "not-started": { startsAt: "2026-06-01T00:00:00.001Z", expiresAt: "2027-01-01T00:00:00Z" },
  "starts-now": { startsAt: T, expiresAt: "2026-06-01T00:00:00.001Z" },
  "expires-now": { startsAt: "2026-05-31T23:59:59.999Z", expiresAt: T },
} as const;

const platformDefaultArb: fc.Arbitrary<PlatformDefault> = fc.oneof(
  fc.constant(PLATFORM_DEFAULT_OFF),
  fc.subarray([...NS, "kube-system", "istio-system"]).map((excludeNamespaces) => ({ enabled: true, excludeNamespaces })),
);

function clean<T extends { ports?: unknown }>(r: T): T {
  if (r.ports === undefined) delete r.ports;
  return r;
}

function documentsArb(target: CompileTarget): fc.Arbitrary<PolicyplaneDocument[]> {
  const indexed = <T>(f: (i: number) => fc.Arbitrary<T>, max: number) =>
    fc.integer({ min: 0, max }).chain((n) => (n === 0 ? fc.constant([] as T[]) : fc.tuple(...Array.from({ length: n }, (_, i) => f(i)))));
  return fc
    .tuple(
      indexed(adminPolicy, 5),
      indexed(namespacePolicy, 3),
      indexed(baselinePolicy, target === "anp" ? 1 : 2),
      indexed(constraint, 1),
      indexed(exception, 2),
    )
    .map((groups) => groups.flat().map((d) => policyplaneDocument.parse(d)));
}

function endpoint(s: string): FlowEndpoint {
  if (s.includes("/")) {
    const [namespace, name] = s.split("/") as [string, string];
    return { kind: "pod", namespace, name };
  }
  return { kind: "ip", ip: s };
}

const flowsArb = (w: World) =>
  fc.array(
    fc.record({
      src: fc.constantFrom(...w.pods, EXTERNAL_IPS[0]!),
      dst: fc.constantFrom(...w.pods, ...EXTERNAL_IPS),
      port: fc.constantFrom(80, 53, 9090, 443, 8080),
      protocol: fc.constantFrom("TCP" as const, "UDP" as const),
    }),
    { minLength: 20, maxLength: 40 },
  );

/** Evaluate flows on both sides; returns the first disagreement (or null). */
export function disagreement(
  world: World,
  docs: PolicyplaneDocument[],
  flows: { src: string; dst: string; port: number; protocol: "TCP" | "UDP" }[],
  target: CompileTarget,
  platformDefault: PlatformDefault = PLATFORM_DEFAULT_OFF,
  compile = compileLowered,
) {
  const lowered = lowerDocuments(inMemoryDocuments(docs), world.cluster);
  const compiled = compile(lowered, world.cluster, { target, now: T, platformDefault });
  expect(compiled.errors.map((e) => e.message)).toEqual([]);
  const back = readManifestSources([{ file: "compiled.yaml", text: toYaml(compiled.objects) }]);
  expect(back.errors.map((e) => e.message)).toEqual([]);
  const verified = verifyCompiled(compiled, { target, platformDefault, time: T });
  if (verified.disagreements.length > 0) return verified.disagreements[0];
  const viaDocs = createEvaluator(world.cluster.model, lowered.policies, { secureByDefault: platformDefault });
  const viaK8s = createEvaluator(world.cluster.model, back.policies);
  const inexact = inexactRules(compiled);
  for (const f of flows) {
    const flow: Flow = { src: endpoint(f.src), dst: endpoint(f.dst), port: f.port, protocol: f.protocol, time: T };
    const a = viaDocs.decide(flow);
    const b = viaK8s.decide(flow);
    if (!a.ok || !b.ok) throw new Error(`flow error: ${JSON.stringify(f)}`);
    // What the target cannot express (the same classification as compile --verify) is reported there, not an error.
    if (a.value.verdict !== b.value.verdict && !notExpressibleBecause(a.value, b.value, !f.src.includes("/"), inexact))
      return { flow: f, documents: a.value.verdict, compiled: b.value.verdict };
  }
  return null;
}

describe("compiled Kubernetes objects decide like the Policyplane documents", () => {
  for (const target of ["anp", "cnp-v1alpha2"] as const) {
    it(`gives the same verdict for random clusters, documents and flows (target ${target})`, () => {
      const scenario = clusterArb.chain((world) => fc.tuple(fc.constant(world), documentsArb(target), flowsArb(world), platformDefaultArb));
      fc.assert(
        fc.property(scenario, ([world, docs, flows, platformDefault]) => {
          expect(disagreement(world, docs, flows, target, platformDefault)).toBeNull();
        }),
        { numRuns: 200, seed: 424242 + (target === "anp" ? 0 : 1) },
      );
      // 200 compiles, validations and evaluations take ~5 s alone and much longer on a busy 2-core machine.
    }, 60_000);
  }
});

describe("shrunk counterexamples of the property, kept as golden cases", () => {
  const dir = fileURLToPath(new URL("./__fixtures__/property/", import.meta.url));
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".json"))) {
    it(`${file.replace(/\.json$/, "")}: no disagreement, and what the target cannot say is reported as not expressible`, () => {
      const c = JSON.parse(readFileSync(join(dir, file), "utf8")) as {
        target: CompileTarget;
        platformDefault: PlatformDefault;
        cluster: TargetCluster;
        documents: unknown[];
        flows: Parameters<typeof disagreement>[2];
        notExpressible?: string[];
      };
      const docs = c.documents.map((d) => policyplaneDocument.parse(d));
      const world: World = { cluster: c.cluster, pods: c.cluster.model.pods.map((p) => `${p.namespace}/${p.name}`) };
      expect(disagreement(world, docs, c.flows, c.target, c.platformDefault)).toBeNull();
      const compiled = compileLowered(lowerDocuments(inMemoryDocuments(docs), c.cluster), c.cluster, {
        target: c.target,
        now: T,
        platformDefault: c.platformDefault,
      });
      const reported = verifyCompiled(compiled, { target: c.target, platformDefault: c.platformDefault, time: T }).notExpressible.map((f) =>
        formatVerifyFinding(f).replace(/ not expressible: .*$/, ""),
      );
      for (const line of c.notExpressible ?? []) expect(reported).toContain(line);
    });
  }
});
