/** File-system entry point for Policyplane documents (files or folders of YAML), and the built-in templates. */
import { fileURLToPath } from "node:url";
import { collectSources } from "../read/fs";
import { readDocumentSources, type DocumentReadResult } from "./read";

/** The templates shipped with Policyplane (server/policy/documents/templates). */
export const BUILTIN_TEMPLATES_DIR = fileURLToPath(new URL("./templates", import.meta.url));

/** Read Policyplane documents from files and folders (recursively, *.yaml|*.yml|*.json, sorted). */
export function readDocumentPaths(paths: readonly string[]): DocumentReadResult {
  const { sources, errors } = collectSources(paths);
  const r = readDocumentSources(sources);
  return { ...r, errors: [...errors, ...r.errors] };
}
