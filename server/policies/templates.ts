import "server-only";
// The templates gallery: the engine's built-in templates, read with the engine's
// reader once per process.
import { NotFound } from "@/server/errors";
import { builtinTemplatesDir, readDocumentPaths } from "@/server/policy/documents/fs";
import type { LocatedDocument } from "@/server/policy/documents/read";
import type { TemplateDocument } from "@/server/policy/documents/schema";

let cache: LocatedDocument<TemplateDocument>[] | null = null;

export function builtinTemplates(): LocatedDocument<TemplateDocument>[] {
  if (cache) return cache;
  const read = readDocumentPaths([builtinTemplatesDir()]);
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
