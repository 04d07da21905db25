/** Readers: every malformed input is a located error value, never a crash. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_MAX_MANIFEST_BYTES, collectSources, maxManifestBytes } from "../read/fs";
import { readManifestSources } from "../read/manifests";
import { fixture } from "./harness";

const NP = (spec: string) =>
  `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p\n  namespace: app\nspec:\n${spec}`;

function errorsOf(text: string) {
  const r = readManifestSources([{ file: "in.yaml", text }]);
  return r.errors.map((e) => ({ line: e.line, column: e.column, path: e.path, message: e.detail, text: e.message }));
}

describe("manifest readers reject malformed input with file, line, column and path", () => {
  it("reports a YAML syntax error with its position", () => {
    const errs = errorsOf("apiVersion: v1\nkind: Pod\nmetadata: {name: [\n");
    expect(errs.length).toBeGreaterThanOrEqual(1);
    expect(errs[0]!.message).toMatch(/invalid YAML/);
    expect(errs[0]!.line).toBeGreaterThan(0);
    expect(errs[0]!.text).toMatch(/^in\.yaml:\d+:\d+: /);
  });

  it("reports a CIDR with a prefix longer than 32", () => {
    const errs = errorsOf(NP("  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock:\n        cidr: 10.0.0.0/33\n"));
    expect(errs).toEqual([
      expect.objectContaining({
        line: 11,
        column: 9,
        path: "spec.ingress[0].from[0].ipBlock.cidr",
        message: expect.stringMatching(/expected a CIDR .* got "10\.0\.0\.0\/33"/),
      }),
    ]);
  });

  it("reports an except entry outside its cidr", () => {
    const errs = errorsOf(NP("  podSelector: {}\n  egress:\n  - to:\n    - ipBlock: {cidr: 10.0.0.0/8, except: [192.168.0.0/16]}\n"));
    expect(errs[0]).toMatchObject({
      path: "spec.egress[0].to[0].ipBlock.except[0]",
      message: "expected a CIDR strictly inside 10.0.0.0/8, got 192.168.0.0/16",
    });
  });

  it("reports port 70000", () => {
    const errs = errorsOf(NP("  podSelector: {}\n  ingress:\n  - ports:\n    - port: 70000\n"));
    expect(errs[0]).toMatchObject({
      line: 10,
      path: "spec.ingress[0].ports[0].port",
      message: expect.stringMatching(/between 1 and 65535/),
    });
  });

  it("reports an unknown selector operator and lists the allowed ones", () => {
    const errs = errorsOf(NP("  podSelector:\n    matchExpressions:\n    - {key: app, operator: Foo, values: [a]}\n"));
    expect(errs[0]).toMatchObject({
      path: "spec.podSelector.matchExpressions[0].operator",
      message: expect.stringMatching(/expected one of "In", "NotIn", "Exists", "DoesNotExist", got "Foo"/),
    });
  });

  it("reports In without values and Exists with values", () => {
    const errs = errorsOf(
      NP("  podSelector:\n    matchExpressions:\n    - {key: app, operator: In}\n    - {key: b, operator: Exists, values: [x]}\n"),
    );
    expect(errs.map((e) => e.path)).toEqual(["spec.podSelector.matchExpressions[0].values", "spec.podSelector.matchExpressions[1].values"]);
  });

  it("reports unknown fields in policy kinds (a typo must not silently widen a policy)", () => {
    const errs = errorsOf(NP("  podSelector: {}\n  ingres:\n  - {}\n"));
    expect(errs).toEqual([expect.objectContaining({ line: 9, column: 3, path: "spec.ingres", message: 'unknown field "ingres"' })]);
  });

  it("reports wrong types with what was expected", () => {
    const errs = errorsOf(NP("  podSelector: {}\n  ingress: yes\n"));
    expect(errs[0]).toMatchObject({ path: "spec.ingress", message: expect.stringMatching(/expected a list, got/) });
  });

  it("reports a bad item of a kubectl List by its index and keeps the good ones", () => {
    const text =
      "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: ok}\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n  spec:\n    containers:\n    - name: c\n      ports:\n      - containerPort: 0\n";
    const r = readManifestSources([{ file: "list.yaml", text }]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ line: 14, path: "items[1].spec.containers[0].ports[0].containerPort" });
    expect(r.cluster.namespaces.map((n) => n.name)).toContain("ok");
  });

  it("ignores fields outside the model in inventory kinds (real kubectl output)", () => {
    const text =
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a, uid: x, managedFields: [{}], creationTimestamp: '2024-01-01'}\nspec: {containers: [{name: c, image: i, resources: {}}], tolerations: []}\nstatus: {phase: Running, podIP: 10.0.0.1, conditions: []}\n";
    const r = readManifestSources([{ file: "pod.yaml", text }]);
    expect(r.errors).toEqual([]);
    expect(r.cluster.pods[0]).toMatchObject({ name: "p", ips: ["10.0.0.1"] });
  });

  it("reports a bad pod IP and an unsupported apiVersion", () => {
    expect(errorsOf("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nstatus: {podIP: 10.0.0.300}\n")[0]).toMatchObject({
      path: "status.podIP",
    });
    expect(errorsOf("apiVersion: networking.k8s.io/v1beta1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec: {}\n")[0]).toMatchObject({
      path: "apiVersion",
      message: expect.stringMatching(/expected networking\.k8s\.io\/v1/),
    });
  });

  it("flags the v0.1.7 docs examples that use the old ANP peer shape", () => {
    const r = readManifestSources([{ file: "docs-user-story-1-anp-deny.yaml", text: fixture("anp/docs-user-story-1-anp-deny.yaml") }]);
    expect(r.errors[0]).toMatchObject({ path: "spec.ingress[0].from[0].namespaces.namespaceSelector", line: 15 });
  });

  it("requires exactly one ANP peer shape and rejects Pass in a BaselineAdminNetworkPolicy", () => {
    const anp =
      "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: a}\nspec:\n  priority: 1\n  subject: {namespaces: {}, pods: {namespaceSelector: {}, podSelector: {}}}\n";
    expect(errorsOf(anp)[0]).toMatchObject({ path: "spec.subject", message: expect.stringMatching(/exactly one of namespaces, pods/) });
    const banp =
      "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\nmetadata: {name: default}\nspec:\n  subject: {namespaces: {}}\n  ingress: [{action: Pass, from: [{namespaces: {}}]}]\n";
    expect(errorsOf(banp)[0]).toMatchObject({ path: "spec.ingress[0].action" });
  });

  it("reads every Cilium fixture and warns about what it does not evaluate", () => {
    for (const f of ["starwars-sw-l3-l4-l7-policy.yaml", "cnp-egress-deny.yaml", "cnp-to-fqdn.yaml"]) {
      const r = readManifestSources([{ file: f, text: fixture(`cilium/${f}`) }]);
      expect(r.errors, f).toEqual([]);
    }
    const l7 = readManifestSources([{ file: "l7", text: fixture("cilium/starwars-sw-l3-l4-l7-policy.yaml") }]);
    expect(l7.warnings.some((w) => /L7 rules are not evaluated/.test(w.detail))).toBe(true);
  });

  it("materialises StatefulSet pods as name-0 … name-(replicas-1) with the template's labels and ports", () => {
    const r = readManifestSources([{ file: "base", text: fixture("anp/conformance-base-manifests.yaml") }]);
    expect(r.errors).toEqual([]);
    expect(r.cluster.workloads.find((w) => w.name === "harry-potter")).toMatchObject({
      kind: "StatefulSet",
      replicas: 2,
      labels: { "conformance-house": "gryffindor" },
    });
  });
});

describe("manifest size bound", () => {
  it("reports a manifest file over the size limit as an error without reading it", () => {
    const dir = mkdtempSync(join(tmpdir(), "pp-big-"));
    const file = join(dir, "big.yaml");
    writeFileSync(file, `apiVersion: v1\nkind: Namespace\nmetadata: {name: big}\n${"# padding\n".repeat(200)}`);
    const r = collectSources([file], 1000);
    expect(r.sources).toEqual([]);
    expect(r.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/big\.yaml: file is 0\.0 MiB, over the 0\.0 MiB limit for one manifest file; not read/),
    ]);
    expect(collectSources([file], 1_000_000).sources).toHaveLength(1);
  });

  it("takes the limit from POLICYPLANE_MAX_MANIFEST_BYTES, ignoring nonsense", () => {
    expect(maxManifestBytes({ POLICYPLANE_MAX_MANIFEST_BYTES: "4096" })).toBe(4096);
    expect(maxManifestBytes({ POLICYPLANE_MAX_MANIFEST_BYTES: "lots" })).toBe(DEFAULT_MAX_MANIFEST_BYTES);
    expect(maxManifestBytes({})).toBe(DEFAULT_MAX_MANIFEST_BYTES);
  });
});

describe("ClusterNetworkPolicy versions and shapes", () => {
  const CNP = (apiVersion: string, pods: string) =>
    `apiVersion: ${apiVersion}\nkind: ClusterNetworkPolicy\nmetadata: {name: c}\nspec:\n  tier: Admin\n  priority: 1\n  subject: {pods: ${pods}}\n  egress: [{action: Deny, to: [{pods: ${pods}}]}]\n`;

  it("reads v1beta1 like v1alpha2 and rejects other versions", () => {
    for (const v of ["policy.networking.k8s.io/v1alpha2", "policy.networking.k8s.io/v1beta1"]) {
      const r = readManifestSources([{ file: "c.yaml", text: CNP(v, "{namespaceSelector: {}, podSelector: {}}") }]);
      expect(r.errors).toEqual([]);
      expect(r.policies.policies).toHaveLength(1);
    }
    expect(errorsOf(CNP("policy.networking.k8s.io/v1", "{namespaceSelector: {}, podSelector: {}}")).length).toBe(1);
  });

  it("accepts a pods selector without namespaceSelector (every namespace) in the subject and peers", () => {
    const r = readManifestSources([
      { file: "c.yaml", text: CNP("policy.networking.k8s.io/v1alpha2", "{podSelector: {matchLabels: {app: a}}}") },
    ]);
    expect(r.errors).toEqual([]);
    const p = r.policies.policies[0]!;
    expect(p.subject.namespaces).toEqual({ kind: "selector", selector: { matchLabels: {}, matchExpressions: [] } });
  });
});
