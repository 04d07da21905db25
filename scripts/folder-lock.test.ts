import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FolderLockedError, lockFolder } from "./folder-lock.mjs";

const root = path.resolve(import.meta.dirname, "..");
const WORDS = { label: "The folder", advice: "Stop the other one." };

/** A node process that tries to take the lock: prints "won" and holds it a while, or prints the refusal. */
function contender(folder: string) {
  const code = `import { lockFolder } from ${JSON.stringify(path.join(root, "scripts", "folder-lock.mjs"))};
try { lockFolder(${JSON.stringify(folder)}, { label: "x", advice: "y" }); console.log("won"); setTimeout(() => {}, 1500); }
catch (e) { console.log(e.name); }`;
  return new Promise<string>((resolve) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", code], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("exit", () => resolve(out.trim()));
  });
}

describe("the folder lock", () => {
  const base = mkdtempSync(path.join(tmpdir(), "pp-folder-lock-"));
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it("lets exactly one of several processes starting at once take it", async () => {
    const folder = path.join(base, "race");
    const results = await Promise.all(Array.from({ length: 6 }, () => contender(folder)));
    expect(results.filter((r) => r === "won")).toHaveLength(1);
    expect(results.filter((r) => r === "FolderLockedError")).toHaveLength(5);
    // Nothing left behind but the winner's lock, which went with it.
    expect(readdirSync(base).filter((f) => f.startsWith("race"))).toEqual([]);
  });

  it("refuses a folder whose lock names a live process, naming it, and leaves that lock alone", () => {
    const folder = path.join(base, "held");
    writeFileSync(`${folder}.lock`, String(process.ppid));
    const error = (() => {
      try {
        lockFolder(folder, WORDS);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(FolderLockedError);
    expect((error as Error).message).toBe(`The folder ${folder} is in use by process ${process.ppid}. Stop the other one.`);
    expect(readFileSync(`${folder}.lock`, "utf8")).toBe(String(process.ppid));
  });

  it("takes over a lock whose process is gone, and releases only its own", () => {
    const folder = path.join(base, "stale");
    const gone = spawnSync(process.execPath, ["-e", "console.log(process.pid)"], { encoding: "utf8" });
    writeFileSync(`${folder}.lock`, gone.stdout.trim());
    const release = lockFolder(folder, WORDS);
    expect(readFileSync(`${folder}.lock`, "utf8")).toBe(String(process.pid));
    // Taking it again in the same process (npm start, then the database it opens) is no second lock.
    lockFolder(folder, WORDS)();
    expect(existsSync(`${folder}.lock`)).toBe(true);
    release();
    expect(existsSync(`${folder}.lock`)).toBe(false);
  });
});
