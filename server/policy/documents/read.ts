/**
 * Policyplane YAML (multi-document) → validated documents. Parsing and
 * positions come from engine-core's YAML reader; validation is the zod
 * contract in ./schema. Every problem is a located PolicyInputError naming the
 * file, line, column, the field path and what was expected.
 */
import { PolicyInputError } from "../errors";
import { formatPath, parseSource, type Located, type PathSeg, type RawObject } from "../read/yaml";
import { describeInput, explainIssues } from "../read/issues";
import { API_VERSION, DOCUMENT_KINDS, anyDocument, type AnyDocument, type PolicyplaneDocument, type TemplateDocument } from "./schema";

export interface DocumentSource {
  file: string;
  text: string;
}

/** A validated document and where it came from. */
export interface LocatedDocument<D = PolicyplaneDocument> {
  document: D;
  /** Stored document version (from the database or a release) when known. */
  version?: string;
  file?: string;
  line?: number;
  column?: number;
  /** Position of a field path inside the document (nearest existing node). */
  locate?: (path: readonly PathSeg[]) => Located;
}

export interface DocumentReadResult {
  documents: LocatedDocument[];
  templates: LocatedDocument<TemplateDocument>[];
  errors: PolicyInputError[];
}

/** Where a LocatedDocument's field is, as a PolicyInputError. */
export function docProblem(
  doc: Pick<LocatedDocument<unknown>, "file" | "locate">,
  path: readonly PathSeg[],
  message: string,
  severity: "error" | "warning" = "error",
): PolicyInputError {
  const p = doc.locate?.(path) ?? { line: 0, column: 0 };
  return new PolicyInputError({ file: doc.file ?? "<memory>", line: p.line, column: p.column, path: formatPath(path), message, severity });
}

export interface DocumentReadOptions {
  /** Skip objects of another apiVersion (Kubernetes objects beside the documents) instead of refusing them. */
  skipForeign?: boolean;
}

function readObject(obj: RawObject, errors: PolicyInputError[]): AnyDocument | null {
  const problem = (path: PathSeg[], message: string) => {
    const p = obj.locate(path);
    errors.push(
      new PolicyInputError({ file: obj.file, line: p.line, column: p.column, path: formatPath([...obj.base, ...path]), message }),
    );
  };
  const v = obj.value as { apiVersion?: unknown; kind?: unknown };
  if (v.apiVersion !== API_VERSION) {
    problem(["apiVersion"], `expected apiVersion ${JSON.stringify(API_VERSION)}, got ${describeInput(v.apiVersion)}`);
    return null;
  }
  if (typeof v.kind !== "string" || !(DOCUMENT_KINDS as readonly string[]).includes(v.kind)) {
    problem(["kind"], `expected kind ${DOCUMENT_KINDS.join(", ")}, got ${describeInput(v.kind)}`);
    return null;
  }
  const r = anyDocument.safeParse(obj.value, { reportInput: true });
  if (!r.success) {
    for (const e of explainIssues(r.error.issues)) problem(e.path, e.message);
    return null;
  }
  return r.data;
}

/** Read Policyplane documents from in-memory YAML sources (pure: no file system). */
export function readDocumentSources(sources: readonly DocumentSource[], options: DocumentReadOptions = {}): DocumentReadResult {
  const documents: LocatedDocument[] = [];
  const templates: LocatedDocument<TemplateDocument>[] = [];
  const errors: PolicyInputError[] = [];
  const seen = new Map<string, string>();
  for (const source of sources) {
    const parsed = parseSource(source.file, source.text);
    errors.push(...parsed.errors);
    for (const obj of parsed.objects) {
      if (options.skipForeign && (obj.value as { apiVersion?: unknown } | null)?.apiVersion !== API_VERSION) continue;
      const doc = readObject(obj, errors);
      if (!doc) continue;
      const key = `${doc.kind}/${doc.metadata.name}`;
      const where = `${obj.file}:${obj.line}:${obj.column}`;
      const prev = seen.get(key);
      if (prev) {
        const p = obj.locate(["metadata", "name"]);
        errors.push(
          new PolicyInputError({
            file: obj.file,
            line: p.line,
            column: p.column,
            path: "metadata.name",
            message: `${key} is already defined at ${prev}; document names are unique per kind`,
          }),
        );
        continue;
      }
      seen.set(key, where);
      const located = { file: obj.file, line: obj.line, column: obj.column, locate: (path: readonly PathSeg[]) => obj.locate(path) };
      if (doc.kind === "Template") templates.push({ document: doc, ...located });
      else documents.push({ document: doc, ...located });
    }
  }
  return { documents, templates, errors };
}

/** Wrap in-memory documents (the database, the seed) without positions. */
export function inMemoryDocuments(
  docs: readonly (PolicyplaneDocument | { document: PolicyplaneDocument; version?: string })[],
): LocatedDocument[] {
  return docs.map((d) => ("document" in d ? { document: d.document, ...(d.version ? { version: d.version } : {}) } : { document: d }));
}
