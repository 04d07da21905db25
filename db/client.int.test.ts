import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { POSTGRES_MAX_BACKOFF_S, boundedBackoff, openDatabase, postgresOptions } from "./client";

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

describe("a PostgreSQL that cannot be reached", () => {
  it("is given up on within the bounded wait, however many attempts failed before (not postgres.js's 20 s)", async () => {
    // Nothing listens on port 9: every attempt is refused at once, and each failure lengthens the next wait.
    const url = "postgres://policyplane@127.0.0.1:9/policyplane";
    const sql = postgres(url, { ...postgresOptions(url), max: 1 });
    try {
      for (let i = 0; i < 7; i++) await expect(sql`select 1`).rejects.toThrow(/ECONNREFUSED/);
      // postgres.js's own backoff would wait 10–20 s before this attempt.
      const started = performance.now();
      await expect(sql`select 1`).rejects.toThrow(/ECONNREFUSED/);
      expect(performance.now() - started).toBeLessThan((POSTGRES_MAX_BACKOFF_S + 1) * 1000);
      for (let retries = 0; retries < 30; retries++) expect(boundedBackoff(retries)).toBeLessThanOrEqual(POSTGRES_MAX_BACKOFF_S);
    } finally {
      await sql.end({ timeout: 1 });
    }
  }, 60_000);

  it("keeps a connect timeout or backoff that the URL or the environment sets, as postgres.js reads them", () => {
    expect(postgresOptions("postgres://u@h/db")).toMatchObject({ connect_timeout: 5, backoff: boundedBackoff });
    expect(postgresOptions("postgres://u@h/db?connect_timeout=30")).not.toHaveProperty("connect_timeout");
    expect(postgresOptions("postgres://u@h/db?backoff=1")).not.toHaveProperty("backoff");
    const before = process.env.PGCONNECT_TIMEOUT;
    process.env.PGCONNECT_TIMEOUT = "30";
    try {
      expect(postgresOptions("postgres://u@h/db")).not.toHaveProperty("connect_timeout");
    } finally {
      if (before === undefined) delete process.env.PGCONNECT_TIMEOUT;
      else process.env.PGCONNECT_TIMEOUT = before;
    }
  });
});
