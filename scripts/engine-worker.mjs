#!/usr/bin/env node
// Bundles the engine worker (server/engine-pool/worker.ts and the engine it
// imports) into one JavaScript file that worker threads load as it is, under
// `next start`, `next dev` and vitest alike. npm packages stay imports
// (resolved from node_modules); the file is named by its content, so a changed
// engine is a new file and a running server keeps the one it started with.
// Run as a script it prints the file's path.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { WORKER_ENTRIES } from "./worker-entries.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** Inside the project, so the bundle's package imports resolve from its node_modules. */
export const ENGINE_WORKER_DIR = path.join(root, "node_modules", ".cache", "policyplane");

/**
 * @param {string} [outDir]
 * @param {string} [entry] the worker's entry, relative to the project (the replay runs' worker is another)
 * @param {string} [prefix] the bundle's file name prefix
 * @returns {Promise<string>} the absolute path of the bundled worker
 */
export async function buildEngineWorker(
  outDir = ENGINE_WORKER_DIR,
  entry = WORKER_ENTRIES.engine.entry,
  prefix = WORKER_ENTRIES.engine.prefix,
) {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    tsconfig: path.join(root, "tsconfig.json"),
    bundle: true,
    packages: "external",
    platform: "node",
    format: "esm",
    target: "node20",
    write: false,
    logLevel: "silent",
  });
  const code = result.outputFiles[0].contents;
  const file = path.join(outDir, `${prefix}-${createHash("sha256").update(code).digest("hex").slice(0, 16)}.mjs`);
  if (!existsSync(file)) {
    mkdirSync(outDir, { recursive: true });
    // Written whole under another name, then renamed: a concurrent builder or reader never sees half a file.
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, code);
    renameSync(partial, file);
  }
  return file;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    // Optional arguments: another entry and its prefix (`node scripts/engine-worker.mjs server/simulator/run-worker.ts replay-worker`).
    const [entry, prefix] = process.argv.slice(2);
    console.log(await buildEngineWorker(ENGINE_WORKER_DIR, entry, prefix));
  } catch (error) {
    console.error(`[policyplane] could not bundle the engine worker: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  }
}
