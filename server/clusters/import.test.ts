// Import round trip: each upstream netpol e2e case's NetworkPolicies, imported as
// Policyplane policies, decide every flow of the fixture cluster as the originals
// do: through the platform's decision order over the imported documents, and
// through the objects those documents compile to (read back with plain
// Kubernetes semantics, as the cluster would enforce them).
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments, stringify } from "yaml";
import type { ObservedObject } from "@/db/schema/clusters";
import { compileDocuments, toYaml } from "@/server/policy/compile/compile";
import { inMemoryDocuments } from "@/server/policy/documents/read";
import { lowerDocuments, TENANT_LABEL } from "@/server/policy/documents/lower";
import { createEvaluator, type Evaluator } from "@/server/policy/eval/evaluator";
import type { ClusterModel } from "@/server/policy/model";
import { readManifestSources } from "@/server/policy/read/manifests";
import { simulate } from "@/server/policy/__tests__/harness";
import { importAdminNetworkPolicy, importNetworkPolicy, importObserved } from "./import";

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
    expect(r.notImported).toEqual([{ object: "AdminNetworkPolicy a", reason: expect.stringMatching(/^spec\.(priority|subject)/) }]);
  });
});

describe("import of a cluster's AdminNetworkPolicies and BaselineAdminNetworkPolicy", () => {
  const ANP_FIXTURES = new URL("../policy/__fixtures__/anp/", import.meta.url);
  const base = readFileSync(new URL("conformance-base-manifests.yaml", ANP_FIXTURES), "utf8");
  const model = readManifestSources([{ file: "base.yaml", text: base }]).cluster;
  for (const n of model.namespaces) n.labels = { ...n.labels, [TENANT_LABEL]: n.name };
  const pods = createEvaluator(model, { policies: [] }).podEntries.map((e) => `${e.pod.namespace}/${e.pod.name}`);
  const probes = ["80/TCP", "8080/TCP", "53/UDP", "5353/UDP", "9003/SCTP", "9005/SCTP", "443/TCP"];
  const flows = probes.flatMap((probe) => {
    const [port, protocol] = probe.split("/");
    const to = (dsts: string[]) => (src: string) =>
      dsts.filter((d) => d !== src).map((dst) => ({ src, dst, port: Number(port), protocol: protocol! }));
    return [...pods.flatMap(to(pods)), ...pods.flatMap(to(["198.51.100.7", "2001:db8::7"]))];
  });
  const decide = (ev: Evaluator) =>
    simulate(ev, flows).map(
      (r, i) => `${flows[i]!.src} -> ${flows[i]!.dst} ${flows[i]!.port}/${flows[i]!.protocol} ${"verdict" in r ? r.verdict : r.error}`,
    );
  /** Files whose objects have no exact Policyplane form, and why. */
  const NOT_IMPORTABLE: Record<string, RegExp> = {
    "anp-experimental-egress-nodes-networks.yaml": /to\[\d\]: a nodes peer \(nodes by their labels\) has no Policyplane form/,
    // The published docs examples use an older peer shape the v1alpha1 CRD refuses.
    "docs-user-story-1-anp-deny.yaml": /namespaces/,
    "docs-user-story-5-banp-default-deny.yaml": /namespaces/,
  };
  const files = readdirSync(ANP_FIXTURES).filter((f) => f.endsWith(".yaml") && f !== "conformance-base-manifests.yaml");
  const read = (file: string) => readFileSync(new URL(file, ANP_FIXTURES), "utf8");
  // Each file as shipped, and the later states its conformance test moves it to (README.md there).
  const variants: { file: string; text: string }[] = [
    ...files.map((file) => ({ file, text: read(file) })),
    {
      file: "api-integration-anp-np-banp.yaml, its ANP rules changed to Pass",
      text: read("api-integration-anp-np-banp.yaml").replace(/action: "Deny" # test will update to pass/g, 'action: "Pass"'),
    },
    {
      file: "api-integration-anp-np-banp.yaml, its ANP rules changed to Pass and the NetworkPolicy deleted",
      text: read("api-integration-anp-np-banp.yaml")
        .replace(/action: "Deny" # test will update to pass/g, 'action: "Pass"')
        .split(/^---$/m)
        .filter((doc) => !/kind: NetworkPolicy\b/.test(doc))
        .join("---"),
    },
    {
      file: "anp-standard-priority-field.yaml, the Pass at priority 40",
      text: read("anp-standard-priority-field.yaml").replace(/priority: 60 #.*/, "priority: 40"),
    },
  ];
  /** Cases where every flow is allowed: a Pass alone, and a Pass that outranks the Deny above a baseline Allow. */
  const ALL_ALLOWED = ["docs-user-story-3-anp-pass.yaml", "anp-standard-priority-field.yaml, the Pass at priority 40"];

  it("covers the conformance and docs fixtures", () => expect(files.length).toBeGreaterThanOrEqual(11));

  for (const { file, text } of variants) {
    it(`round trip over every pod pair: ${file}`, () => {
      const originals = parseAllDocuments(text)
        .map((d) => d.toJSON() as ObservedObject)
        .filter((o) => o && /NetworkPolicy$/.test(o.kind));
      const { documents, notImported } = importObserved(originals, (ns) => ns, { cluster: "fixture" });
      const refused = NOT_IMPORTABLE[file];
      if (refused) {
        expect(notImported.length).toBeGreaterThan(0);
        for (const n of notImported) expect(n.reason).toMatch(refused);
        return;
      }
      expect(notImported).toEqual([]);
      expect(documents).toHaveLength(originals.length);
      const admin = documents.filter((d) => d.spec.tier !== "namespace");
      expect(admin.length).toBeGreaterThan(0);
      for (const d of admin) expect(d.spec.scope).toEqual({ clusters: ["fixture"] });
      const expected = decide(createEvaluator(model, readManifestSources([{ file, text }]).policies));
      // The case is no trivial one: some flows are allowed and some denied (unless it is one where all are).
      expect(new Set(expected.map((l) => l.split(" ").at(-1))).size).toBe(ALL_ALLOWED.includes(file) ? 1 : 2);
      const located = inMemoryDocuments(documents);
      const cluster = { name: "fixture", model };
      expect(decide(createEvaluator(model, lowerDocuments(located, cluster).policies))).toEqual(expected);
      const compiled = compileDocuments(located, cluster, { target: "anp", release: "import" });
      expect(compiled.errors).toEqual([]);
      const enforced = readManifestSources([{ file: "compiled.yaml", text: toYaml(compiled.objects) }]).policies;
      expect(decide(createEvaluator(model, enforced))).toEqual(expected);
    });
  }

  it("keeps a rule's order, action, peers and ports, and names what it cannot express", () => {
    const anp = {
      apiVersion: "policy.networking.k8s.io/v1alpha1",
      kind: "AdminNetworkPolicy",
      metadata: { name: "guard" },
      spec: {
        priority: 7,
        subject: { pods: { namespaceSelector: { matchLabels: { env: "prod" } }, podSelector: { matchLabels: { app: "api" } } } },
        egress: [
          {
            name: "dns",
            action: "Pass",
            to: [{ namespaces: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } } }],
            ports: [{ portNumber: { protocol: "UDP", port: 53 } }],
          },
          {
            name: "no-metadata",
            action: "Deny",
            to: [{ networks: ["169.254.169.254/32"] }],
            ports: [{ portRange: { start: 1, end: 1024 } }],
          },
        ],
      },
    } as ObservedObject;
    const doc = importAdminNetworkPolicy(anp, "prod-eu-1");
    expect(doc).toMatchObject({
      metadata: { name: "anp-guard" },
      spec: {
        tier: "cluster",
        priority: 7,
        scope: { clusters: ["prod-eu-1"] },
        subject: { namespaceSelector: { matchLabels: { env: "prod" } }, podSelector: { matchLabels: { app: "api" } } },
        rules: [
          { name: "dns", direction: "egress", action: "pass", ports: [{ port: 53, protocol: "UDP" }] },
          {
            name: "no-metadata",
            direction: "egress",
            action: "deny",
            peers: [{ cidr: "169.254.169.254/32" }],
            ports: [{ port: 1, endPort: 1024, protocol: "TCP" }],
          },
        ],
      },
    });
    const named = {
      ...anp,
      spec: { ...(anp.spec as object), ingress: [{ action: "Allow", from: [{ namespaces: {} }], ports: [{ namedPort: "web" }] }] },
    };
    expect(importAdminNetworkPolicy(named as ObservedObject, null)).toEqual({
      object: "AdminNetworkPolicy guard",
      reason: expect.stringMatching(
        /^spec\.ingress\[0\]\.ports\[0\]: namedPort "web" matches the container port of that name under any protocol/,
      ),
    });
    const cilium = {
      apiVersion: "cilium.io/v2",
      kind: "CiliumNetworkPolicy",
      metadata: { name: "c", namespace: "x" },
      spec: {},
    } as ObservedObject;
    expect(importObserved([cilium], () => "t").notImported).toEqual([
      { object: "CiliumNetworkPolicy x/c", reason: expect.stringContaining("needs exactly one of endpointSelector, nodeSelector") },
    ]);
  });
});

describe("import of a cluster's CiliumNetworkPolicies", () => {
  const CILIUM = new URL("../policy/__fixtures__/cilium/", import.meta.url);
  const read = (file: string) => readFileSync(new URL(file, CILIUM), "utf8");
  // The Star Wars demo, and a second namespace with a pod that declares a named port.
  const inventory = `${read("starwars-http-sw-app.yaml")}
---
apiVersion: v1
kind: Namespace
metadata: {name: rebels, labels: {side: light}}
---
apiVersion: v1
kind: Pod
metadata: {name: falcon, namespace: rebels, labels: {org: alliance, class: freighter}}
spec: {containers: [{name: c, image: i, ports: [{containerPort: 8443, name: hyperdrive}]}]}
status: {podIP: 10.0.9.9}
`;
  const model = readManifestSources([{ file: "starwars.yaml", text: inventory }]).cluster;
  for (const n of model.namespaces) n.labels = { ...n.labels, [TENANT_LABEL]: n.name };
  const pods = createEvaluator(model, { policies: [] }).podEntries.map((e) => `${e.pod.namespace}/${e.pod.name}`);
  const flows = ["80/TCP", "80/UDP", "443/TCP", "8443/TCP", "53/UDP"].flatMap((probe) => {
    const [port, protocol] = probe.split("/");
    const to = (dsts: string[]) => (src: string) =>
      dsts.filter((d) => d !== src).map((dst) => ({ src, dst, port: Number(port), protocol: protocol! }));
    return [...pods.flatMap(to(pods)), ...pods.flatMap(to(["198.51.100.7", "10.1.2.3"]))];
  });
  const decide = (ev: Evaluator) =>
    simulate(ev, flows).map(
      (r, i) => `${flows[i]!.src} -> ${flows[i]!.dst} ${flows[i]!.port}/${flows[i]!.protocol} ${"verdict" in r ? r.verdict : r.error}`,
    );
  const cnp = (name: string, spec: unknown, namespace = "default") =>
    stringify({ apiVersion: "cilium.io/v2", kind: "CiliumNetworkPolicy", metadata: { name, namespace }, spec });

  const importable: { name: string; text: string }[] = [
    { name: "starwars-sw-l3-l4-policy.yaml", text: read("starwars-sw-l3-l4-policy.yaml") },
    { name: "starwars-sw-deny-policy.yaml", text: read("starwars-sw-deny-policy.yaml") },
    {
      name: "egress to the deathstar on port 80 of any protocol, and to the internet but the cluster's range on 443",
      text: cnp("xwing-out", {
        endpointSelector: { matchLabels: { class: "xwing" } },
        egress: [
          {
            toEndpoints: [{ matchLabels: { "k8s:org": "empire", class: "deathstar" } }],
            toPorts: [{ ports: [{ port: "80", protocol: "ANY" }] }],
          },
          { toCIDRSet: [{ cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] }], toPorts: [{ ports: [{ port: "443", protocol: "TCP" }] }] },
        ],
      }),
    },
    {
      name: "ingress from another namespace by its labels, on a named port; an empty rule only isolates",
      text: cnp(
        "falcon-in",
        {
          endpointSelector: {},
          ingress: [
            {
              fromEndpoints: [
                { matchLabels: { "k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name": "default", org: "empire" } },
              ],
              toPorts: [{ ports: [{ port: "hyperdrive", protocol: "TCP" }] }],
            },
            {},
          ],
        },
        "rebels",
      ),
    },
    {
      name: "ingress from any peer on some ports, and from the same namespace by name",
      text: cnp("deathstar-in", {
        endpointSelector: { matchLabels: { class: "deathstar" } },
        ingress: [
          { toPorts: [{ ports: [{ port: "443" }] }] },
          { fromEndpoints: [{ matchLabels: { "k8s:io.kubernetes.pod.namespace": "rebels" } }] },
        ],
      }),
    },
  ];

  for (const { name, text } of importable) {
    it(`round trip over every pod pair: ${name}`, () => {
      const originals = parseAllDocuments(text).map((d) => d.toJSON() as ObservedObject);
      const { documents, notImported } = importObserved(originals, (ns) => ns, { cluster: "fixture" });
      expect(notImported).toEqual([]);
      expect(documents).toHaveLength(originals.length);
      const expected = decide(createEvaluator(model, readManifestSources([{ file: "cnp.yaml", text }]).policies));
      expect(new Set(expected.map((l) => l.split(" ").at(-1))).size).toBe(2);
      const located = inMemoryDocuments(documents);
      const cluster = { name: "fixture", model };
      expect(decide(createEvaluator(model, lowerDocuments(located, cluster).policies))).toEqual(expected);
      const compiled = compileDocuments(located, cluster, { target: "anp", release: "import" });
      expect(compiled.errors).toEqual([]);
      const enforced = readManifestSources([{ file: "compiled.yaml", text: toYaml(compiled.objects) }]).policies;
      expect(decide(createEvaluator(model, enforced))).toEqual(expected);
    });
  }

  it("names why the rest has no exact form, object by object", () => {
    const reasons = (text: string) =>
      importObserved(
        parseAllDocuments(text).map((d) => d.toJSON() as ObservedObject),
        (ns) => ns,
      );
    const cases: [string, RegExp][] = [
      [read("starwars-sw-l3-l4-l7-policy.yaml"), /L7 rules/],
      [
        cnp("deny", { endpointSelector: {}, ingressDeny: [{ fromEndpoints: [{ matchLabels: { class: "tiefighter" } }] }] }),
        /spec\.ingressDeny has no namespace-tier Policyplane form/,
      ],
      [read("cnp-egress-deny.yaml"), /spec\.egressDeny has no namespace-tier Policyplane form|toEntities has no Policyplane form/],
      [read("cnp-to-fqdn.yaml"), /toFQDNs has no Policyplane form/],
      [
        cnp("world", { endpointSelector: {}, egress: [{ toEntities: ["world"] }] }),
        /spec\.egress\[0\]\.toEntities has no Policyplane form/,
      ],
      [cnp("host", { endpointSelector: { matchLabels: { "reserved:host": "" } }, ingress: [{}] }), /reserved identity/],
      [
        stringify({
          apiVersion: "cilium.io/v2",
          kind: "CiliumClusterwideNetworkPolicy",
          metadata: { name: "all" },
          spec: { endpointSelector: {}, ingress: [{}] },
        }),
        /clusterwide Cilium policy isolates pods of every namespace/,
      ],
    ];
    for (const [text, reason] of cases) {
      const r = reasons(text);
      // Each object is imported whole or named as not imported (the deny demo also holds a plain default deny, which is imported).
      expect(r.documents.length + r.notImported.length).toBe(parseAllDocuments(text).length);
      expect(r.notImported.map((n) => n.reason).join("; ")).toMatch(reason);
    }
  });
});
