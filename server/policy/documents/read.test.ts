import { describe, expect, it } from "vitest";
import { readDocumentSources } from "./read";

const policy = (rules: string, tier = "namespace") => `apiVersion: policyplane.io/v1
kind: Policy
metadata:
  name: p1
  tenant: payments
spec:
  tier: ${tier}
  subject:
    namespaces: [payments]
  rules:
${rules}`;

function errorsOf(text: string, file = "p.yaml"): string[] {
  return readDocumentSources([{ file, text }]).errors.map((e) => e.message);
}

describe("Policyplane document reader", () => {
  it("reads every document of a multi-document file with its position", () => {
    const text = `${policy("    - direction: egress\n      peers: [{entity: kube-dns}]\n      ports: [{port: 53, protocol: UDP}]\n")}---
apiVersion: policyplane.io/v1
kind: ComplianceConstraint
metadata: {name: no-metadata}
spec:
  subject: {}
  direction: egress
  peers: [{cidr: 169.254.169.254/32}]
  rationale: SSRF
`;
    const r = readDocumentSources([{ file: "two.yaml", text }]);
    expect(r.errors).toEqual([]);
    expect(r.documents.map((d) => [d.document.kind, d.document.metadata.name, d.line])).toEqual([
      ["Policy", "p1", 1],
      ["ComplianceConstraint", "no-metadata", 15],
    ]);
    expect(r.documents[0]!.locate!(["spec", "rules", 0])).toEqual({ line: 11, column: 7 });
  });

  it("rejects invalid YAML", () => {
    expect(errorsOf("apiVersion: policyplane.io/v1\nkind: Policy\nmetadata: [\n")[0]).toMatch(/^p\.yaml.*invalid YAML/);
  });

  it("rejects an unknown field with its file, line, column and path", () => {
    expect(errorsOf(policy("    - direction: egress\n      peers: [{cidr: 10.0.0.0/8}]\n      prots: []\n"))).toEqual([
      'p.yaml:13:14: spec.rules[0].prots: unknown field "prots"',
    ]);
  });

  it("rejects a CIDR with a prefix longer than 32", () => {
    expect(errorsOf(policy("    - direction: egress\n      peers:\n        - cidr: 10.0.0.0/33\n"))[0]).toMatch(
      /^p\.yaml:13:11: spec\.rules\[0\]\.peers\[0\]\.cidr: "10\.0\.0\.0\/33" is not a CIDR/,
    );
  });

  it("rejects port 70000", () => {
    expect(errorsOf(policy("    - direction: egress\n      peers: [{entity: world}]\n      ports:\n        - port: 70000\n"))).toEqual([
      "p.yaml:14:11: spec.rules[0].ports[0].port: must be between 1 and 65535",
    ]);
  });

  it("rejects a wildcard that is not the whole leftmost label", () => {
    expect(errorsOf(policy("    - direction: egress\n      peers:\n        - dns: api.*.com\n"))[0]).toMatch(
      /^p\.yaml:13:11: spec\.rules\[0\]\.peers\[0\]\.dns: must be a DNS name .* \*\.stripe\.com/,
    );
  });

  it("rejects a deny rule in the namespace tier", () => {
    expect(errorsOf(policy("    - direction: egress\n      action: deny\n      peers: [{entity: world}]\n"))[0]).toMatch(
      /^p\.yaml:12:7: spec\.rules\[0\]\.action: namespace-tier rules can only allow \(got deny\)/,
    );
  });

  it("rejects an except block outside its CIDR", () => {
    expect(
      errorsOf(policy("    - direction: egress\n      peers:\n        - cidr: 10.0.0.0/16\n          except: [192.168.0.0/24]\n")),
    ).toEqual(["p.yaml:14:20: spec.rules[0].peers[0].except[0]: expected a CIDR strictly inside 10.0.0.0/16, got 192.168.0.0/24"]);
  });

  it("reports the field inside the peer form the input was meant to be", () => {
    expect(errorsOf(policy("    - direction: egress\n      peers:\n        - workloads: {tenant: x, bogus: 1}\n"))).toEqual([
      'p.yaml:13:34: spec.rules[0].peers[0].workloads.bogus: unknown field "bogus"',
    ]);
  });

  it("rejects other apiVersions and kinds, saying what was expected", () => {
    expect(errorsOf("apiVersion: v1\nkind: Policy\nmetadata: {name: x}\n")).toEqual([
      'p.yaml:1:1: apiVersion: expected apiVersion "policyplane.io/v1", got "v1"',
    ]);
    expect(errorsOf("apiVersion: policyplane.io/v1\nkind: Polcy\nmetadata: {name: x}\n")[0]).toMatch(
      /kind: expected kind Policy, ComplianceConstraint, Exception, Template, got "Polcy"/,
    );
  });

  it("rejects a second document of the same kind and name", () => {
    const one = policy("    - direction: egress\n      peers: [{entity: kube-dns}]\n");
    const r = readDocumentSources([
      { file: "a.yaml", text: one },
      { file: "b.yaml", text: one },
    ]);
    expect(r.errors.map((e) => e.message)).toEqual([
      "b.yaml:4:3: metadata.name: Policy/p1 is already defined at a.yaml:1:1; document names are unique per kind",
    ]);
    expect(r.documents).toHaveLength(1);
  });

  it("rejects a template placeholder that names no parameter", () => {
    const text =
      'apiVersion: policyplane.io/v1\nkind: Template\nmetadata: {name: t}\nspec:\n  parameters: []\n  policy:\n    metadata: {name: "{{nme}}"}\n    spec: {}\n';
    expect(errorsOf(text)[0]).toMatch(/spec\.policy\.metadata\.name: placeholder \{\{nme\}\} names no declared parameter/);
  });
});
