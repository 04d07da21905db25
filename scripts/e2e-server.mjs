#!/usr/bin/env node
// The server Playwright starts: a fresh embedded database every run, then the
// same lock + build-if-needed + serve path as `npm start`.
import { readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FolderLockedError, lockFolder } from "./folder-lock.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const pgliteDir = path.resolve(root, process.env.PGLITE_DIR ?? ".data-e2e/pglite");
const dataDir = path.dirname(pgliteDir);
if (!dataDir.startsWith(path.join(root, ".data-e2e"))) throw new Error(`refusing to wipe ${dataDir}: e2e data must live under .data-e2e/`);
// The lock first (start.mjs finds it already ours): a server still running on these folders keeps its data.

try {
  lockFolder(pgliteDir, { label: "The e2e database", advice: "An e2e server still runs on it: stop it, or use another E2E_PORT." });
} catch (error) {
  if (!(error instanceof FolderLockedError)) throw error;
  console.error(`[policyplane] not started: ${error.message}`);
  process.exit(1);
}
const lockName = `${path.basename(pgliteDir)}.lock`;
for (const entry of readdirSync(dataDir)) if (entry !== lockName) rmSync(path.join(dataDir, entry), { recursive: true, force: true });
process.env.PGLITE_DIR = pgliteDir;
await import("./start.mjs");
