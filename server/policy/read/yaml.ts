/** Multi-document YAML with positions: every error can name file, line and column. */
import { LineCounter, parseAllDocuments, isMap, isNode, isScalar, isSeq } from "yaml";
import type { Document, Node as YamlNode } from "yaml";
import { PolicyInputError } from "../errors";

export type PathSeg = string | number;

export interface Located {
  line: number;
  column: number;
}

/** One Kubernetes object found in a source: the document it came from and the path prefix inside it (List items). */
export interface RawObject {
  file: string;
  value: unknown;
  /** Path of the object inside its YAML document: [] or ["items", i]. */
  base: PathSeg[];
  line: number;
  column: number;
  /** Position of a path relative to the object (the nearest existing node). */
  locate(path: readonly PathSeg[]): Located;
}

export function formatPath(path: readonly PathSeg[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out ? `.${seg}` : seg;
  }
  return out;
}

function nodeAt(doc: Document, path: readonly PathSeg[]): { node: YamlNode; exact: boolean } | null {
  // Walk down; if a segment is missing, return the deepest node found.
  let cur: unknown = doc.contents;
  let exact = true;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    if (isMap(cur)) {
      const pair = cur.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
      if (!pair) {
        exact = false;
        break;
      }
      // For the last segment point at the key (the field name) unless the value is a collection.
      if (i === path.length - 1 && isNode(pair.key) && !(isMap(pair.value) || isSeq(pair.value))) return { node: pair.key, exact: true };
      cur = pair.value;
    } else if (isSeq(cur) && typeof seg === "number") {
      const item = cur.items[seg];
      if (item === undefined) {
        exact = false;
        break;
      }
      cur = item;
    } else {
      exact = false;
      break;
    }
  }
  return isNode(cur) ? { node: cur, exact } : null;
}

function posOf(lc: LineCounter, node: YamlNode | null | undefined): Located {
  const off = node?.range?.[0];
  if (off === undefined) return { line: 0, column: 0 };
  const p = lc.linePos(off);
  return { line: p.line, column: p.col };
}

export interface ParsedSource {
  objects: RawObject[];
  errors: PolicyInputError[];
}

const LIST_KIND = /List$/;

/**
 * Parse one file's text into Kubernetes objects. Multi-document YAML and
 * `kind: List` (kubectl get -o yaml) are both expanded. YAML syntax errors are
 * reported with their position; a document with a syntax error yields no objects.
 */
export function parseSource(file: string, text: string): ParsedSource {
  const lineCounter = new LineCounter();
  const errors: PolicyInputError[] = [];
  const objects: RawObject[] = [];
  let docs: Document[];
  try {
    const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
    docs = Array.isArray(parsed) ? parsed : [];
  } catch (e) {
    errors.push(new PolicyInputError({ file, message: `could not parse YAML: ${(e as Error).message}` }));
    return { objects, errors };
  }
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      for (const err of doc.errors) {
        const p = err.linePos?.[0] ?? lineCounter.linePos(Math.min(err.pos[0], Math.max(0, text.length - 1)));
        errors.push(new PolicyInputError({ file, line: p.line, column: p.col, message: `invalid YAML: ${err.message.split("\n")[0]}` }));
      }
      continue;
    }
    if (doc.contents === null) continue; // empty document (comments only)
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      const p = posOf(lineCounter, doc.contents);
      errors.push(new PolicyInputError({ file, line: p.line, column: p.column, message: `invalid YAML: ${(e as Error).message}` }));
      continue;
    }
    const make = (base: PathSeg[], v: unknown): RawObject => {
      const here = posOf(lineCounter, nodeAt(doc, base)?.node);
      return {
        file,
        value: v,
        base,
        line: here.line,
        column: here.column,
        locate: (path) => posOf(lineCounter, nodeAt(doc, [...base, ...path])?.node),
      };
    };
    if (value === null || value === undefined) continue; // a document holding only `~` / null
    if (typeof value !== "object" || Array.isArray(value)) {
      const p = posOf(lineCounter, doc.contents);
      errors.push(new PolicyInputError({ file, line: p.line, column: p.column, message: `expected a Kubernetes object (a mapping with apiVersion and kind), got ${Array.isArray(value) ? "a list" : typeof value}` }));
      continue;
    }
    const obj = value as Record<string, unknown>;
    if (typeof obj.kind === "string" && LIST_KIND.test(obj.kind) && "items" in obj) {
      if (!Array.isArray(obj.items)) {
        const p = posOf(lineCounter, nodeAt(doc, ["items"])?.node);
        errors.push(new PolicyInputError({ file, line: p.line, column: p.column, path: "items", message: "expected a list of objects" }));
        continue;
      }
      obj.items.forEach((item, i) => objects.push(make(["items", i], item)));
    } else {
      objects.push(make([], value));
    }
  }
  return { objects, errors };
}
