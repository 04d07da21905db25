// `policyplane replay` as a process: the fixed contract of issue 15 (flags, output shapes, exit codes).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";

const bin = fileURLToPath(new URL("../../../bin/policyplane.mjs", import.meta.url));
const fixture = (path: string) => fileURLToPath(new URL(`../../policy/__fixtures__/${path}`, import.meta.url));
const app = fixture("cilium/starwars-http-sw-app.yaml");
const rule1 = fixture("cilium/starwars-sw-l3-l4-policy.yaml");
const bookinfo = fixture("hubble/hubble-otel-kind-bookinfo-tcp-first45.jsonl");
const PROCESS_TESTS = { timeout: 120_000 };

const run = (args: string[], input?: string | Buffer) =>
  spawnSync(process.execPath, [bin, "replay", ...args], { cwd: tmpdir(), encoding: "utf8", timeout: 120_000, input, maxBuffer: 1 << 26 });
const jsonLines = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const dir = mkdtempSync(join(tmpdir(), "pp-replay-"));
const write = (name: string, text: string | Buffer) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const empty = write("empty.yaml", "");
const reviewsFromRatings = fixture("hubble/bookinfo-reviews-from-ratings.yaml");

describe("policyplane replay", PROCESS_TESTS, () => {
  it("--output jsonl: one object per input record, in order, with baseline and proposal; unreadable records as {line, error}", () => {
    const flows = `${readFileSync(fixture("hubble/cilium-docs-export-dropped-2.jsonl"), "utf8")}{"src":"default/xwing","dst":"default/deathstar","port":80,"time":"2026-01-01T00:00:00Z"}\n{"src":"default/xwing"\n`;
    const r = run(["--flows", "-", "--baseline", app, "--proposal", app, rule1, "--output", "jsonl"], flows);
    expect(r.status).toBe(0);
    const out = jsonLines(r.stdout);
    expect(out.map((o) => o.line)).toEqual([1, 2, 3, 4]);
    expect(out[0]).toEqual({ line: 1, error: "flow.l4: ICMPv6 is not a protocol network policy decides (TCP, UDP or SCTP)" });
    expect(out[1]).toMatchObject({
      src: "default/xwing",
      dst: "default/deathstar-7848d6c4d5-th9v2",
      port: 80,
      protocol: "TCP",
      time: "2023-08-21T12:12:18.510Z",
      baseline: "allow",
      proposal: "deny",
      change: "newly-denied",
    });
    expect(out[1]!.proposalPath).toContain("default/rule1");
    expect(out[2]).toMatchObject({ src: "default/xwing", dst: "default/deathstar", baseline: "allow", proposal: "deny" });
    expect(out[3]).toMatchObject({ line: 4, error: expect.stringMatching(/^not JSON/) });
    expect(r.stderr).toContain("2 of 4 record(s) could not be read");
  });

  it("--fail-on: exit 3 when the condition holds, 0 when it does not", () => {
    const args = ["--flows", bookinfo, "--baseline", empty, "--proposal", reviewsFromRatings];
    expect(run([...args, "--fail-on", "newly-denied"]).status).toBe(3);
    expect(run([...args, "--fail-on", "any-change"]).status).toBe(3);
    expect(run([...args, "--fail-on", "newly-allowed"]).status).toBe(0);
    // The reverse proposal only opens paths.
    expect(run(["--flows", bookinfo, "--baseline", reviewsFromRatings, "--proposal", empty, "--fail-on", "newly-allowed"]).status).toBe(3);
    expect(run(["--flows", bookinfo, "--baseline", empty, "--proposal", empty, "--fail-on", "any-change"]).status).toBe(0);
  });

  it("--output summary: the four totals with flows and paths, and the top changed paths with both rationales", () => {
    const r = run(["--flows", bookinfo, "--baseline", empty, "--proposal", reviewsFromRatings]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("45 record(s), 45 flow(s), 0 unreadable");
    expect(r.stdout).toMatch(/allow → deny \(newly denied\)\s+10\s+3\n/);
    expect(r.stdout).toMatch(/deny → allow \(newly allowed\)\s+0\s+0\n/);
    expect(r.stdout).toMatch(/unchanged allow\s+35\s+7\n/);
    expect(r.stdout).toMatch(/unchanged deny\s+0\s+0\n/);
    expect(r.stdout).toContain("allow → deny  bookinfo/productpage-v1 → bookinfo/reviews-v2 9080/TCP  8 flow(s)");
    expect(r.stdout).toContain("proposal: egress: [default] allow; ingress: [namespace] deny (bookinfo/reviews-from-ratings)");
  });

  it("reads gzip, and CSV with --format csv (the header is line 1)", () => {
    const gz = write("bookinfo.jsonl.gz", gzipSync(readFileSync(bookinfo)));
    const plain = run(["--flows", bookinfo, "--baseline", empty, "--proposal", reviewsFromRatings, "--output", "jsonl"]);
    const zipped = run(["--flows", gz, "--baseline", empty, "--proposal", reviewsFromRatings, "--output", "jsonl"]);
    expect(zipped.status).toBe(0);
    expect(zipped.stdout).toBe(plain.stdout);

    const csv = write(
      "flows.csv",
      'src,dst,port,protocol,count\ndefault/xwing,default/deathstar,80,TCP,7\n"default/tiefighter",default/deathstar,80,,1\nnot,enough\n',
    );
    const r = run(["--flows", csv, "--format", "csv", "--baseline", app, "--proposal", app, rule1, "--output", "csv"]);
    expect(r.status).toBe(0);
    const rows = r.stdout.trim().split("\n");
    expect(rows[0]).toBe("line,src,dst,port,protocol,time,baseline,proposal,change,error");
    expect(rows[1]).toMatch(/^2,default\/xwing,default\/deathstar,80,TCP,[^,]+,allow,deny,newly-denied,$/);
    expect(rows[2]).toMatch(/^3,default\/tiefighter,default\/deathstar,80,TCP,[^,]+,allow,allow,unchanged-allow,$/);
    expect(rows[3]).toBe('4,,,,,,,,,"expected 5 columns as the header names, got 2"');
  });

  it("reports a 10 MB line by its number and replays the lines around it", () => {
    const line = '{"src":"default/xwing","dst":"default/deathstar","port":80}';
    const r = run(
      ["--flows", "-", "--baseline", app, "--proposal", app, "--output", "jsonl"],
      `${line}\n${"x".repeat(10 << 20)}\n${line}\n`,
    );
    expect(r.status).toBe(0);
    const out = jsonLines(r.stdout);
    expect(out).toHaveLength(3);
    expect(out[1]).toEqual({ line: 2, error: "longer than 1.0 MiB; not read" });
    expect(out[2]).toMatchObject({ line: 3, baseline: "allow", proposal: "allow" });
  });

  it("reads a big recording in worker threads and keeps every record in its input line", () => {
    // 25,000 lines: several blocks for the workers, a bad line now and then, a CSV-free auto format.
    const flows = ["tiefighter", "xwing"].map((src) => JSON.stringify({ src: `default/${src}`, dst: "default/deathstar", port: 80 }));
    const lines = Array.from({ length: 25_000 }, (_, i) => (i % 997 === 500 ? '{"src":' : flows[i % 2]!));
    const r = run([
      "--flows",
      write("big.jsonl", `${lines.join("\n")}\n`),
      "--baseline",
      app,
      "--proposal",
      app,
      rule1,
      "--output",
      "jsonl",
    ]);
    expect(r.status).toBe(0);
    const out = jsonLines(r.stdout);
    expect(out).toHaveLength(25_000);
    out.forEach((o, i) => {
      expect(o.line).toBe(i + 1);
      if (i % 997 === 500) expect(o.error).toMatch(/^not JSON/);
      else expect([o.src, o.change]).toEqual(i % 2 === 0 ? ["default/tiefighter", "unchanged-allow"] : ["default/xwing", "newly-denied"]);
    });
  });

  it("exit 1 naming file:line:col for a broken manifest, exit 2 for usage errors", () => {
    const broken = write("broken.yaml", "kind: NetworkPolicy\nmetadata: {name: x\n");
    const bad = run(["--flows", bookinfo, "--baseline", empty, "--proposal", broken]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(`${broken}:`);
    expect(bad.stderr).toContain("error(s) in --proposal; nothing evaluated");
    expect(run(["--flows", bookinfo, "--proposal", empty]).status).toBe(2);
    expect(run(["--flows", bookinfo, "--baseline", empty, "--proposal", empty, "--output", "xml"]).status).toBe(2);
    const header = write("bad.csv", "source,destination\n");
    const r = run(["--flows", header, "--format", "csv", "--baseline", empty, "--proposal", empty]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("line 1: unknown column(s) source, destination");
  });
});
