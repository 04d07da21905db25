import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readManifestSources } from "./manifests";

const read = (text: string) => readManifestSources([{ file: "p.yaml", text }]);
const located = (r: ReturnType<typeof read>, severity: "errors" | "warnings") =>
  r[severity].map((e) => `${e.line}:${e.column} ${e.path}: ${e.detail}`);

const cnp = (tier: string, rule: string) => `apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: c}
spec:
  tier: ${tier}
  priority: 5
  subject: {namespaces: {}}
  egress:
${rule}`;

const anp = (ports: string) => `apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: a}
spec:
  priority: 5
  subject: {namespaces: {}}
  ingress:
  - action: Allow
    from: [{namespaces: {}}]
    ports: ${ports}
`;

describe("what the upstream CRDs accept is never refused; what cannot work as written is a located warning", () => {
  it("accepts a v1alpha2 ClusterNetworkPolicy that the CRD accepts (Pass in tier Baseline, domain names with '_' and a digit in the last label)", () => {
    const r = read(cnp("Baseline", "  - {action: Pass, to: [{domainNames: [my_service.corp.example, api.internal.k8s1]}]}\n"));
    expect(r.errors).toEqual([]);
    expect(located(r, "warnings")).toEqual([
      "9:6 spec.egress[0].action: action Pass in tier Baseline has no effect: no tier comes after Baseline, so the rule is skipped (use Accept or Deny)",
    ]);
    expect(r.policies.policies).toHaveLength(1);
  });

  it("warns about a destinationNamedPort no container port can carry, and refuses nothing", () => {
    const r = read(cnp("Admin", "  - {action: Accept, to: [{pods: {podSelector: {}}}], protocols: [{destinationNamedPort: Web_Port}]}\n"));
    expect(r.errors).toEqual([]);
    expect(located(r, "warnings")).toEqual([
      expect.stringMatching(/^9:\d+ spec\.egress\[0\]\.protocols\[0\]\.destinationNamedPort: named port "Web_Port" .*matches nothing$/),
    ]);
  });

  it("warns about a v1alpha1 port range that runs backwards (the v1alpha1 CRD has no rule against it)", () => {
    const r = read(anp("[{portRange: {protocol: TCP, start: 9000, end: 8000}}]"));
    expect(r.errors).toEqual([]);
    expect(located(r, "warnings")).toEqual([
      expect.stringMatching(
        /^10:\d+ spec\.ingress\[0\]\.ports\[0\]\.portRange\.end: end 8000 is below start 9000: this range matches no port$/,
      ),
    ]);
  });

  it("warns about a v1alpha1 namedPort without a letter, and defaults an omitted portNumber protocol", () => {
    const r = read(anp("[{namedPort: '8080'}, {portNumber: {port: 80}}]"));
    expect(r.errors).toEqual([]);
    expect(located(r, "warnings")).toEqual([
      expect.stringMatching(/spec\.ingress\[0\]\.ports\[0\]\.namedPort: named port "8080" must contain at least one letter/),
    ]);
  });

  it("accepts a Cilium toFQDNs entry with neither or both of matchName and matchPattern (the CRD has no oneOf there) and warns that it matches nothing", () => {
    const r = read(
      "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: c, namespace: shop}\nspec:\n  endpointSelector: {}\n  egress:\n  - toFQDNs: [{}, {matchName: a.example.com, matchPattern: '*.example.com'}]\n",
    );
    expect(r.errors).toEqual([]);
    expect(located(r, "warnings").map((w) => w.replace(/^\d+:\d+ /, ""))).toEqual(
      [0, 1].map(
        (j) => `spec.egress[0].toFQDNs[${j}]: a toFQDNs entry needs exactly one of matchName and matchPattern; this one matches nothing`,
      ),
    );
  });

  it("accepts a v1alpha1 port with a protocol outside TCP/UDP/SCTP (the CRD has no enum there), warns, and lets it match nothing", () => {
    const r = read(anp("[{portNumber: {protocol: ICMP, port: 80}}]"));
    expect(r.errors).toEqual([]);
    expect(located(r, "warnings")).toEqual([
      expect.stringMatching(
        /spec\.ingress\[0\]\.ports\[0\]\.portNumber\.protocol: protocol "ICMP" is not one of TCP, UDP, SCTP: the CRD accepts it, but this port matches nothing$/,
      ),
    ]);
    expect(r.policies.policies[0]!.rules[0]!.ports).toEqual([{ kind: "named", name: "" }]);
  });

  it("accepts CRD label selector requirements the schema allows (any operator string, In without values), warns, and lets them match nothing", () => {
    const r = read(
      cnp("Admin", "  - {action: Deny, to: [{namespaces: {matchExpressions: [{key: a, operator: Like}, {key: b, operator: In}]}}]}\n"),
    );
    expect(r.errors).toEqual([]);
    expect(located(r, "warnings").map((w) => w.replace(/^\d+:\d+ /, ""))).toEqual([
      'spec.egress[0].to[0].namespaces.matchExpressions[0].operator: operator "Like" is not one of In, NotIn, Exists, DoesNotExist: the CRD accepts it, but no label selector can be built from it, so this requirement matches nothing',
      "spec.egress[0].to[0].namespaces.matchExpressions[1].values: operator In needs a non-empty values list: the CRD accepts it, but no label selector can be built from it, so this requirement matches nothing",
    ]);
    const peer = r.policies.policies[0]!.rules[0]!.peers![0]!;
    expect(
      peer.kind === "workloads" && peer.selector.namespaces.kind === "selector" ? peer.selector.namespaces.selector.matchExpressions : null,
    ).toEqual([
      { key: "a", operator: "In", values: [] },
      { key: "b", operator: "In", values: [] },
    ]);
  });

  it("refuses a NetworkPolicy named Bad_Name! at the name, as the API server does", () => {
    const r = read(
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: Bad_Name!\n  namespace: shop\nspec: {podSelector: {}}\n",
    );
    expect(r.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^p\.yaml:4:3: metadata\.name: "Bad_Name!": must be a lowercase RFC 1123 subdomain/),
    ]);
  });

  const dir = path.join(import.meta.dirname, "../__fixtures__/anp/v1alpha2-crdtest");
  for (const verdict of ["valid", "invalid"] as const) {
    for (const f of readdirSync(path.join(dir, verdict))) {
      it(`agrees with the upstream CRD test on ${verdict}/${f}`, () => {
        const r = readManifestSources([{ file: f, text: readFileSync(path.join(dir, verdict, f), "utf8") }]);
        if (verdict === "valid") expect(r.errors.map((e) => e.message)).toEqual([]);
        else expect(r.errors.length).toBeGreaterThan(0);
      });
    }
  }
});
