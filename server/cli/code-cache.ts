/**
 * The engine commands (simulate, validate, explain, reachability) loaded with V8's code cache. Node 20
 * has no compile cache for ES modules, so the CLI bundle (bin/cli-bundle.mjs) also carries those
 * commands as one CommonJS script, `engine.cjs`, which this module compiles with the code cache kept
 * beside it: the functions a run compiled (bytecode, not optimised code) are read back instead of
 * parsed and compiled again at every start. Without the script (the sources run through tsx) the
 * commands are imported as usual.
 */
import { isAscii } from "node:buffer";
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import vm from "node:vm";
import type * as Engine from "./commands/engine";

type EngineCommands = typeof Engine;

export interface CachedScript<T> {
  exports: T;
  /** What became of the cache file: read and taken, missing, or refused by V8 (another Node, other flags). */
  cache: "used" | "missing" | "rejected";
  /** Write the cache of what has been compiled so far (when it was not used): a later start takes it. */
  save: () => void;
}

/** Runs the CommonJS script `file` (compiled with `cacheFile` when V8 takes it) and returns its exports. */
export function loadWithCodeCache<T>(file: string, cacheFile = `${file}.cache`): CachedScript<T> {
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  // The bundle is ASCII (see bin/cli-bundle.mjs): read as Latin-1 it is copied, not decoded.
  const bytes = readFileSync(file);
  const source = isAscii(bytes) ? bytes.toString("latin1") : bytes.toString("utf8");
  // Strict, as the ES modules it was built from are (esbuild's own "use strict" follows the banner, where it counts for nothing).
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {"use strict";${source}\n})`, {
    filename: file,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const cache = cachedData === undefined ? "missing" : script.cachedDataRejected ? "rejected" : "used";
  const module = { exports: {} as T };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(file), module, file, dirname(file));
  const save = () => {
    if (cache === "used") return;
    const tmp = `${cacheFile}.${process.pid}`;
    try {
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, cacheFile);
    } catch {
      // A read-only install: every start compiles, as without a cache (and serialises one it cannot keep).
      rmSync(tmp, { force: true });
    }
  };
  return { exports: module.exports, cache, save };
}

/** An engine command, whose run's compiled functions are cached apart from the others'. */
export type EngineCommand = "simulate" | "validate" | "explain" | "reachability";

/**
 * V8 flags for the engine commands, which read the manifests and build their model once (measured with
 * bench/cli.ts's simulate, interleaved runs against the same bundle without the flag):
 * - the interrupt budget at four times Node 20's default (67,584 bytes of bytecode run), so a function
 *   is optimised after running four times as long: with the default, TurboFan compiles hundreds of
 *   those one-pass functions on background threads that take a core from the main thread on a 2-core
 *   machine, and most compiled code arrives after its loop is done. CPU time −13 %, wall −5 to −7 %
 *   (medians of 14 runs); three and eight times the default gave less. Measured on Node 20 only (a
 *   newer V8 may have another default: this value is absolute, not a multiple of it).
 * - the young generation grows four times at a step instead of two: most of what reading allocates
 *   survives (it is the model), and each collection of a small young generation copies it. 21 → 17
 *   collections; CPU time −5 %, wall −1 to −2 % (medians of 20 runs).
 * V8 takes both at run time (not a heap's size, which it fixes at start).
 */
const ENGINE_V8_FLAGS = ["--interrupt-budget=270336", "--semi-space-growth-factor=4"];

/**
 * The engine commands: from the bundle's `engine.cjs` with `command`'s code cache (written when this
 * process exits), else imported.
 */
export async function engineCommands(command: EngineCommand): Promise<EngineCommands> {
  // Before the script is compiled: a code cache records the flags it was made under, and V8 refuses
  // it under others.
  for (const flag of ENGINE_V8_FLAGS) setFlagsFromString(flag);
  const file = fileURLToPath(new URL("./engine.cjs", import.meta.url));
  if (import.meta.url.endsWith(".ts") || !existsSync(file)) return import("./commands/engine");
  // One cache per command: the cache holds the functions its run compiled (written at exit), and
  // one written by a validate would leave simulate's stream to be compiled at every start.
  const loaded = loadWithCodeCache<EngineCommands>(file, `${file}.${command}.cache`);
  if (loaded.cache !== "used") process.once("exit", loaded.save);
  return loaded.exports;
}
