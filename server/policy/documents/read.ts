/**
 * Policyplane YAML (multi-document) → validated documents. Parsing and
 * positions come from engine-core's YAML reader; validation is the zod
 * contract in ./schema. Every problem is a located PolicyInputError naming the
 * file, line, column, the field path and what was expected.
 */
import type { z } from "zod";
import { PolicyInputError } from "../errors";
import { cidrContainsCidr, parseCidr } from "../util/ip";
import { formatPath, parseSource, type Located, type PathSeg, type RawObject } from "../read/yaml";
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
export function docProblem(doc: Pick<LocatedDocument<unknown>, "file" | "locate">, path: readonly PathSeg[], message: string, severity: "error" | "warning" = "error"): PolicyInputError {
  const p = doc.locate?.(path) ?? { line: 0, column: 0 };
  return new PolicyInputError({ file: doc.file ?? "<memory>", line: p.line, column: p.column, path: formatPath(path), message, severity });
}

function describeInput(v: unknown): string {
  if (v === undefined) return "nothing (the field is required)";
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  return `${typeof v} ${JSON.stringify(v)}`;
}

type Issue = z.core.$ZodIssue;
const segs = (path: readonly PropertyKey[]): PathSeg[] => path.filter((p): p is string | number => typeof p !== "symbol");

/** How badly an issue list says "this union branch is the wrong shape" (wrong keys rather than wrong values). */
function shapeMismatch(issues: readonly Issue[]): number {
  return issues.filter((i) => i.code === "unrecognized_keys" || (i.code === "invalid_type" && (i as { input?: unknown }).input === undefined)).length;
}

/** Flatten zod issues into (path, message) pairs; a union reports the branch whose shape fits the input. */
export function explainIssues(issues: readonly Issue[], base: PathSeg[] = []): { path: PathSeg[]; message: string }[] {
  const out: { path: PathSeg[]; message: string }[] = [];
  for (const iss of issues) {
    const path = [...base, ...segs(iss.path)];
    switch (iss.code) {
      case "unrecognized_keys":
        for (const key of iss.keys) out.push({ path: [...path, key], message: `unknown field "${key}"` });
        break;
      case "invalid_union": {
        const branches = iss.errors.filter((b) => b.length > 0);
        const best = [...branches].sort((a, b) => shapeMismatch(a) - shapeMismatch(b) || a.length - b.length)[0];
        if (best && shapeMismatch(best) === 0) out.push(...explainIssues(best, path));
        else out.push({ path, message: `expected one of the forms of this field, got ${describeInput((iss as { input?: unknown }).input)}; ${(best ? explainIssues(best, []) : []).map((x) => `${formatPath(x.path) || "value"}: ${x.message}`).join("; ")}` });
        break;
      }
      case "invalid_type":
        out.push({ path, message: `expected ${iss.expected === "object" ? "a mapping" : iss.expected === "array" ? "a list" : `a ${iss.expected}`}, got ${describeInput((iss as { input?: unknown }).input)}` });
        break;
      case "invalid_value":
        out.push({ path, message: `expected ${iss.values.map((v) => JSON.stringify(v)).join(" or ")}, got ${describeInput((iss as { input?: unknown }).input)}` });
        break;
      case "too_small":
        out.push({ path, message: iss.message.startsWith("Too small") ? `expected at least ${String(iss.minimum)}${iss.origin === "array" ? " item(s)" : iss.origin === "string" ? " character(s)" : ""}` : iss.message });
        break;
      case "too_big":
        out.push({ path, message: iss.message.startsWith("Too big") ? `expected at most ${String(iss.maximum)}${iss.origin === "array" ? " item(s)" : iss.origin === "string" ? " character(s)" : ""}` : iss.message });
        break;
      default:
        out.push({ path, message: iss.message });
    }
  }
  return out;
}

/** Checks the schema cannot state: ipBlock excepts inside their CIDR. */
function semanticChecks(doc: AnyDocument, problem: (path: PathSeg[], message: string) => void): void {
  const peerLists: { peers: readonly unknown[]; path: PathSeg[] }[] = [];
  if (doc.kind === "Policy") doc.spec.rules.forEach((r, i) => peerLists.push({ peers: r.peers, path: ["spec", "rules", i, "peers"] }));
  else if (doc.kind !== "Template") peerLists.push({ peers: doc.spec.peers, path: ["spec", "peers"] });
  for (const { peers, path } of peerLists) {
    peers.forEach((p, i) => {
      const peer = p as { cidr?: string; except?: string[] };
      if (!peer.cidr || !peer.except) return;
      const outer = parseCidr(peer.cidr);
      peer.except.forEach((e, j) => {
        const inner = parseCidr(e);
        if (outer && inner && !(cidrContainsCidr(outer, inner) && inner.prefix > outer.prefix)) problem([...path, i, "except", j], `expected a CIDR strictly inside ${peer.cidr}, got ${e}`);
      });
    });
  }
}

function readObject(obj: RawObject, errors: PolicyInputError[]): AnyDocument | null {
  const problem = (path: PathSeg[], message: string) => {
    const p = obj.locate(path);
    errors.push(new PolicyInputError({ file: obj.file, line: p.line, column: p.column, path: formatPath([...obj.base, ...path]), message }));
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
  const before = errors.length;
  semanticChecks(r.data, problem);
  return errors.length === before ? r.data : null;
}

/** Read Policyplane documents from in-memory YAML sources (pure: no file system). */
export function readDocumentSources(sources: readonly DocumentSource[]): DocumentReadResult {
  const documents: LocatedDocument[] = [];
  const templates: LocatedDocument<TemplateDocument>[] = [];
  const errors: PolicyInputError[] = [];
  const seen = new Map<string, string>();
  for (const source of sources) {
    const parsed = parseSource(source.file, source.text);
    errors.push(...parsed.errors);
    for (const obj of parsed.objects) {
      const doc = readObject(obj, errors);
      if (!doc) continue;
      const key = `${doc.kind}/${doc.metadata.name}`;
      const where = `${obj.file}:${obj.line}:${obj.column}`;
      const prev = seen.get(key);
      if (prev) {
        const p = obj.locate(["metadata", "name"]);
        errors.push(new PolicyInputError({ file: obj.file, line: p.line, column: p.column, path: "metadata.name", message: `${key} is already defined at ${prev}; document names are unique per kind` }));
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
export function inMemoryDocuments(docs: readonly (PolicyplaneDocument | { document: PolicyplaneDocument; version?: string })[]): LocatedDocument[] {
  return docs.map((d) => ("document" in d ? { document: d.document, ...(d.version ? { version: d.version } : {}) } : { document: d }));
}
