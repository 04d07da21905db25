import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "./client";

describe("embedded database folder ownership", () => {
  const base = mkdtempSync(path.join(tmpdir(), "pp-lock-"));
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it("refuses a folder that a live process holds, naming that process", async () => {
    const dataDir = path.join(base, "held");
    writeFileSync(path.join(base, "held.lock"), String(process.ppid));
    await expect(openDatabase({ kind: "pglite", dataDir })).rejects.toThrow(`in use by process ${process.ppid}`);
  });

  it("takes over a lock left by a process that is gone, and releases it on close", async () => {
    const dataDir = path.join(base, "stale");
    writeFileSync(path.join(base, "stale.lock"), "999999999");
    const handle = await openDatabase({ kind: "pglite", dataDir });
    expect(existsSync(path.join(base, "stale.lock"))).toBe(true);
    await handle.close();
    expect(existsSync(path.join(base, "stale.lock"))).toBe(false);
  });
});
