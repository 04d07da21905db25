import { describe, expect, it } from "vitest";
import { createEvaluator } from "@/server/policy/eval/evaluator";
import { builtinTemplatesDir, readDocumentPaths } from "./fs";
import { lowerDocuments } from "./lower";
import { instantiateTemplate } from "./template";
import { demoCluster } from "./__tests__/demo-cluster";
import { TEMPLATE_VALUES } from "./__tests__/template-values";

const builtin = readDocumentPaths([builtinTemplatesDir()]);
const template = (name: string) => {
  const t = builtin.templates.find((x) => x.document.metadata.name === name);
  if (!t) throw new Error(`no template ${name}`);
  return t;
};

describe("templates", () => {
  it("ships the six built-in templates, all valid", () => {
    expect(builtin.errors).toEqual([]);
    expect(builtin.templates.map((t) => t.document.metadata.name).sort()).toEqual([
      "dns-to-kube-dns",
      "egress-to-critical-service",
      "ingress-from-ingress-controller",
      "internet-egress-via-gateway",
      "namespace-default-deny",
      "tenant-east-west-isolation",
    ]);
  });

  it("instantiates every built-in template into a valid Policy", () => {
    const values = TEMPLATE_VALUES;
    for (const t of builtin.templates) {
      const r = instantiateTemplate(t, values[t.document.metadata.name]!);
      expect(r.errors.map((e) => e.message)).toEqual([]);
      expect(r.document?.document.kind).toBe("Policy");
    }
    const via = instantiateTemplate(template("internet-egress-via-gateway"), values["internet-egress-via-gateway"]!).document!.document;
    expect(via.spec.rules[0]).toMatchObject({
      peers: [{ dns: "api.stripe.com" }, { dns: "*.adyen.com" }],
      ports: [{ port: 443, protocol: "TCP" }],
      via: "pci-egress",
    });
    expect(via.metadata.name).toBe("psp-adapter-internet-egress");
  });

  it("rejects an unknown template parameter", () => {
    const r = instantiateTemplate(template("dns-to-kube-dns"), { tenant: "checkout", namespace: "checkout", nmespace: "x" });
    expect(r.document).toBeNull();
    expect(r.errors.map((e) => e.detail)).toEqual([
      'unknown parameter "nmespace" for template dns-to-kube-dns; expected one of tenant, namespace',
    ]);
    expect(r.errors[0]!.file).toMatch(/dns-to-kube-dns\.yaml$/);
  });

  it("rejects a missing required parameter and a value of the wrong type", () => {
    const r = instantiateTemplate(template("ingress-from-ingress-controller"), { tenant: "checkout", namespace: "checkout", port: "http" });
    expect(r.errors.map((e) => e.detail)).toEqual([
      'parameter port of template ingress-from-ingress-controller expects a integer, got "http"',
      "parameter app of template ingress-from-ingress-controller is required (Value of the application's app label)",
    ]);
  });

  it("points the errors of the produced policy into the template body", () => {
    const r = instantiateTemplate(template("ingress-from-ingress-controller"), {
      tenant: "checkout",
      namespace: "checkout",
      app: "web",
      port: 70000,
    });
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.path).toBe("spec.policy.spec.rules[0].ports[0].port");
    expect(r.errors[0]!.line).toBeGreaterThan(0);
    expect(r.errors[0]!.detail).toMatch(/^must be between 1 and 65535/);
  });

  it("a namespace default deny denies what nothing else allows, and DNS to kube-dns is allowed once added", () => {
    const cluster = demoCluster("prod-eu-1");
    const deny = instantiateTemplate(template("namespace-default-deny"), { tenant: "checkout", namespace: "checkout" }).document!;
    const dns = instantiateTemplate(template("dns-to-kube-dns"), { tenant: "checkout", namespace: "checkout" }).document!;
    const flow = {
      src: { kind: "pod" as const, namespace: "checkout", name: "cart-0" },
      dst: { kind: "pod" as const, namespace: "kube-system", name: "coredns-0" },
      port: 53,
      protocol: "UDP" as const,
    };
    const onlyDeny = createEvaluator(cluster.model, lowerDocuments([deny], cluster).policies);
    expect(onlyDeny.decide(flow)).toMatchObject({ ok: true, value: { verdict: "deny" } });
    const both = createEvaluator(cluster.model, lowerDocuments([deny, dns], cluster).policies);
    expect(both.decide(flow)).toMatchObject({ ok: true, value: { verdict: "allow" } });
    expect(both.decide({ ...flow, port: 80, protocol: "TCP" })).toMatchObject({ ok: true, value: { verdict: "deny" } });
  });
});
