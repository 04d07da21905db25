import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { policyplaneDocument } from "@/server/policy/documents/schema";
import { inMemoryDocuments } from "@/server/policy/documents/read";
import { demoCluster, demoDocuments } from "@/server/policy/documents/__tests__/demo-cluster";
import { subtractCidrs } from "./cidr";
import { compileDocuments, toYaml, validateObjects, type CompiledObject } from "./compile";

const eu = demoCluster("prod-eu-1");
const compileDemo = (target: "anp" | "cnp-v1alpha2" = "anp") =>
  compileDocuments(demoDocuments(), eu, { target, release: "release-12", now: "2026-06-01T00:00:00Z" });
const find = (objs: CompiledObject[], kind: string, name: string, namespace?: string) =>
  objs.find((o) => o.object.kind === kind && o.object.metadata.name === name && o.object.metadata.namespace === namespace)?.object;

describe("compiler", () => {
  it("renders the demo shop into valid objects, one folder per cluster and namespace", () => {
    const r = compileDemo();
    expect(r.errors).toEqual([]);
    const paths = r.objects.map((o) => o.path);
    expect(paths).toContain("prod-eu-1/payments/networkpolicy-payments-api.yaml");
    expect(paths).toContain("prod-eu-1/_cluster/adminnetworkpolicy-pp-constraint-no-cloud-metadata.yaml");
    expect(paths).toContain("prod-eu-1/_cluster/baselineadminnetworkpolicy-default.yaml");
    expect(paths).toContain("prod-eu-1/istio-system/serviceentry-pp-psp-egress-0.yaml");
    // Scoped to staging only.
    expect(paths.some((p) => p.includes("staging-corporate-access"))).toBe(false);
  });

  it("labels every object as managed by policyplane and names its source, version and release", () => {
    for (const { object } of compileDemo().objects) {
      expect(object.metadata.labels).toEqual({ "app.kubernetes.io/managed-by": "policyplane" });
      expect(object.metadata.annotations["policyplane.io/source"]).toMatch(/^(Policy|ComplianceConstraint|Exception)\//);
      expect(object.metadata.annotations["policyplane.io/source-version"]).toBe("1");
      expect(object.metadata.annotations["policyplane.io/release"]).toBe("release-12");
    }
  });

  it("is deterministic: same input, byte-identical YAML, whatever the document order", () => {
    const a = toYaml(compileDemo().objects);
    const b = toYaml(compileDocuments([...demoDocuments()].reverse(), eu, { release: "release-12", now: "2026-06-01T00:00:00Z" }).objects);
    expect(a).toBe(b);
    expect(parseAllDocuments(a).length).toBe(compileDemo().objects.length);
  });

  it("puts constraints first, then the admin tiers in bands that keep their priority order", () => {
    const objs = compileDemo().objects;
    expect(find(objs, "AdminNetworkPolicy", "pp-constraint-no-cloud-metadata")?.spec.priority).toBe(0);
    const dns = find(objs, "AdminNetworkPolicy", "pp-global-global-allow-dns")!;
    const scrape = find(objs, "AdminNetworkPolicy", "pp-global-global-allow-metrics-scrape")!;
    // global-allow-dns (10) ranks first in the global band; platform-dns, -ingress-controller and -egress-gateways (11–13) come before the scrape (20).
    expect([dns.spec.priority, scrape.spec.priority]).toEqual([100, 104]);
    expect(dns.metadata.annotations["policyplane.io/priority"]).toBe("10");
  });

  it("renders a namespace-tier policy as one NetworkPolicy per namespace with explicit policyTypes", () => {
    const objs = compileDemo().objects;
    for (const ns of ["monitoring", "logging"])
      expect(find(objs, "NetworkPolicy", "observability", ns)?.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(find(objs, "NetworkPolicy", "cart-redis", "checkout")?.spec).toEqual({
      podSelector: { matchLabels: { app: "cart-redis" } },
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: ["checkout"] }] },
              podSelector: { matchLabels: { app: "cart" } },
            },
          ],
          ports: [{ protocol: "TCP", port: "redis" }],
        },
      ],
    });
  });

  it("sends DNS-name egress to Cilium toFQDNs with the DNS-visibility rule, and says so", () => {
    const r = compileDemo();
    const cnp = find(r.objects, "CiliumNetworkPolicy", "identity", "identity")!;
    expect(cnp.spec.egress).toEqual([
      { toFQDNs: [{ matchName: "api.twilio.com" }], toPorts: [{ ports: [{ port: "443", protocol: "TCP" }] }] },
      {
        toEndpoints: [{ matchLabels: { "k8s:io.kubernetes.pod.namespace": "kube-system", "k8s:k8s-app": "kube-dns" } }],
        toPorts: [{ ports: [{ port: "53", protocol: "ANY" }], rules: { dns: [{ matchPattern: "*" }] } }],
      },
    ]);
    expect(r.warnings.map((w) => w.message)).toContain(
      "Policy/identity: DNS-name peers need Cilium: CiliumNetworkPolicy identity/identity uses toFQDNs and also allows DNS (port 53) to kube-dns so Cilium's DNS proxy can learn the addresses",
    );
  });

  it("reports what AdminNetworkPolicy cannot express instead of dropping it", () => {
    const r = compileDemo();
    const ccnp = find(r.objects, "CiliumClusterwideNetworkPolicy", "pp-constraint-pci-egress-through-gateway")!;
    expect(ccnp.spec).toEqual({
      endpointSelector: { matchLabels: { "k8s:io.cilium.k8s.namespace.labels.pci": "true" } },
      enableDefaultDeny: { ingress: false, egress: false },
      egressDeny: [{ toEntities: ["world"] }],
    });
    expect(r.warnings.find((w) => w.message.startsWith("ComplianceConstraint/pci-egress-through-gateway"))?.message).toMatch(
      /entity world cannot be expressed in AdminNetworkPolicy; compiled to CiliumClusterwideNetworkPolicy/,
    );
    expect(
      r.warnings.some((w) =>
        w.message.startsWith("Policy/eu-data-residency: spec.rules[0]: DNS name *.us-east-1.amazonaws.com cannot be expressed"),
      ),
    ).toBe(true);
  });

  it("routes via rules through Istio: ServiceEntry, Gateway, DestinationRule, VirtualService", () => {
    const objs = compileDemo().objects.filter((o) => o.object.apiVersion === "networking.istio.io/v1");
    expect(objs.map((o) => o.object.kind)).toEqual(["ServiceEntry", "Gateway", "DestinationRule", "VirtualService"]);
    expect(find(objs, "ServiceEntry", "pp-psp-egress-0", "istio-system")?.spec).toMatchObject({
      hosts: ["*.adyen.com", "api.stripe.com"],
      resolution: "NONE",
      location: "MESH_EXTERNAL",
    });
    expect(find(objs, "Gateway", "pp-psp-egress-0", "istio-system")?.spec.selector).toEqual({ app: "pci-egress" });
  });

  it("emits ClusterNetworkPolicy v1alpha2 for the admin and baseline tiers on request", () => {
    const r = compileDemo("cnp-v1alpha2");
    expect(r.errors).toEqual([]);
    const kinds = new Set(r.objects.map((o) => o.object.kind));
    expect(kinds.has("AdminNetworkPolicy") || kinds.has("BaselineAdminNetworkPolicy")).toBe(false);
    const baseline = find(r.objects, "ClusterNetworkPolicy", "pp-baseline-baseline-default-deny")!;
    expect(baseline.spec).toMatchObject({ tier: "Baseline", priority: 0 });
    expect(find(r.objects, "ClusterNetworkPolicy", "pp-global-global-allow-dns")?.spec).toMatchObject({
      tier: "Admin",
      priority: 100,
      egress: [
        { action: "Accept", protocols: [{ udp: { destinationPort: { number: 53 } } }, { tcp: { destinationPort: { number: 53 } } }] },
      ],
    });
  });

  it("warns that a second baseline subject cannot fit the single BaselineAdminNetworkPolicy", () => {
    const extra = policyplaneDocument.parse({
      apiVersion: "policyplane.io/v1",
      kind: "Policy",
      metadata: { name: "zz-platform-baseline" },
      spec: {
        tier: "baseline",
        subject: { namespaces: ["kube-system"] },
        rules: [{ direction: "ingress", action: "deny", peers: [{ cidr: "0.0.0.0/0" }] }],
      },
    });
    const r = compileDocuments([...demoDocuments(), ...inMemoryDocuments([extra])], eu, { now: "2026-06-01T00:00:00Z" });
    expect(r.warnings.map((w) => w.detail)).toContain(
      'BaselineAdminNetworkPolicy v1alpha1 is a single object ("default") with one subject, taken from baseline-default-deny; zz-platform-baseline selects other pods and is NOT compiled (use --target cnp-v1alpha2)',
    );
  });

  it("compiles an active exception with its expiry and a mirrored allow at the peer; an expired one is left out", () => {
    const exception = (expiresAt: string) =>
      policyplaneDocument.parse({
        apiVersion: "policyplane.io/v1",
        kind: "Exception",
        metadata: { name: "web-debug" },
        spec: {
          subject: { namespaces: ["checkout"], podSelector: { matchLabels: { app: "checkout-web" } } },
          direction: "egress",
          peers: [{ workloads: { namespaces: ["payments"], podSelector: { matchLabels: { app: "payments-api" } } } }],
          ports: [{ port: 8080 }],
          justification: "incident 42 debugging",
          expiresAt,
        },
      });
    const active = compileDocuments(inMemoryDocuments([exception("2026-12-01T00:00:00Z")]), eu, { now: "2026-06-01T00:00:00Z" });
    const anp = find(active.objects, "AdminNetworkPolicy", "pp-exception-web-debug")!;
    expect(anp.spec.priority).toBe(1);
    expect(anp.metadata.annotations["policyplane.io/expires-at"]).toBe("2026-12-01T00:00:00Z");
    expect(find(active.objects, "AdminNetworkPolicy", "pp-exception-web-debug-peer-0")?.spec).toMatchObject({
      subject: { pods: { podSelector: { matchLabels: { app: "payments-api" } } } },
      ingress: [{ action: "Allow" }],
    });
    expect(active.warnings.some((w) => w.detail.startsWith("Kubernetes does not expire objects"))).toBe(true);
    const expired = compileDocuments(inMemoryDocuments([exception("2026-01-01T00:00:00Z")]), eu, { now: "2026-06-01T00:00:00Z" });
    expect(expired.objects).toEqual([]);
    expect(expired.warnings.map((w) => w.detail)).toEqual(["exception web-debug expired at 2026-01-01T00:00:00Z; not compiled"]);
  });

  it("reports two documents that render different objects under one name, naming both, instead of dropping the second", () => {
    const exception = (name: string) =>
      policyplaneDocument.parse({
        apiVersion: "policyplane.io/v1",
        kind: "Exception",
        metadata: { name },
        spec: {
          subject: { namespaces: ["checkout"], podSelector: { matchLabels: { app: "checkout-web" } } },
          direction: "egress",
          peers: [{ workloads: { namespaces: ["payments"], podSelector: { matchLabels: { app: "payments-api" } } } }],
          ports: [{ port: 8080 }],
          justification: "incident 42",
          expiresAt: "2026-12-01T00:00:00Z",
        },
      });
    // web-debug's mirrored allow at its peer is named pp-exception-web-debug-peer-0, as is web-debug-peer-0's own object.
    const docs = inMemoryDocuments([exception("web-debug"), exception("web-debug-peer-0")]).map((d, i) => ({
      ...d,
      file: `exceptions-${i}.yaml`,
      line: 3,
    }));
    const r = compileDocuments(docs, eu, { now: "2026-06-01T00:00:00Z" });
    expect(r.errors.map((e) => e.message)).toEqual([
      "prod-eu-1/_cluster/adminnetworkpolicy-pp-exception-web-debug-peer-0.yaml: metadata.name: AdminNetworkPolicy pp-exception-web-debug-peer-0 is rendered from Exception/web-debug (exceptions-0.yaml:3) and, differently, from Exception/web-debug-peer-0 (exceptions-1.yaml:3); only one object can have this name, so the second is not compiled: rename one of the documents",
    ]);
  });

  it("writes an object that several lowerings render identically once, without a problem", () => {
    const gw = policyplaneDocument.parse({
      apiVersion: "policyplane.io/v1",
      kind: "Policy",
      metadata: { name: "payments-out", tenant: "payments" },
      spec: {
        tier: "namespace",
        subject: { tenant: "payments" },
        rules: [{ direction: "egress", peers: [{ dns: "api.stripe.com" }], ports: [{ port: 443 }], via: "pci-egress" }],
      },
    });
    const r = compileDocuments(inMemoryDocuments([gw]), eu, { now: "2026-06-01T00:00:00Z" });
    expect(r.lowered.egressRoutes.length).toBeGreaterThan(1);
    expect(r.errors).toEqual([]);
    expect(r.objects.filter((o) => o.object.kind === "ServiceEntry").map((o) => o.object.metadata.name)).toEqual(["pp-payments-out-0"]);
  });

  it("validation catches an invalid rendered object", () => {
    const good = compileDemo().objects.find((o) => o.object.kind === "NetworkPolicy")!;
    const bad: CompiledObject = { ...good, object: { ...good.object, spec: { ...good.object.spec, policyTypes: ["Sideways"] } } };
    expect(validateObjects([bad]).length).toBeGreaterThan(0);
    const anp = compileDemo().objects.find((o) => o.object.kind === "AdminNetworkPolicy")!;
    expect(
      validateObjects([{ ...anp, object: { ...anp.object, spec: { ...anp.object.spec, priority: 5000 } } }]).map((e) => e.detail),
    ).toEqual(["expected at most 1000"]);
  });

  it("subtracts except blocks from a CIDR for AdminNetworkPolicy networks", () => {
    expect(subtractCidrs("10.0.0.0/16", ["10.0.1.0/24"])).toEqual([
      "10.0.0.0/24",
      "10.0.2.0/23",
      "10.0.4.0/22",
      "10.0.8.0/21",
      "10.0.16.0/20",
      "10.0.32.0/19",
      "10.0.64.0/18",
      "10.0.128.0/17",
    ]);
    expect(subtractCidrs("10.0.0.0/8", [])).toEqual(["10.0.0.0/8"]);
    expect(subtractCidrs("10.0.0.0/24", ["10.0.0.0/23"])).toEqual([]);
  });
});

describe("compiler output the upstream CRDs accept", () => {
  const doc = (ports: unknown[], peers: unknown[]) =>
    inMemoryDocuments([
      policyplaneDocument.parse({
        apiVersion: "policyplane.io/v1",
        kind: "Policy",
        metadata: { name: "g" },
        spec: { tier: "global", subject: { namespaces: ["payments"] }, rules: [{ direction: "egress", action: "allow", peers, ports }] },
      }),
    ]);

  for (const target of ["anp", "cnp-v1alpha2"] as const) {
    it(`keeps named ports away from networks peers (a CEL rule of the CRDs), target ${target}`, () => {
      const r = compileDocuments(
        doc([{ port: "https" }, { port: 8443 }], [{ cidr: "192.0.2.0/24" }, { workloads: { namespaces: ["shop"] } }]),
        eu,
        { target },
      );
      expect(r.errors.map((e) => e.message)).toEqual([]);
      const obj = r.objects.find((o) => o.object.metadata.name === "pp-global-g")!.object;
      const rules = obj.spec.egress as {
        to: Record<string, unknown>[];
        ports?: Record<string, unknown>[];
        protocols?: Record<string, unknown>[];
      }[];
      expect(rules).toHaveLength(2);
      const named = (r: (typeof rules)[number]) =>
        (r.ports ?? r.protocols ?? []).some((p) => "namedPort" in p || "destinationNamedPort" in p);
      for (const rule of rules) if (rule.to.some((p) => "networks" in p)) expect(named(rule)).toBe(false);
    });

    it(`drops networks peers whose only ports are named, and says so, target ${target}`, () => {
      const r = compileDocuments(doc([{ port: "https" }], [{ cidr: "192.0.2.0/24" }]), eu, { target });
      expect(r.errors.map((e) => e.message)).toEqual([]);
      expect(r.warnings.map((w) => w.message).join("\n")).toMatch(/named ports cannot apply to networks/);
    });
  }
});
