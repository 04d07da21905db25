import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain ES module of bin/, without type declarations
import { freshBundle } from "../../bin/cli-bundle.mjs";
import { loadWithCodeCache } from "./code-cache";

const dir = mkdtempSync(join(tmpdir(), "pp-code-cache-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the engine commands' code cache", () => {
  it("runs a script without a cache, writes one, takes it next time and replaces one V8 refuses", () => {
    const file = join(dir, "engine.cjs");
    writeFileSync(
      file,
      'const { basename } = require("node:path");\nexports.where = () => basename(__filename);\nexports.sum = (xs) => xs.reduce((a, b) => a + b, 0);\n',
    );
    // Each load in a process of its own: within one, V8 reuses what it compiled and never reads the cache.
    const loader = join(dir, "load.ts");
    writeFileSync(
      loader,
      `import { loadWithCodeCache } from ${JSON.stringify(fileURLToPath(new URL("./code-cache.ts", import.meta.url)))};
const loaded = loadWithCodeCache<{ where: () => string; sum: (xs: number[]) => number }>(process.argv[2]!);
loaded.save();
console.log(JSON.stringify({ cache: loaded.cache, where: loaded.exports.where(), sum: loaded.exports.sum([1, 2, 3]) }));
`,
    );
    const load = () => {
      const res = spawnSync(process.execPath, ["--import", "tsx", loader, file], { encoding: "utf8" });
      expect(res.status, res.stderr).toBe(0);
      return JSON.parse(res.stdout) as { cache: string; where: string; sum: number };
    };
    expect(load()).toEqual({ cache: "missing", where: "engine.cjs", sum: 6 });
    expect(existsSync(`${file}.cache`)).toBe(true);
    expect(load()).toEqual({ cache: "used", where: "engine.cjs", sum: 6 });
    // A cache of another script (or another Node, other flags) is refused, the script still runs, and the cache is written anew.
    writeFileSync(`${file}.cache`, Buffer.alloc(256, 7));
    expect(load()).toEqual({ cache: "rejected", where: "engine.cjs", sum: 6 });
    expect(load().cache).toBe("used");
    // Five processes under tsx: seconds on a loaded 2-core machine.
  }, 60_000);

  it("runs the script strict, as the ES modules it is built from", () => {
    const file = join(dir, "strict.cjs");
    writeFileSync(file, "exports.strict = (function () { return this; })() === undefined;\n");
    expect(loadWithCodeCache<{ strict: boolean }>(file).exports.strict).toBe(true);
  });

  it("reads a script past ASCII as UTF-8 (an ASCII one is copied as it is)", () => {
    const file = join(dir, "words.cjs");
    writeFileSync(file, 'exports.words = ["déjà vu", "plain"];\n');
    expect(loadWithCodeCache<{ words: string[] }>(file).exports.words).toEqual(["déjà vu", "plain"]);
  });

  it("is written by each engine command's first run and read by its next, the output the same", () => {
    const bin = fileURLToPath(new URL("../../bin/policyplane.mjs", import.meta.url));
    const manifests = join(dir, "cluster.yaml");
    const flows = join(dir, "flows.jsonl");
    writeFileSync(
      manifests,
      "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop, labels: {app: web}}\nstatus: {podIP: 10.0.0.1}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\nspec: {podSelector: {}, policyTypes: [Ingress]}\n",
    );
    writeFileSync(flows, '{"src":"10.9.9.9","dst":"shop/web","port":80,"protocol":"TCP"}\n');
    const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });
    const simulate = () => cli("simulate", "--manifests", manifests, "--flows", flows);
    const first = simulate();
    expect(first.status, first.stderr).toBe(0);
    const bundle = (freshBundle as () => string | null)();
    expect(bundle).not.toBeNull();
    const cacheOf = (command: string) => join(dirname(bundle!), `engine.cjs.${command}.cache`);
    expect(existsSync(cacheOf("simulate"))).toBe(true);
    const written = statSync(cacheOf("simulate")).mtimeMs;
    const second = simulate();
    // Taken, not written again (a refused or missing cache is written at exit).
    expect(statSync(cacheOf("simulate")).mtimeMs).toBe(written);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(JSON.parse(first.stdout)).toMatchObject({ line: 1, verdict: "deny" });
    // Another command keeps a cache of its own: simulate's is left as its run wrote it.
    const validate = cli("validate", manifests);
    expect(validate.status, validate.stderr).toBe(0);
    expect(existsSync(cacheOf("validate"))).toBe(true);
    expect(statSync(cacheOf("simulate")).mtimeMs).toBe(written);
    // The first run rebuilds the bundle when a source changed since `npm install` (seconds).
  }, 60_000);
});
