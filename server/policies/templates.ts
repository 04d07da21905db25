// The templates gallery: the engine's built-in templates (server/policy/documents/templates),
// read with the engine's reader. Read from the checkout at run time (the folder is
// data, not code the bundler can see), once per process.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { NotFound } from "@/server/errors";
import { readDocumentSources, type LocatedDocument } from "@/server/policy/documents/read";
import type { TemplateDocument } from "@/server/policy/documents/schema";

const TEMPLATES_DIR = path.join(process.cwd(), "server", "policy", "documents", "templates");

let cache: LocatedDocument<TemplateDocument>[] | null = null;

export function builtinTemplates(): LocatedDocument<TemplateDocument>[] {
  if (cache) return cache;
  const files = readdirSync(TEMPLATES_DIR).filter((f) => /\.ya?ml$/.test(f)).sort();
  const read = readDocumentSources(files.map((f) => ({ file: f, text: readFileSync(path.join(TEMPLATES_DIR, f), "utf8") })));
  if (read.errors.length > 0) throw new Error(`built-in templates do not read: ${read.errors.map((e) => e.message).join("; ")}`);
  cache = read.templates;
  return cache;
}

export function findTemplate(id: string): LocatedDocument<TemplateDocument> {
  const t = builtinTemplates().find((x) => x.document.metadata.name === id);
  if (!t) throw new NotFound(`No template named ${id}.`);
  return t;
}

export function listTemplates() {
  return builtinTemplates().map(({ document: t }) => ({
    id: t.metadata.name,
    description: t.metadata.description ?? "",
    owner: t.metadata.owner ?? "",
    tier: String(t.spec.policy.spec.tier ?? "namespace"),
    parameters: t.spec.parameters.map((p) => ({ name: p.name, type: p.type, description: p.description, default: p.default ?? null })),
  }));
}
