import { describe, expect, it } from "vitest";
import { createEvaluator } from "@/server/policy/eval/evaluator";
import type { Flow } from "@/server/policy/model";
import { lowerDocuments } from "./lower";
import { inMemoryDocuments, readDocumentSources } from "./read";
import { policyplaneDocument, type PolicyplaneDocument } from "./schema";
import { demoCluster, demoDocuments } from "./__tests__/demo-cluster";

const pod = (ref: string) => {
  const [namespace, name] = ref.split("/") as [string, string];
  return { kind: "pod" as const, namespace, name };
};
const flow = (src: string, dst: string, port: number, protocol: Flow["protocol"] = "TCP", time?: string): Flow => ({
  src: src.includes("/") ? pod(src) : src.includes(".") && /[a-z]/.test(src) ? { kind: "dns", name: src } : { kind: "ip", ip: src },
  dst: dst.includes("/") ? pod(dst) : /[a-z]/.test(dst) ? { kind: "dns", name: dst } : { kind: "ip", ip: dst },
  port,
  protocol,
  ...(time ? { time } : {}),
});

function evaluatorFor(clusterName: string, extra: PolicyplaneDocument[] = []) {
  const cluster = demoCluster(clusterName);
  const lowered = lowerDocuments([...demoDocuments(), ...inMemoryDocuments(extra)], cluster);
  // Plain default (allow when nothing decides): the demo's platform namespaces (kube-system,
  // ingress-nginx, istio-system) have no policies, and the tenants' default deny is the baseline policy.
  return { lowered, ev: createEvaluator(cluster.model, lowered.policies) };
}

function verdict(ev: ReturnType<typeof createEvaluator>, f: Flow): string {
  const d = ev.decide(f);
  if (!d.ok) throw d.error;
  return d.value.verdict;
}

const doc = (d: unknown) => policyplaneDocument.parse(d);

describe("lowering Policyplane documents to the IR", () => {
  it("applies the demo shop's intent in decision order", () => {
    const { ev } = evaluatorFor("prod-eu-1");
    expect(verdict(ev, flow("checkout/checkout-api-0", "payments/payments-api-0", 8080))).toBe("allow"); // namespace tier, both sides
    expect(verdict(ev, flow("checkout/checkout-web-0", "payments/payments-api-0", 8080))).toBe("deny"); // baseline deny
    expect(verdict(ev, flow("monitoring/prometheus-0", "payments/ledger-0", 9102))).toBe("allow"); // global scrape rule
    expect(verdict(ev, flow("checkout/cart-0", "kube-system/coredns-0", 53, "UDP"))).toBe("allow"); // global DNS
    expect(verdict(ev, flow("payments/ledger-0", "169.254.169.254", 80))).toBe("deny"); // constraint
    expect(verdict(ev, flow("catalog/catalog-api-0", "catalog/catalog-db-0", 5432))).toBe("deny"); // data tier passes; no namespace allow
    expect(verdict(ev, flow("catalog/product-service-0", "catalog/catalog-db-0", 5432))).toBe("allow");
  });

  it("routes a via rule to the egress gateway; direct traffic stays denied by the constraint", () => {
    const { ev, lowered } = evaluatorFor("prod-eu-1");
    expect(verdict(ev, flow("payments/psp-adapter-0", "istio-system/pci-egress-0", 443))).toBe("allow");
    const direct = ev.decide(flow("payments/psp-adapter-0", "api.stripe.com", 443));
    expect(direct.ok && direct.value.verdict).toBe("deny");
    expect(direct.ok && direct.value.flow?.policy?.name).toBe("pci-egress-through-gateway");
    expect(lowered.egressRoutes).toHaveLength(1);
    expect(lowered.egressRoutes[0]).toMatchObject({
      gateway: "pci-egress",
      gatewayRef: { namespace: "istio-system", selector: { app: "pci-egress" } },
      namespaces: ["payments"],
      peers: [
        { kind: "dns", pattern: "api.stripe.com" },
        { kind: "dns", pattern: "*.adyen.com" },
      ],
    });
  });

  it("selects a tenant's namespaces by the tenant label and splits namespace-tier policies per namespace", () => {
    const { lowered } = evaluatorFor("prod-eu-1");
    const ids = lowered.policies.policies.map((p) => p.id);
    expect(ids).toContain("Policy/observability@logging");
    expect(ids).toContain("Policy/observability@monitoring");
    const residency = lowered.policies.policies.find((p) => p.id === "Policy/eu-data-residency")!;
    expect(residency.subject.namespaces).toEqual({
      kind: "selector",
      selector: { matchLabels: { tenant: "data-platform" }, matchExpressions: [] },
    });
  });

  it("leaves out policies scoped to other regions and clusters", () => {
    const eu = evaluatorFor("prod-eu-1").lowered;
    const us = evaluatorFor("prod-us-1").lowered;
    const staging = evaluatorFor("staging-eu-1").lowered;
    expect(eu.outOfScope).toEqual(["Policy/staging-corporate-access"]);
    expect(us.outOfScope).toEqual(["Policy/eu-data-residency", "Policy/staging-corporate-access"]);
    expect(staging.outOfScope).toEqual([]);
    expect(verdict(evaluatorFor("staging-eu-1").ev, flow("172.16.0.9", "catalog/catalog-api-0", 8080))).toBe("allow");
    expect(verdict(evaluatorFor("prod-eu-1").ev, flow("172.16.0.9", "catalog/catalog-api-0", 8080))).toBe("deny");
  });

  it("resolves a service peer to its pods and target ports", () => {
    const svc = doc({
      apiVersion: "policyplane.io/v1",
      kind: "Policy",
      metadata: { name: "web-to-payments", tenant: "checkout" },
      spec: {
        tier: "namespace",
        subject: { namespaces: ["checkout"], podSelector: { matchLabels: { app: "checkout-web" } } },
        rules: [{ direction: "egress", peers: [{ service: "payments/payments-api" }], ports: [{ port: 8080 }] }],
      },
    });
    const { lowered } = evaluatorFor("prod-eu-1", [svc]);
    const p = lowered.policies.policies.find((x) => x.id === "Policy/web-to-payments@checkout")!;
    expect(p.rules).toEqual([
      expect.objectContaining({
        peers: [
          {
            kind: "workloads",
            selector: {
              namespaces: { kind: "names", names: ["payments"] },
              pods: { matchLabels: { app: "payments-api" }, matchExpressions: [] },
            },
          },
        ],
        ports: [{ kind: "named", protocol: "TCP", name: "http" }],
      }),
    ]);
    const missing = doc({
      ...svc,
      metadata: { name: "to-nowhere", tenant: "checkout" },
      spec: { ...svc.spec, rules: [{ direction: "egress", peers: [{ service: "payments/nope" }] }] },
    });
    expect(evaluatorFor("prod-eu-1", [missing]).lowered.warnings.map((w) => w.detail)).toContain(
      "service payments/nope is not in cluster prod-eu-1; this peer matches nothing there",
    );
  });

  it("counts an exception until it expires, judged at the flow's time", () => {
    const exc = doc({
      apiVersion: "policyplane.io/v1",
      kind: "Exception",
      metadata: { name: "web-debug" },
      spec: {
        subject: { namespaces: ["checkout"], podSelector: { matchLabels: { app: "checkout-web" } } },
        direction: "egress",
        peers: [{ workloads: { namespaces: ["payments"], podSelector: { matchLabels: { app: "payments-api" } } } }],
        ports: [{ port: 8080 }],
        justification: "incident 42 debugging",
        expiresAt: "2026-12-01T00:00:00Z",
      },
    });
    const { ev } = evaluatorFor("prod-eu-1", [exc]);
    expect(verdict(ev, flow("checkout/checkout-web-0", "payments/payments-api-0", 8080, "TCP", "2026-11-30T23:59:59Z"))).toBe("allow");
    expect(verdict(ev, flow("checkout/checkout-web-0", "payments/payments-api-0", 8080, "TCP", "2026-12-01T00:00:00Z"))).toBe("deny");
  });

  it("lets a compliance constraint override an exception", () => {
    const exc = doc({
      apiVersion: "policyplane.io/v1",
      kind: "Exception",
      metadata: { name: "metadata-please" },
      spec: {
        subject: {},
        direction: "egress",
        peers: [{ cidr: "169.254.169.254/32" }],
        ports: [{ port: 80 }],
        justification: "needs instance credentials",
        expiresAt: "2099-01-01T00:00:00Z",
      },
    });
    expect(verdict(evaluatorFor("prod-eu-1", [exc]).ev, flow("payments/ledger-0", "169.254.169.254", 80))).toBe("deny");
  });

  it("carries the document name, version and rule position in rule references", () => {
    const text =
      "apiVersion: policyplane.io/v1\nkind: Policy\nmetadata: {name: g}\nspec:\n  tier: global\n  subject: {}\n  rules:\n    - name: r\n      direction: egress\n      action: deny\n      peers: [{cidr: 10.0.0.0/8}]\n";
    const read = readDocumentSources([{ file: "g.yaml", text }]);
    const lowered = lowerDocuments(
      read.documents.map((d) => ({ ...d, version: "7" })),
      demoCluster("prod-eu-1"),
    );
    expect(lowered.policies.policies[0]!.rules[0]!.ref).toMatchObject({
      kind: "Policy",
      name: "g",
      version: "7",
      file: "g.yaml",
      line: 8,
      column: 7,
      ruleIndex: 0,
      ruleName: "r",
      direction: "egress",
    });
  });
});
