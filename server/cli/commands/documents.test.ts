import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseClusterSpec, runCompile, runLint, type Io } from "./documents";

function capture(): Io & { stdout: string; stderr: string } {
  const io = { stdout: "", stderr: "", out: (s: string) => (io.stdout += s), err: (s: string) => (io.stderr += s) };
  return io;
}

const POLICIES = `apiVersion: policyplane.io/v1
kind: Policy
metadata: {name: web, tenant: shop}
spec:
  tier: namespace
  subject:
    namespaces: [shop]
    podSelector: {matchLabels: {app: web}}
  rules:
    - name: to-api
      direction: egress
      peers: [{service: shop/api}]
---
apiVersion: policyplane.io/v1
kind: Policy
metadata: {name: global-dns}
spec:
  tier: global
  priority: 5
  subject: {}
  rules:
    - {direction: egress, action: allow, peers: [{entity: kube-dns}], ports: [{port: 53, protocol: UDP}]}
`;
const CLUSTER = `apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {tenant: shop}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, ports: [{name: grpc, containerPort: 9090}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  selector: {app: api}
  ports: [{name: grpc, port: 80, targetPort: grpc}]
`;

function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "pp-cli-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const walk = (dir: string, prefix = ""): string[] =>
  readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]))
    .sort();

describe("policyplane compile", () => {
  it("writes one folder per cluster and namespace", () => {
    const dir = workspace({ "p.yaml": POLICIES, "c.yaml": CLUSTER });
    const io = capture();
    const code = runCompile(
      [join(dir, "p.yaml")],
      { out: join(dir, "out"), clusterModel: [`prod-eu-1@eu-west=${join(dir, "c.yaml")}`], target: "anp", release: "r7" },
      io,
    );
    expect(code).toBe(0);
    expect(walk(join(dir, "out"))).toEqual([
      "prod-eu-1/_cluster/adminnetworkpolicy-pp-global-global-dns.yaml",
      "prod-eu-1/shop/networkpolicy-web.yaml",
    ]);
    const np = readFileSync(join(dir, "out/prod-eu-1/shop/networkpolicy-web.yaml"), "utf8");
    expect(np).toContain("policyplane.io/release: r7");
    expect(np).toContain("port: grpc"); // the service's target port
  });

  it("exits 1 with file:line:col errors on invalid input and writes nothing", () => {
    const dir = workspace({ "bad.yaml": POLICIES.replace("protocol: UDP", "protocol: UDP, endPort: 70000") });
    const io = capture();
    expect(runCompile([join(dir, "bad.yaml")], { out: join(dir, "out"), target: "anp" }, io)).toBe(1);
    expect(io.stderr).toMatch(/bad\.yaml:22:105: spec\.rules\[0\]\.ports\[0\]\.endPort: must be between 1 and 65535/);
    expect(readdirSync(dir)).toEqual(["bad.yaml"]);
  });

  it("exits 1 and writes nothing when two documents render different objects under one name", () => {
    const exception = (name: string) => `apiVersion: policyplane.io/v1
kind: Exception
metadata: {name: ${name}}
spec:
  subject: {namespaces: [shop], podSelector: {matchLabels: {app: web}}}
  direction: egress
  peers: [{workloads: {namespaces: [shop], podSelector: {matchLabels: {app: api}}}}]
  ports: [{port: 9090}]
  justification: incident 7
  expiresAt: "2030-01-01T00:00:00Z"
`;
    const dir = workspace({ "e.yaml": `${exception("dbg")}---\n${exception("dbg-peer-0")}`, "c.yaml": CLUSTER });
    const io = capture();
    expect(
      runCompile(
        [join(dir, "e.yaml")],
        {
          out: join(dir, "out"),
          clusterModel: [`prod-eu-1=${join(dir, "c.yaml")}`],
          target: "anp",
          now: "2029-01-01T00:00:00Z",
          quiet: true,
        },
        io,
      ),
    ).toBe(1);
    expect(io.stderr).toContain(
      `prod-eu-1/_cluster/adminnetworkpolicy-pp-exception-dbg-peer-0.yaml: metadata.name: AdminNetworkPolicy pp-exception-dbg-peer-0 is rendered from Exception/dbg (${join(dir, "e.yaml")}:1) and, differently, from Exception/dbg-peer-0 (${join(dir, "e.yaml")}:12)`,
    );
    expect(io.stderr).toContain("cluster prod-eu-1: 1 error(s) in the compiled objects; nothing written for it");
    expect(readdirSync(dir).sort()).toEqual(["c.yaml", "e.yaml"]);
  });

  it("without a cluster model assumes the namespaces the documents name", () => {
    const dir = workspace({ "p.yaml": POLICIES });
    const io = capture();
    expect(runCompile([join(dir, "p.yaml")], { out: join(dir, "out"), target: "cnp-v1alpha2" }, io)).toBe(0);
    expect(walk(join(dir, "out"))).toEqual([
      "default/_cluster/clusternetworkpolicy-pp-global-global-dns.yaml",
      "default/shop/networkpolicy-web.yaml",
    ]);
    expect(io.stderr).toContain("service shop/api is not in cluster default");
  });
});

describe("policyplane lint", () => {
  it("prints located findings and exits 0 without error findings", () => {
    const dir = workspace({ "p.yaml": POLICIES, "c.yaml": CLUSTER });
    const io = capture();
    expect(runLint([join(dir, "p.yaml")], { manifests: [join(dir, "c.yaml")], output: "text" }, io)).toBe(0);
    expect(io.stdout).toContain(
      `${join(dir, "p.yaml")}:22:50: warning no-match: Policy/global-dns spec.rules[0].peers[0]: no pod in kube-system is labelled k8s-app=kube-dns`,
    );
  });

  it("exits 1 on a constraint conflict and reports it as JSON", () => {
    const conflict = `${POLICIES}---
apiVersion: policyplane.io/v1
kind: ComplianceConstraint
metadata: {name: no-dns}
spec:
  subject: {tenant: shop}
  direction: egress
  peers: [{entity: kube-dns}]
  rationale: testing
`;
    const dir = workspace({ "p.yaml": conflict, "c.yaml": CLUSTER, "tax.yaml": "podLabels: {app: null}\n" });
    const io = capture();
    expect(runLint([join(dir, "p.yaml")], { manifests: [join(dir, "c.yaml")], taxonomy: join(dir, "tax.yaml"), output: "json" }, io)).toBe(
      1,
    );
    const out = JSON.parse(io.stdout) as {
      findings: { id: string; severity: string; document: string }[];
      summary: Record<string, number>;
    };
    expect(out.findings.filter((f) => f.severity === "error")).toEqual([
      expect.objectContaining({ id: "constraint-conflict", document: "Policy/global-dns" }),
    ]);
    expect(out.summary.error).toBe(1);
  });
});

it("parses [name[@region]=]path cluster specs", () => {
  expect(parseClusterSpec("prod-eu-1@eu-west=./m")).toEqual({ name: "prod-eu-1", region: "eu-west", path: "./m" });
  expect(parseClusterSpec("clusters/staging.yaml")).toEqual({ name: "staging", path: "clusters/staging.yaml" });
});
