#!/usr/bin/env node
// The server Playwright starts: a fresh embedded database every run, then the
// same build-if-needed + serve path as `npm start`.
import { rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dataDir = path.resolve(root, process.env.PGLITE_DIR ?? ".data-e2e/pglite", "..");
if (!dataDir.startsWith(path.join(root, ".data-e2e"))) throw new Error(`refusing to wipe ${dataDir}: e2e data must live under .data-e2e/`);
rmSync(dataDir, { recursive: true, force: true });
await import("./start.mjs");
