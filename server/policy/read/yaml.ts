/**
 * Multi-document YAML with positions: every error can name file, line and column.
 *
 * Plain block YAML (most manifests) is read first by ./yaml-block.ts, which returns what the
 * fast path below would, several times faster, or leaves the text to it. It hands over one
 * document at a time (streamSource), so a reader that builds its model as objects come never
 * holds a large file's whole parse: on a 2.9 MiB cluster that was most of the garbage
 * collector's work, as every parsed node lived through several collections.
 *
 * Two parsers, one answer. The fast path (js-yaml, 4–10× faster here) builds
 * the values and records where each mapping and sequence starts, which is all
 * that readers need when nothing is wrong (objects and rules are collections).
 * Any other position — a key, a scalar, a missing field, i.e. something to
 * report — comes from `yaml`'s position-tracking parse, run once per source on
 * first need. Sources the fast path does not model exactly (anchors, aliases,
 * tags, directives) and any text js-yaml refuses go to `yaml` whole, so its
 * messages and per-document recovery stay what they were. Both paths are
 * bounded (see ./bounded): nesting is refused before it can overflow the stack.
 */
import jsyaml from "js-yaml";
import { Composer, LineCounter, Lexer, Parser, isMap, isNode, isScalar, isSeq } from "yaml";
import type { CST, Document, Node as YamlNode, YAMLError } from "yaml";
import { PolicyInputError } from "../errors";
import { YAML_LIMITS, checkText, lineColumn, type YamlLimits } from "./bounded";
import { eachBlockDocument } from "./yaml-block";
import { BOOLS, coreKind, coreNumber } from "./yaml-core";

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

/** Turns each document's value into objects (expanding `kind: List`), or a located error. */
function collectObjects(
  file: string,
  docs: Iterable<{ value: unknown; locate: (path: readonly PathSeg[]) => Located }>,
  push: (obj: RawObject) => void,
  errors: PolicyInputError[],
): void {
  for (const { value, locate } of docs) {
    if (value === null || value === undefined) continue; // an empty document, or one holding only `~` / null
    const make = (base: PathSeg[], v: unknown): RawObject => {
      const here = locate(base);
      return { file, value: v, base, line: here.line, column: here.column, locate: (path) => locate([...base, ...path]) };
    };
    if (typeof value !== "object" || Array.isArray(value)) {
      const p = locate([]);
      errors.push(
        new PolicyInputError({
          file,
          line: p.line,
          column: p.column,
          message: `expected a Kubernetes object (a mapping with apiVersion and kind), got ${Array.isArray(value) ? "a list" : typeof value}`,
        }),
      );
      continue;
    }
    const obj = value as Record<string, unknown>;
    if (typeof obj.kind === "string" && LIST_KIND.test(obj.kind) && "items" in obj) {
      if (!Array.isArray(obj.items)) {
        const p = locate(["items"]);
        errors.push(new PolicyInputError({ file, line: p.line, column: p.column, path: "items", message: "expected a list of objects" }));
        continue;
      }
      obj.items.forEach((item, i) => push(make(["items", i], item)));
    } else {
      push(make([], value));
    }
  }
}

// ---------------------------------------------------------------------------
// The position-tracking parse (yaml)

interface Positional {
  docs: Document[];
  lineCounter: LineCounter;
  errors: PolicyInputError[];
}

/**
 * yaml's Lexer and Parser are iterative (the parser keeps an explicit stack); only
 * the Composer recurses. So the token stream is driven here, the parser's stack is
 * watched as it grows, and the Composer only ever sees a stream within the bounds.
 */
function positionalParse(file: string, text: string, limits: YamlLimits): Positional {
  const lineCounter = new LineCounter();
  const parser = new Parser(lineCounter.addNewLine);
  lineCounter.addNewLine(0);
  const tokens: CST.Token[] = [];
  let documents = 0;
  const refuse = (offset: number, message: string): Positional => {
    const p = lineColumn(text, offset);
    return { docs: [], lineCounter, errors: [new PolicyInputError({ file, line: p.line, column: p.column, message })] };
  };
  const take = (tok: CST.Token): Positional | null => {
    tokens.push(tok);
    if (tok.type === "document" && ++documents > limits.maxDocuments)
      return refuse(tok.offset, `more than ${limits.maxDocuments} YAML documents in one file; not parsed`);
    return null;
  };
  for (const lexeme of new Lexer().lex(text)) {
    for (const tok of parser.next(lexeme)) {
      const refused = take(tok);
      if (refused) return refused;
    }
    // The stack holds the document, then one entry per open collection (plus the current scalar).
    if (parser.stack.length > limits.maxDepth + 2)
      return refuse(parser.offset, `YAML nested deeper than ${limits.maxDepth} levels; not parsed`);
  }
  for (const tok of parser.end()) {
    const refused = take(tok);
    if (refused) return refused;
  }
  const docs = Array.from(new Composer({ prettyErrors: false, uniqueKeys: true }).compose(tokens)) as Document[];
  return { docs, lineCounter, errors: [] };
}

/**
 * The YAML library's wording for the mistakes people make most, replaced by what
 * to do about them (the library's own message is kept for everything else).
 */
const PLAIN_WORDS: Partial<Record<YAMLError["code"], string>> = {
  MULTILINE_IMPLICIT_KEY: 'a key needs a colon and a space after it ("key: value")',
  BLOCK_AS_IMPLICIT_KEY: 'a value holding ": " must be quoted, or its key belongs on its own line',
  TAB_AS_INDENT: "a tab indents this line; YAML indents with spaces only",
  DUPLICATE_KEY: "this key is already set above in the same mapping; keep one",
};

function plainMessage(err: YAMLError): string {
  const first = err.message.split("\n")[0]!;
  if (err.code === "MISSING_CHAR" && /followed by map values/.test(first)) return PLAIN_WORDS.MULTILINE_IMPLICIT_KEY!;
  if (err.code === "BAD_INDENT" && /same column/.test(first)) return "this line is not indented like the other keys at its level";
  if (/^Flow (sequence|mapping)/.test(first))
    return first.startsWith("Flow sequence")
      ? 'a list opened with "[" is not closed with "]"'
      : 'a mapping opened with "{" is not closed with "}"';
  return PLAIN_WORDS[err.code] ?? first;
}

/**
 * Where to point for a syntax error. The library places some errors (a line
 * indented too little) at the end of the line before the culprit; a reader looks
 * for the culprit, so an error at a line's end moves to the next line's text.
 */
function errorOffset(text: string, offset: number): number {
  let i = offset;
  while (i < text.length && (text[i] === " " || text[i] === "\t")) i++;
  if (text[i] !== "\n" && text[i] !== "\r") return offset;
  while (i < text.length && /\s/.test(text[i]!)) i++;
  return i < text.length ? i : offset;
}

/** The reference reader: yaml's documents, errors and positions (what the fast path must agree with). */
export function parseSourcePositional(file: string, text: string, limits: YamlLimits = YAML_LIMITS): ParsedSource {
  const { docs, lineCounter, errors } = positionalParse(file, text, limits);
  const objects: RawObject[] = [];
  const values: { value: unknown; locate: (path: readonly PathSeg[]) => Located }[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      // The first error on a line is the mistake; the library's next ones on that line follow from it.
      const linesWithError = new Set<number>();
      for (const err of doc.errors) {
        const p = lineCounter.linePos(errorOffset(text, Math.min(err.pos[0], Math.max(0, text.length - 1))));
        if (linesWithError.has(p.line)) continue;
        linesWithError.add(p.line);
        errors.push(new PolicyInputError({ file, line: p.line, column: p.col, message: `invalid YAML: ${plainMessage(err)}` }));
      }
      continue;
    }
    if (doc.contents === null) continue; // empty document (comments only)
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: limits.maxAliasCount });
    } catch (e) {
      const p = posOf(lineCounter, doc.contents);
      errors.push(new PolicyInputError({ file, line: p.line, column: p.column, message: `invalid YAML: ${(e as Error).message}` }));
      continue;
    }
    values.push({ value, locate: (path) => posOf(lineCounter, nodeAt(doc, path)?.node) });
  }
  collectObjects(file, values, (o) => objects.push(o), errors);
  return { objects, errors };
}

// ---------------------------------------------------------------------------
// The fast path (js-yaml)

const CORE = jsyaml.FAILSAFE_SCHEMA.extend({
  implicit: [
    new jsyaml.Type("tag:policyplane.io,2026:core-scalar", {
      kind: "scalar",
      resolve: (s: string) => coreKind(s) !== null,
      construct: (s: string) => {
        const k = coreKind(s);
        return k === "null" ? null : k === "bool" ? BOOLS.get(s) : coreNumber(s);
      },
    }),
  ],
});

/**
 * What the fast path leaves to `yaml` (matched loosely: a false match only costs speed):
 * anchors, aliases and tags (yaml expands aliases under a bound), directives, and keys
 * that are not plain strings (explicit `?` keys, null or empty keys, collections as keys),
 * which the two libraries turn into different property names.
 */
const NOT_FAST = /(?:^|[\s[{,])(?:[&*!]|\?(?:\s|$)|(?:~|null|Null|NULL)?[ \t]?:(?:\s|$))|^%|[\]}][ \t]*:(?:\s|$)/m;

type LoadOptions = jsyaml.LoadOptions & { maxDepth?: number };

class TooManyDocuments extends Error {}

interface FastParse {
  values: unknown[];
  /** Per document, where its root node was opened. */
  roots: number[];
  /**
   * Where js-yaml opened each mapping and sequence (the offset before its leading
   * space). A side map rather than a property on the value: adding a property to
   * every parsed object changed their shapes and cost a third of the parse.
   */
  opened: Map<object, number>;
}

function fastParse(text: string, limits: YamlLimits): FastParse {
  const stack: number[] = [];
  const roots: number[] = [];
  const opened = new Map<object, number>();
  const options: LoadOptions = {
    schema: CORE,
    maxDepth: limits.maxDepth,
    listener(event, state) {
      if (event === "open") {
        if (stack.length === 0 && roots.push(state.position) > limits.maxDocuments) throw new TooManyDocuments();
        stack.push(state.position);
        return;
      }
      const at = stack.pop()!;
      const r: unknown = state.result;
      if (r !== null && typeof r === "object") opened.set(r, at);
    },
  };
  return { values: jsyaml.loadAll(text, null, options), roots, opened };
}

/** Skip separation (spaces, line breaks, comments) from where js-yaml opened a node to its first character. */
function nodeStart(text: string, at: number): number {
  let i = at;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
    else if (c === 0x23 /* # */) {
      const nl = text.indexOf("\n", i);
      if (nl < 0) return text.length;
      i = nl + 1;
    } else return i;
  }
}

/** Line starts, for offset → line/column by binary search. */
function lineStarts(text: string): Int32Array {
  // Counted first, then filled: one flat array instead of a growing list of 100,000s of entries.
  let lines = 1;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) lines++;
  const starts = new Int32Array(lines);
  let n = 1;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts[n++] = i + 1;
  return starts;
}

function positionIn(starts: Int32Array, offset: number): Located {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo]! + 1 };
}

/**
 * Positions in one source for the fast paths: a collection's from where it was opened, anything
 * else from the position-tracking parse of the whole source, run once on first need.
 */
class SourcePositions {
  private starts: Int32Array | undefined;
  private slow: Map<number, Document> | undefined;
  private slowLines: LineCounter | undefined;

  constructor(
    private readonly file: string,
    private readonly text: string,
    private readonly limits: YamlLimits,
  ) {}

  /** `locate` of a document whose value is `value`, its root at `rootOffset`; `opened` finds where a collection starts. */
  locator(value: unknown, opened: (node: object) => Located | undefined, rootOffset: number): (path: readonly PathSeg[]) => Located {
    return (path) => {
      let cur: unknown = value;
      for (const seg of path)
        cur = cur !== null && typeof cur === "object" && Object.hasOwn(cur, seg) ? (cur as Record<string, unknown>)[seg] : undefined;
      const at = cur !== null && typeof cur === "object" ? opened(cur) : undefined;
      if (at !== undefined) return at;
      const doc = this.slowDoc(rootOffset);
      return doc ? posOf(this.slowLines!, nodeAt(doc, path)?.node) : { line: 0, column: 0 };
    };
  }

  /** Where js-yaml opened a collection, as a position (`opened` holds the offset before its leading space). */
  jsyamlOpened(opened: Map<object, number>): (node: object) => Located | undefined {
    return (node) => {
      const at = opened.get(node);
      return at === undefined ? undefined : positionIn((this.starts ??= lineStarts(this.text)), nodeStart(this.text, at));
    };
  }

  /** Documents of the position-tracking parse by where their contents start (parsed on first need). */
  private slowDoc(rootOffset: number): Document | undefined {
    if (!this.slow) {
      const p = positionalParse(this.file, this.text, this.limits);
      this.slowLines = p.lineCounter;
      this.slow = new Map(p.docs.flatMap((d) => (d.contents?.range ? [[d.contents.range[0], d] as const] : [])));
    }
    return this.slow.get(rootOffset);
  }
}

/** Where a source's objects go as they are read. */
export interface ObjectSink {
  object(obj: RawObject): void;
  /** Forget every object given so far for this source: it is read again from the start, another way. */
  restart(): void;
}

/**
 * Parse one file's text into Kubernetes objects, handing each to `sink` as soon as its document
 * is read, and return the source's errors. Plain block YAML is read one document at a time, so a
 * caller that reads each object as it comes keeps only what it builds, not the whole parse; when
 * the text turns out not to be in the block subset, the sink restarts and the text is read whole.
 */
export function streamSource(file: string, text: string, sink: ObjectSink, limits: YamlLimits = YAML_LIMITS): PolicyInputError[] {
  const refused = checkText(text, limits.maxChars, "the file");
  if (refused) {
    const p = refused.offset === limits.maxChars ? { line: 1, column: 1 } : lineColumn(text, refused.offset);
    return [new PolicyInputError({ file, ...p, message: refused.message })];
  }
  const give = (parsed: ParsedSource): PolicyInputError[] => {
    for (const o of parsed.objects) sink.object(o);
    return parsed.errors;
  };
  const positions = new SourcePositions(file, text, limits);
  const errors: PolicyInputError[] = [];
  const push = (o: RawObject) => sink.object(o);
  const whole = eachBlockDocument(text, limits, (value, root, opened) =>
    collectObjects(file, [{ value, locate: positions.locator(value, (node) => opened.at(node), root) }], push, errors),
  );
  if (whole) return errors;
  sink.restart();
  errors.length = 0;
  // Tested only now: what it looks for, the block reader leaves the subset on, except inside
  // scalars and comments, where both parsers read the same (and the test costs a pass over the text).
  if (NOT_FAST.test(text)) return give(parseSourcePositional(file, text, limits));
  let fast: FastParse;
  try {
    fast = fastParse(text, limits);
  } catch (e) {
    if (e instanceof TooManyDocuments)
      return [
        new PolicyInputError({
          file,
          line: 1,
          column: 1,
          message: `more than ${limits.maxDocuments} YAML documents in one file; not parsed`,
        }),
      ];
    const mark = (e as jsyaml.YAMLException).mark;
    if (mark && /maxDepth/.test((e as Error).message))
      return [
        new PolicyInputError({
          file,
          line: mark.line + 1,
          column: mark.column + 1,
          message: `YAML nested deeper than ${limits.maxDepth} levels; not parsed`,
        }),
      ];
    return give(parseSourcePositional(file, text, limits)); // yaml says what is wrong, as it always has
  }
  const opened = positions.jsyamlOpened(fast.opened);
  const values = fast.values.map((value, i) => ({
    value,
    locate: positions.locator(value, opened, nodeStart(text, fast.roots[i] ?? 0)),
  }));
  collectObjects(file, values, push, errors);
  return errors;
}

/**
 * Parse one file's text into Kubernetes objects. Multi-document YAML and
 * `kind: List` (kubectl get -o yaml) are both expanded. YAML syntax errors are
 * reported with their position; a document with a syntax error yields no objects.
 */
export function parseSource(file: string, text: string, limits: YamlLimits = YAML_LIMITS): ParsedSource {
  const objects: RawObject[] = [];
  const sink: ObjectSink = { object: (o) => objects.push(o), restart: () => (objects.length = 0) };
  const errors = streamSource(file, text, sink, limits);
  return { objects, errors };
}
