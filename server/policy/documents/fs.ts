/** File-system entry point for Policyplane documents (files or folders of YAML), and the built-in templates. */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { collectSources } from "../read/fs";
import { readDocumentSources, type DocumentReadResult } from "./read";

/**
 * The templates shipped with Policyplane (server/policy/documents/templates).
 * Beside this module when run from source (CLI, tests); inside a bundled server
 * (Next.js) the module has moved, and the folder is found from the checkout.
 * Written without `new URL("./templates", import.meta.url)`, which bundlers
 * try (and fail) to resolve as an asset at build time.
 */
export function builtinTemplatesDir(): string {
  const candidates = [
    path.join(path.dirname(fileURLToPath(import.meta.url)), "templates"),
    path.join(process.cwd(), "server", "policy", "documents", "templates"),
  ];
  const found = candidates.find((dir) => existsSync(dir));
  if (!found) throw new Error(`built-in templates not found (looked in ${candidates.join(", ")})`);
  return found;
}

/** Read Policyplane documents from files and folders (recursively, *.yaml|*.yml|*.json, sorted). */
export function readDocumentPaths(paths: readonly string[]): DocumentReadResult {
  const { sources, errors } = collectSources(paths);
  const r = readDocumentSources(sources);
  return { ...r, errors: [...errors, ...r.errors] };
}
