import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "..");

/** A real process holding the lock of `folder` until killed (what a running `npm start` does first). */
async function holder(folder: string): Promise<ChildProcess> {
  const code = `import { lockFolder } from ${JSON.stringify(path.join(root, "scripts", "folder-lock.mjs"))};
lockFolder(${JSON.stringify(folder)}, { label: "x", advice: "y" }); console.log("held"); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise((resolve) => child.stdout!.once("data", resolve));
  return child;
}

function start(env: Record<string, string>) {
  return spawnSync(process.execPath, ["scripts/start.mjs"], {
    cwd: root,
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, DATABASE_URL: "", ...env },
  });
}

describe("a second npm start on the same folders", () => {
  const base = mkdtempSync(path.join(root, ".data-locktest-"));
  const distName = path.relative(root, path.join(base, "next"));
  const pgliteDir = path.join(base, "pglite");
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill();
    rmSync(base, { recursive: true, force: true });
  });

  it("exits with a clear message before building when the build folder is held, and creates nothing", async () => {
    children.push(await holder(path.join(root, distName)));
    const run = start({ NEXT_DIST_DIR: distName, PGLITE_DIR: pgliteDir });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /\[policyplane\] not started: The build folder .*next is in use by process \d+\. Another Policyplane server runs from it/,
    );
    expect(run.stdout).not.toMatch(/building/);
    expect(existsSync(path.join(base, "next"))).toBe(false);
    expect(existsSync(pgliteDir)).toBe(false);
  });

  it("exits with a clear message when the embedded database is held, and leaves the build folder and the data alone", async () => {
    const dist = path.join(base, "next-2");
    const data = path.join(base, "held-data");
    spawnSync("mkdir", ["-p", dist, path.join(data, "pglite")]);
    children.push(await holder(path.join(data, "pglite")));
    const before = { dist: statSync(dist).mtimeMs, data: readdirSync(data) };
    const run = start({ NEXT_DIST_DIR: path.relative(root, dist), PGLITE_DIR: path.join(data, "pglite") });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/not started: The embedded database .*pglite is in use by process \d+/);
    expect(statSync(dist).mtimeMs).toBe(before.dist);
    expect(readdirSync(dist)).toEqual([]);
    expect(readdirSync(data)).toEqual(before.data);
    // Its own build-folder lock went with it.
    expect(existsSync(`${dist}.lock`)).toBe(false);
  });
});
