// Issue 10 through the CLI as a process: what the clusters enforce (compiled objects under plain
// Kubernetes semantics) is what the platform decides over the documents (simulate with documents).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const bin = fileURLToPath(new URL("../../../bin/policyplane.mjs", import.meta.url));
const fixtures = fileURLToPath(new URL("../../policy/compile/__fixtures__/issue-10/", import.meta.url));
const inventory = join(fixtures, "inventory.yaml");
const documents = join(fixtures, "documents.yaml");
const flows = join(fixtures, "flows.jsonl");
const expected = JSON.parse(readFileSync(join(fixtures, "expected.json"), "utf8")) as { plain: string[]; secureByDefault: string[] };
const NOW = "2026-06-01T00:00:00.000Z";
/** Each test starts the CLI several times; on a loaded 2-core machine a start takes seconds. */
const PROCESS_TESTS = { timeout: 120_000 };

const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: tmpdir(), encoding: "utf8", timeout: 120_000 });

function verdicts(stdout: string): string[] {
  return stdout
    .trim()
    .split("\n")
    .map((l) => (JSON.parse(l) as { verdict?: string; error?: string }).verdict ?? `error: ${(JSON.parse(l) as { error: string }).error}`);
}

describe("issue 10: compile + plain simulate == simulate over the documents", PROCESS_TESTS, () => {
  for (const secure of [false, true]) {
    const flag = secure ? ["--secure-by-default"] : [];
    const want = secure ? expected.secureByDefault : expected.plain;
    it(`decides the issue's 24 flows over documents beside the inventory${secure ? " with the platform default on" : ""}`, () => {
      const r = run("simulate", "--manifests", inventory, "--manifests", documents, "--flows", flows, "--time", NOW, ...flag);
      expect(r.stderr).not.toMatch(/error/);
      expect(r.status).toBe(0);
      expect(verdicts(r.stdout)).toEqual(want);
    });
    for (const target of ["anp", "cnp-v1alpha2"]) {
      it(`gives the same 24 verdicts from the objects compiled for ${target}${secure ? " with --secure-by-default" : ""}, and --verify finds no disagreement`, () => {
        const out = mkdtempSync(join(tmpdir(), "pp-enforce-"));
        const c = run(
          "compile",
          documents,
          "--cluster-model",
          `default=${inventory}`,
          "--out",
          out,
          "--target",
          target,
          "--now",
          NOW,
          "--verify",
          "-q",
          ...flag,
        );
        expect(c.stderr).toContain(`default/${target}: `);
        expect(c.stderr).toContain("0 disagreement(s)");
        expect(c.status).toBe(0);
        const s = run("simulate", "--manifests", inventory, "--manifests", out, "--flows", flows);
        expect(s.status).toBe(0);
        expect(verdicts(s.stdout)).toEqual(want);
      });
    }
  }

  it("renders the platform default as the last baseline object only with --secure-by-default", () => {
    const kinds = (target: string, ...flag: string[]) => {
      const out = mkdtempSync(join(tmpdir(), "pp-enforce-"));
      expect(
        run("compile", documents, "--cluster-model", `default=${inventory}`, "--out", out, "--target", target, "--now", NOW, "-q", ...flag)
          .status,
      ).toBe(0);
      return spawnSync("grep", ["-rh", "-A3", "^kind: \\(Baseline\\|Cluster\\)", out], { encoding: "utf8" }).stdout;
    };
    expect(kinds("cnp-v1alpha2")).not.toContain("pp-platform-default");
    const v2 = kinds("cnp-v1alpha2", "--secure-by-default");
    expect(v2).toContain("name: pp-platform-default");
    const banp = kinds("anp", "--secure-by-default");
    expect(banp).toContain("kind: BaselineAdminNetworkPolicy");
  });

  it("reports traffic from outside the pod network, which ANP/CNP cannot deny, as not expressible, not as a disagreement", () => {
    const r = run(
      "compile",
      documents,
      "--cluster-model",
      `default=${inventory}`,
      "--target",
      "anp",
      "--now",
      NOW,
      "--verify",
      "--secure-by-default",
      "-q",
    );
    expect(r.status).toBe(0);
    const lines = r.stdout.split("\n").filter((l) => l.includes("not expressible"));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]).toMatch(/^\S+ \S+\/\S+ \d+\/TCP platform=deny cluster=allow default\/anp not expressible: /);
  });
});

describe("simulate: exceptions count from startsAt (inclusive) to expiresAt (exclusive), to the millisecond", PROCESS_TESTS, () => {
  const dir = mkdtempSync(join(tmpdir(), "pp-window-"));
  writeFileSync(
    join(dir, "exception.yaml"),
    `apiVersion: policyplane.io/v1
kind: Exception
metadata: {name: ledger-debug}
spec:
  subject: {namespaces: [monitoring]}
  direction: egress
  peers: [{workloads: {namespaces: [bank]}}]
  ports: [{port: 5432}]
  justification: incident 77, reading the ledger database
  startsAt: "2026-06-01T10:00:00.000Z"
  expiresAt: "2026-06-01T12:00:00.000Z"
`,
  );
  const line = (time?: string) =>
    JSON.stringify({ src: "monitoring/prometheus", dst: "bank/ledger", port: 5432, protocol: "TCP", ...(time ? { time } : {}) });
  const window = [
    "2026-06-01T09:59:59.999Z",
    "2026-06-01T10:00:00.000Z",
    "2026-06-01T11:59:59.999Z",
    "2026-06-01T12:00:00.000Z",
    "2026-06-01T12:00:00.000+00:00",
  ];
  writeFileSync(join(dir, "flows.jsonl"), [...window.map((t) => line(t)), line()].join("\n") + "\n");
  const sim = (...args: string[]) =>
    run(
      "simulate",
      "--manifests",
      inventory,
      "--manifests",
      documents,
      "--manifests",
      join(dir, "exception.yaml"),
      "--flows",
      join(dir, "flows.jsonl"),
      ...args,
    );

  it("allows the flow from startsAt to the millisecond before expiresAt, and takes --time for lines without a time", () => {
    const during = sim("--time", "2026-06-01T11:00:00Z", "--secure-by-default");
    expect(during.status).toBe(0);
    expect(verdicts(during.stdout)).toEqual(["deny", "allow", "allow", "deny", "deny", "allow"]);
    const after = sim("--time", "2026-06-01T12:00:00Z", "--secure-by-default");
    expect(verdicts(after.stdout)).toEqual(["deny", "allow", "allow", "deny", "deny", "deny"]);
  });

  it("compiles an exception only inside its window (--now), so the compiled objects agree at both edges", () => {
    for (const [now, want] of [
      ["2026-06-01T09:59:59.999Z", "deny"],
      ["2026-06-01T10:00:00.000Z", "allow"],
      ["2026-06-01T11:59:59.999Z", "allow"],
      ["2026-06-01T12:00:00.000Z", "deny"],
    ] as const) {
      const out = mkdtempSync(join(tmpdir(), "pp-window-out-"));
      const c = run(
        "compile",
        documents,
        join(dir, "exception.yaml"),
        "--cluster-model",
        `default=${inventory}`,
        "--out",
        out,
        "--now",
        now,
        "--secure-by-default",
        "--verify",
        "-q",
      );
      expect(c.status, c.stdout + c.stderr).toBe(0);
      writeFileSync(join(out, "flow.jsonl"), `${line(now)}\n`);
      const s = run("simulate", "--manifests", inventory, "--manifests", out, "--flows", join(out, "flow.jsonl"));
      expect(verdicts(s.stdout), now).toEqual([want]);
    }
  });

  it("refuses an exception whose startsAt is not before its expiresAt, naming the field", () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(
      bad,
      readFileSync(join(dir, "exception.yaml"), "utf8").replace(
        'startsAt: "2026-06-01T10:00:00.000Z"',
        'startsAt: "2026-06-01T12:00:00.000Z"',
      ),
    );
    const r = run("simulate", "--manifests", inventory, "--manifests", bad, "--flows", join(dir, "flows.jsonl"));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/bad\.yaml:\d+:\d+: spec\.startsAt: startsAt 2026-06-01T12:00:00.000Z must be before expiresAt/);
  });
});
