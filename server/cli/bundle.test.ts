// The CLI runs from a prebuilt bundle keyed by its sources: an edited source is
// never run stale, and `--help` answers from the bundle without the engine.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain ES module of bin/, without type declarations
import { buildBundle, freshBundle } from "../../bin/cli-bundle.mjs";

const bin = fileURLToPath(new URL("../../bin/policyplane.mjs", import.meta.url));
const build = buildBundle as (base?: string) => Promise<string>;
const fresh = freshBundle as (base?: string) => string | null;

describe("the CLI bundle", () => {
  it("is rebuilt when a source it was built from changes, so stale code never runs", async () => {
    const base = mkdtempSync(join(tmpdir(), "pp-bundle-"));
    mkdirSync(join(base, "server", "cli"), { recursive: true });
    mkdirSync(join(base, "bin"));
    copyFileSync(fileURLToPath(new URL("../../bin/cli-bundle.mjs", import.meta.url)), join(base, "bin", "cli-bundle.mjs"));
    writeFileSync(join(base, "tsconfig.json"), "{}\n");
    writeFileSync(join(base, "package.json"), '{"type":"module"}\n');
    writeFileSync(join(base, "server", "cli", "answer.ts"), "export const answer: number = 7;\n");
    writeFileSync(
      join(base, "server", "cli", "main.ts"),
      'import { answer } from "./answer";\nexport const main = (): number => answer;\n',
    );
    expect(fresh(base)).toBeNull();
    const first = await build(base);
    expect(fresh(base)).toBe(first);
    expect((await import(pathToFileURL(first).href)).main()).toBe(7);
    // Touched but unchanged (a checkout, an editor saving as it was): the content decides, still fresh.
    utimesSync(join(base, "server", "cli", "answer.ts"), new Date(), new Date(Date.now() + 5_000));
    expect(fresh(base)).toBe(first);
    writeFileSync(join(base, "server", "cli", "answer.ts"), "export const answer: number = 8;\n");
    expect(fresh(base)).toBeNull();
    const second = await build(base);
    expect(second).not.toBe(first);
    expect((await import(pathToFileURL(second).href)).main()).toBe(8);
    // Built again from the same sources (a second `npm install`, two CLIs racing on a stale bundle):
    // the key's folder, which a running CLI may be importing from, is kept, not deleted and replaced.
    const inUse = join(dirname(second), "in-use");
    writeFileSync(inUse, "");
    rmSync(join(base, "node_modules", ".cache", "policyplane-cli", "stamp.json"));
    expect(fresh(base)).toBeNull();
    expect(await build(base)).toBe(second);
    expect(existsSync(inUse)).toBe(true);
    expect(fresh(base)).toBe(second);
    // One with a file missing (a delete cut short) is replaced whole.
    rmSync(`${second}.map`);
    rmSync(join(base, "node_modules", ".cache", "policyplane-cli", "stamp.json"));
    expect(await build(base)).toBe(second);
    expect(existsSync(`${second}.map`)).toBe(true);
    expect(existsSync(inUse)).toBe(false);
    // The earlier bundle (answer 7) is kept beside it: a long-running CLI may still import from it.
    expect(existsSync(first)).toBe(true);
  }, 60_000);

  it("carries zod with its English messages only, not its ~50 other languages", async () => {
    // Inside the project's node_modules, so that the bundle resolves zod as the CLI's does.
    const base = mkdtempSync(join(fileURLToPath(new URL("../../node_modules/.cache/", import.meta.url)), "pp-bundle-zod-"));
    mkdirSync(join(base, "server", "cli"), { recursive: true });
    mkdirSync(join(base, "bin"));
    copyFileSync(fileURLToPath(new URL("../../bin/cli-bundle.mjs", import.meta.url)), join(base, "bin", "cli-bundle.mjs"));
    writeFileSync(join(base, "tsconfig.json"), "{}\n");
    writeFileSync(join(base, "package.json"), '{"type":"module"}\n');
    writeFileSync(
      join(base, "server", "cli", "main.ts"),
      [
        'import { z } from "zod";',
        "export const main = () => ({",
        "  locales: Object.keys(z.locales),",
        "  message: z.object({ a: z.string() }).safeParse({ a: 1 }).error?.issues[0]?.message,",
        "});",
      ].join("\n"),
    );
    try {
      const answer = (await import(pathToFileURL(await build(base)).href)).main();
      expect(answer).toEqual({ locales: ["en"], message: "Invalid input: expected string, received number" });
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  }, 60_000);

  it("answers --help from any directory with every command and says which simulate output is the default", () => {
    const res = spawnSync(process.execPath, [bin, "--help"], { cwd: tmpdir(), encoding: "utf8", timeout: 60_000 });
    expect(res.status).toBe(0);
    for (const c of ["simulate", "replay", "validate", "explain", "reachability", "compile", "lint"]) expect(res.stdout).toContain(c);
    const sim = spawnSync(process.execPath, [bin, "simulate", "--help"], { cwd: tmpdir(), encoding: "utf8", timeout: 60_000 });
    expect(sim.stdout.replace(/\s+/g, " ")).toMatch(/\{line, src, dst, port, protocol, verdict, path\}/);
    expect(sim.stdout).toMatch(/--rationale/);
  }, 60_000);
});
