// The CLI on bad input: one clear line and an exit code, never a stack trace.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createEvaluator, readManifestSources } from "@/server/policy";

const bin = fileURLToPath(new URL("../../bin/policyplane.mjs", import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: tmpdir(), encoding: "utf8", timeout: 60_000 });
const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);

const dir = mkdtempSync(join(tmpdir(), "pp-cli-"));
const cluster = join(dir, "cluster.yaml");
writeFileSync(
  cluster,
  `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
status: {podIP: 10.0.0.1}
`,
);
const policy = join(dir, "policy.yaml");
writeFileSync(
  policy,
  `apiVersion: policyplane.io/v1
kind: Policy
metadata: {name: dns}
spec:
  tier: global
  subject: {}
  rules:
    - {direction: egress, action: allow, peers: [{entity: kube-dns}], ports: [{port: 53, protocol: UDP}]}
`,
);

describe("the policyplane CLI on bad input", () => {
  it("validate refuses a NetworkPolicy named Bad_Name! with file:line:col and the field, exit 1, and only warns about what the CRDs accept", () => {
    const bad = join(dir, "bad-name.yaml");
    writeFileSync(
      bad,
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: Bad_Name!\n  namespace: shop\nspec: {podSelector: {}}\n",
    );
    const res = run("validate", bad);
    expect(res.status).toBe(1);
    expect(res.stdout).toMatch(
      new RegExp(
        `^${bad.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:4:3: metadata\\.name: "Bad_Name!": must be a lowercase RFC 1123 subdomain`,
        "m",
      ),
    );
    noStack(res.stdout + res.stderr);
    const pass = join(dir, "baseline-pass.yaml");
    writeFileSync(
      pass,
      "apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\nmetadata: {name: c}\nspec:\n  tier: Baseline\n  priority: 1\n  subject: {namespaces: {}}\n  egress: [{action: Pass, to: [{namespaces: {}}]}]\n",
    );
    const ok = run("validate", pass);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^warning: .+spec\.egress\[0\]\.action: action Pass in tier Baseline has no effect/m);
  });

  it("refuses an --time that is not an instant instead of treating every exception as active", () => {
    const res = run("explain", "--manifests", cluster, "--from", "shop/web", "--to", "shop/web", "--port", "80", "--time", "yesterday-ish");
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/ISO-8601/);
    noStack(res.stderr);
  });

  it("refuses an --now that is not an instant", () => {
    const res = run("compile", policy, "--out", join(dir, "out"), "--now", "soon");
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/ISO-8601/);
  });

  it("says which file it cannot write instead of crashing", () => {
    const res = run("compile", policy, "--out", "/dev/null/rendered");
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/^error: cannot write \/dev\/null\/rendered\/.+: ENOTDIR/m);
    noStack(res.stderr);
  });

  it("never writes outside --out, whatever the cluster model names a namespace (exit 1, nothing written)", () => {
    const escapeDir = mkdtempSync(join(tmpdir(), "pp-escape-"));
    const model = join(escapeDir, "cluster.yaml");
    writeFileSync(
      model,
      `apiVersion: v1
kind: Namespace
metadata: {name: ../../../escaped, labels: {tenant: evil}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: ../../../escaped, labels: {app: web}}
status: {podIP: 10.0.0.1}
`,
    );
    const doc = join(escapeDir, "policy.yaml");
    writeFileSync(
      doc,
      `apiVersion: policyplane.io/v1
kind: Policy
metadata: {name: evil-web, tenant: evil}
spec:
  tier: namespace
  subject: {tenant: evil, podSelector: {matchLabels: {app: web}}}
  rules:
    - {direction: egress, action: allow, peers: [{entity: kube-dns}], ports: [{port: 53, protocol: UDP}]}
`,
    );
    const out = join(escapeDir, "a", "b", "out");
    const res = run("compile", doc, "--cluster-model", `c1=${model}`, "--out", out);
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/\.\.\/\.\.\/\.\.\/escaped/);
    noStack(res.stderr);
    expect(existsSync(join(escapeDir, "a", "escaped"))).toBe(false);
    expect(readdirSync(escapeDir).sort()).toEqual(
      ["cluster.yaml", "policy.yaml"].concat(existsSync(join(escapeDir, "a")) ? ["a"] : []).sort(),
    );
    expect(existsSync(out) ? readdirSync(out, { recursive: true }) : []).toEqual([]);
  });

  it("reports a dangling symlink in a manifests folder and reads the rest", () => {
    const folder = join(dir, "manifests");
    mkdirSync(folder);
    writeFileSync(join(folder, "cluster.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n");
    symlinkSync(join(dir, "gone.yaml"), join(folder, "broken.yaml"));
    const res = run("validate", folder);
    expect(res.status).toBe(1);
    expect(res.stdout + res.stderr).toMatch(/broken\.yaml.*cannot read \(ENOENT\)/);
    noStack(res.stdout + res.stderr);
  });
});

describe("the evaluator's time", () => {
  it("returns an error for an unparseable time rather than deciding at epoch 0", () => {
    const read = readManifestSources([
      {
        file: "c.yaml",
        text: "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nstatus: {podIP: 10.0.0.1}\n",
      },
    ]);
    const ev = createEvaluator(read.cluster, read.policies);
    const d = ev.decide({
      src: { kind: "pod", namespace: "shop", name: "web" },
      dst: { kind: "ip", ip: "1.1.1.1" },
      port: 443,
      protocol: "TCP",
      time: "not-a-time",
    });
    expect(d.ok).toBe(false);
    expect(!d.ok && d.error.message).toMatch(/time.*ISO-8601/);
  });
});

describe("simulate on bad and large input", () => {
  const flowsOf = (lines: string[]) => {
    const f = join(dir, `flows-${lines.length}-${Math.random().toString(36).slice(2)}.jsonl`);
    writeFileSync(f, lines.join("\n") + "\n");
    return f;
  };

  it("answers a 10 MB flow line with an error record in its place, and every other line in order", () => {
    const ok = JSON.stringify({ src: "shop/web", dst: "1.1.1.1", port: 443, protocol: "TCP" });
    const res = spawnSync(
      process.execPath,
      [
        "--max-old-space-size=64",
        bin,
        "simulate",
        "--manifests",
        cluster,
        "--flows",
        flowsOf([ok, `{"src":"${"x".repeat(10 * 1024 * 1024)}"}`, ok, '{"src":"shop/web","dst":"1.1.1.1","port":70000}']),
      ],
      { cwd: tmpdir(), encoding: "utf8", timeout: 60_000 },
    );
    expect(res.status).toBe(0);
    const out = res.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { line: number; verdict?: string; error?: string });
    expect(out.map((o) => o.line)).toEqual([1, 2, 3, 4]);
    expect(out[0]!.verdict).toBe("allow");
    expect(out[1]!.error).toBe("line 2: longer than 64 KiB; not read");
    expect(out[2]!.verdict).toBe("allow");
    expect(out[3]!.error).toMatch(/^line 4: port: expected 1-65535/);
  });

  it("refuses a YAML alias bomb in the manifests with file:line:col and exit 1, no stack trace", () => {
    const bomb = join(dir, "bomb.yaml");
    const lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 9; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(", ")}]`);
    writeFileSync(bomb, `${lines.join("\n")}\nkind: Pod\n`);
    const res = run("simulate", "--manifests", bomb, "--flows", flowsOf(["{}"]));
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(new RegExp(`${bomb.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:1:\\d+: invalid YAML: .*alias`, "i"));
    noStack(res.stderr);
  });

  it("refuses a 50 MB manifest with a clear error before reading it (exit 1)", () => {
    const big = join(dir, "big-50mb.yaml");
    writeFileSync(
      big,
      `apiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n${"# padding padding padding padding\n".repeat(50 * 1024 * 32)}`,
    );
    const res = run("validate", big);
    expect(res.status).toBe(1);
    expect(res.stdout + res.stderr).toMatch(
      /big-50mb\.yaml: file is 5\d\.\d MiB, over the 32\.0 MiB limit for one manifest file; not read/,
    );
    noStack(res.stdout + res.stderr);
  });

  it("keeps usage errors at exit 2", () => {
    expect(run("simulate", "--manifests", cluster).status).toBe(2);
    expect(run("reachability", "--manifests", cluster, "--group-by", "tenant").status).toBe(2);
    expect(run("simulate", "--manifests", cluster, "--flows", join(dir, "no-such.jsonl")).status).toBe(2);
  });
});

describe("reachability --group-by and --output jsonl", () => {
  it("streams one edge per line, then the nodes and a stats line; --group-by namespace makes namespaces the nodes", () => {
    const res = run("reachability", "--manifests", cluster, "--output", "jsonl");
    expect(res.status).toBe(0);
    const lines = res.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const edges = lines.filter((l) => "from" in l);
    expect(edges).toContainEqual(
      expect.objectContaining({ from: "shop/Pod/web", to: "shop/Pod/web", ports: ["*/TCP", "*/UDP", "*/SCTP"].sort() }),
    );
    expect(lines.at(-1)).toMatchObject({ stats: { edges: edges.length } });
    const ns = run("reachability", "--manifests", cluster, "--group-by", "namespace");
    expect(ns.status).toBe(0);
    const graph = JSON.parse(ns.stdout) as { nodes: { id: string; kind: string }[]; edges: { from: string; to: string }[] };
    expect(graph.nodes).toContainEqual(expect.objectContaining({ id: "shop", kind: "namespace" }));
    expect(graph.edges).toContainEqual(expect.objectContaining({ from: "shop", to: "shop" }));
  });

  it("says an audit key is missing as configuration, before touching the database, not as an internal error", () => {
    const { AUDIT_KEY: _key, AUDIT_KEY_FILE: _file, ...rest } = process.env;
    // A database that does not exist: nothing may be tried on it before the configuration is complete.
    const res = spawnSync(process.execPath, [bin, "admin", "create", "--email", "first@acme.example"], {
      cwd: tmpdir(),
      encoding: "utf8",
      timeout: 60_000,
      env: { ...rest, DATABASE_URL: "postgres://postgres@127.0.0.1:1/none" },
    });
    expect(res.status).toBe(1);
    expect(res.stderr).toBe(
      "error: AUDIT_KEY or AUDIT_KEY_FILE must be set when DATABASE_URL is used: the audit key must live outside the database, and every replica needs the same one\n",
    );
  });
});
