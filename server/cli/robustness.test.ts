// The CLI on bad input: one clear line and an exit code, never a stack trace.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
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
    const read = readManifestSources([{ file: "c.yaml", text: "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nstatus: {podIP: 10.0.0.1}\n" }]);
    const ev = createEvaluator(read.cluster, read.policies);
    const d = ev.decide({ src: { kind: "pod", namespace: "shop", name: "web" }, dst: { kind: "ip", ip: "1.1.1.1" }, port: 443, protocol: "TCP", time: "not-a-time" });
    expect(d.ok).toBe(false);
    expect(!d.ok && d.error.message).toMatch(/time.*ISO-8601/);
  });
});
