/**
 * The fastest path for manifests: a reader of the plain block YAML that tools and people write for
 * Kubernetes (block mappings and sequences, plain and single-line quoted scalars, one-line flow
 * collections, comments, `---` between documents). It returns exactly what js-yaml's fast path
 * (./yaml.ts) returns — values under the core schema and where each mapping and sequence starts —
 * or null as soon as the text leaves that subset (block scalars, multi-line scalars, escapes,
 * tabs, anchors, duplicate keys, odd indentation, anything unusual), and js-yaml reads it instead.
 * A false null only costs speed, so the subset is kept small and each rule strict.
 */
import type { YamlLimits } from "./bounded";
import type { Located } from "./yaml";
import { coreKind, coreScalar } from "./yaml-core";

export interface BlockParse {
  values: unknown[];
  /** Per document, where its root node starts. */
  roots: number[];
  /** Where each mapping and sequence starts (its first key, `-` or bracket). */
  opened: Map<object, Located>;
}

/**
 * Where each mapping and sequence of one document starts (its first key, `-` or bracket), as
 * line and column (1-based). Parallel lists rather than a map: a document holds a few dozen
 * collections, a lookup is rare (a rule's or an error's position), and a map's hashing of every
 * collection cost more than reading it.
 */
export class BlockNodes {
  readonly nodes: object[] = [];
  readonly lines: number[] = [];
  readonly columns: number[] = [];

  add(node: object, line: number, column: number): void {
    this.nodes.push(node);
    this.lines.push(line);
    this.columns.push(column);
  }

  at(node: object): Located | undefined {
    const i = this.nodes.indexOf(node);
    return i < 0 ? undefined : { line: this.lines[i]!, column: this.columns[i]! };
  }
}

/** Leaving the subset: unwinds the parse, and js-yaml reads the text. */
class NotBlock extends Error {}
const NOT_BLOCK = new NotBlock();
function bail(): never {
  throw NOT_BLOCK;
}

const SPACE = 0x20;
const HASH = 0x23;
const DASH = 0x2d;
const COLON = 0x3a;

/** Characters that may not start a plain scalar or key here (YAML indicators; `-` only before a space). */
function indicator(c: number): boolean {
  return (
    c === 0x3f /* ? */ ||
    c === COLON ||
    c === 0x2c /* , */ ||
    c === 0x5b /* [ */ ||
    c === 0x5d /* ] */ ||
    c === 0x7b /* { */ ||
    c === 0x7d /* } */ ||
    c === HASH ||
    c === 0x26 /* & */ ||
    c === 0x2a /* * */ ||
    c === 0x21 /* ! */ ||
    c === 0x7c /* | */ ||
    c === 0x3e /* > */ ||
    c === 0x25 /* % */ ||
    c === 0x40 /* @ */ ||
    c === 0x60 /* ` */ ||
    c === 0x22 /* " */ ||
    c === 0x27 /* ' */
  );
}

const CACHE_SIZE = 2048;
const SHORT = 24;

/** The first property key of an object: the interned form of a string. */
function interned(s: string): string {
  return Object.keys({ [s]: true })[0]!;
}

class Reader {
  private readonly n: number;
  /** The current line: [start, end) of its content (no line break), its number, its indentation, and where its text starts. */
  private start = 0;
  private end = 0;
  private line = 0;
  private next = 0;
  private nextLine = 1;
  indent = 0;
  /** Where the current line's text starts (after the indentation, or after a `- ` handled on this line). */
  at = 0;
  eof = false;
  /** Where each mapping and sequence of the current document starts. */
  opened = new BlockNodes();
  private depth = 0;
  /**
   * Keys and short plain scalars read recently, by length and end characters: one that comes again
   * is matched in the text rather than sliced, checked and interned again, and the values built share
   * one string. A manifest repeats the same few dozen keys and many values (kinds, labels, protocols).
   */
  private readonly keys: (string | undefined)[] = new Array<string | undefined>(CACHE_SIZE);
  private readonly words: (string | undefined)[] = new Array<string | undefined>(CACHE_SIZE);

  constructor(
    private readonly t: string,
    private readonly maxDepth: number,
  ) {
    this.n = t.length;
  }

  /** Move to the next line holding something other than spaces and a comment. */
  advance(): void {
    const t = this.t;
    for (;;) {
      if (this.next >= this.n) {
        this.eof = true;
        this.start = this.end = this.at = this.n;
        this.indent = -1;
        return;
      }
      const s = this.next;
      const line = this.nextLine++;
      let e = t.indexOf("\n", s);
      if (e < 0) e = this.n;
      this.next = e + 1;
      if (e > s && t.charCodeAt(e - 1) === 0x0d) e--;
      let i = s;
      while (i < e && t.charCodeAt(i) === SPACE) i++;
      if (i === e || t.charCodeAt(i) === HASH) continue;
      this.start = s;
      this.end = e;
      this.line = line;
      this.indent = i - s;
      this.at = i;
      return;
    }
  }

  /** The current line is `---` (with at most a comment after it). */
  get isDocumentStart(): boolean {
    const t = this.t;
    if (this.indent !== 0 || !t.startsWith("---", this.start)) return false;
    const i = this.start + 3;
    if (i === this.end) return true;
    if (t.charCodeAt(i) !== SPACE) return false;
    return this.restIsEmpty(i) ? true : bail(); // `--- value` is a document on the marker's line
  }

  private restIsEmpty(i: number): boolean {
    const t = this.t;
    while (i < this.end && t.charCodeAt(i) === SPACE) i++;
    return i === this.end || t.charCodeAt(i) === HASH;
  }

  /** Whether the text at `at` is a sequence entry (`-` then a space or the end of the line). */
  private dashAt(i: number): boolean {
    return this.t.charCodeAt(i) === DASH && (i + 1 === this.end || this.t.charCodeAt(i + 1) === SPACE);
  }

  private enter(): void {
    // Well inside the bound: near it, js-yaml decides (and refuses with its position).
    if (++this.depth > this.maxDepth - 2) bail();
  }

  /** A block node whose text starts at the current line's `at`, at column `col`. */
  block(col: number): unknown {
    if (this.dashAt(this.at)) return this.sequence(col);
    return this.mapping(col);
  }

  private sequence(col: number): unknown[] {
    this.enter();
    const t = this.t;
    const out: unknown[] = [];
    this.opened.add(out, this.line, this.at - this.start + 1);
    while (!this.eof && this.at - this.start === col && this.dashAt(this.at)) {
      let i = this.at + 1;
      while (i < this.end && t.charCodeAt(i) === SPACE) i++;
      if (i === this.end || t.charCodeAt(i) === HASH) {
        // `-` alone: the item is the block below it, more indented, or null.
        this.advance();
        out.push(!this.eof && this.indent > col && !this.isDocumentStart ? this.nested() : null);
        continue;
      }
      this.at = i;
      if (this.dashAt(i)) bail(); // `- - x`
      if (this.mappingKeyAt(i) >= 0) out.push(this.mapping(i - this.start));
      else {
        out.push(this.inlineValue(i));
        this.advance();
        if (!this.eof && this.indent > col) bail(); // a continuation line or odd indentation
      }
    }
    this.depth--;
    return out;
  }

  /**
   * The block below a key or `-`, at the current line's indentation. A line it leaves at an
   * indentation no enclosing node has ends every node above it, and the document refuses it.
   */
  private nested(): unknown {
    return this.block(this.indent);
  }

  /** End of a plain key starting at i (the colon's offset) when the text there is `key:` + space or end; else -1. */
  private mappingKeyAt(i: number): number {
    const t = this.t;
    const c = t.charCodeAt(i);
    if (indicator(c) && c !== DASH) return -1;
    if (c === DASH && i + 1 < this.end && t.charCodeAt(i + 1) === SPACE) return -1;
    for (let j = i; j < this.end; j++) {
      const d = t.charCodeAt(j);
      if (d === COLON) {
        if (j + 1 === this.end || t.charCodeAt(j + 1) === SPACE) return j;
      } else if (d === HASH && t.charCodeAt(j - 1) === SPACE) return -1;
    }
    return -1;
  }

  /**
   * The cached string that is the text `[start, end)`, if any. A cache is two-way: the text's slot
   * and its neighbour (so two frequent keys that share a slot, such as labels and limits with a
   * simpler hash, do not evict each other on every object).
   */
  private cached(cache: (string | undefined)[], start: number, end: number): string | undefined {
    const t = this.t;
    const slot =
      (((t.charCodeAt(start) * 31 + t.charCodeAt(start + 1)) * 31 + t.charCodeAt(end - 1)) * 31 + end - start) & (CACHE_SIZE - 1);
    const a = cache[slot];
    if (this.is(a, start, end)) return a;
    const b = cache[slot ^ 1];
    if (this.is(b, start, end)) return b;
    this.free = a === undefined ? slot : b === undefined ? slot ^ 1 : slot;
    return undefined;
  }

  /** Where the last miss of `cached` is to be stored. */
  private free = 0;

  private is(s: string | undefined, start: number, end: number): s is string {
    if (s === undefined || s.length !== end - start) return false;
    const t = this.t;
    for (let i = 0, j = start; j < end; i++, j++) if (s.charCodeAt(i) !== t.charCodeAt(j)) return false;
    return true;
  }

  /** The block mapping key in `[start, end)`, interned; leaves the subset for keys it does not model. */
  private key(start: number, end: number): string {
    const hit = this.cached(this.keys, start, end);
    if (hit !== undefined) return hit;
    const raw = this.t.slice(start, end);
    if (raw.includes(":")) bail();
    const kind = coreKind(raw);
    if (kind === "null") bail();
    const key = kind === null ? raw : String(coreScalar(raw));
    if (key === "__proto__" || key === "<<") bail();
    if (kind !== null) return key;
    return (this.keys[this.free] = interned(key));
  }

  /** The plain scalar in `[start, end)` under the core schema (a short string shared with its repeats). */
  private plainScalar(start: number, end: number): unknown {
    if (end - start > SHORT || end === start) return coreScalar(this.t.slice(start, end));
    const hit = this.cached(this.words, start, end);
    if (hit !== undefined) return hit;
    const v = coreScalar(this.t.slice(start, end));
    if (typeof v === "string") this.words[this.free] = v;
    return v;
  }

  private mapping(col: number): Record<string, unknown> {
    this.enter();
    const t = this.t;
    const out: Record<string, unknown> = {};
    this.opened.add(out, this.line, this.at - this.start + 1);
    while (!this.eof && this.at - this.start === col && !this.isDocumentStart) {
      const k = this.at;
      if (this.dashAt(k)) break; // a sequence at this column belongs to the key above (`key:` then `- item`)
      const colon = this.mappingKeyAt(k);
      if (colon < 0 || t.charCodeAt(colon - 1) === SPACE) bail();
      const key = this.key(k, colon);
      if (Object.hasOwn(out, key)) bail();
      let i = colon + 1;
      while (i < this.end && t.charCodeAt(i) === SPACE) i++;
      if (i === this.end || t.charCodeAt(i) === HASH) {
        this.advance();
        if (!this.eof && !this.isDocumentStart && (this.indent > col || (this.indent === col && this.dashAt(this.at))))
          out[key] = this.nested();
        else out[key] = null;
      } else {
        out[key] = this.inlineValue(i);
        this.advance();
        if (!this.eof && this.indent > col) bail(); // a continuation line or odd indentation
      }
    }
    this.depth--;
    return out;
  }

  /** A value on the rest of the line from i: a one-line flow collection, a quoted or a plain scalar. */
  private inlineValue(i: number): unknown {
    const t = this.t;
    const c = t.charCodeAt(i);
    let v: unknown;
    let e: number;
    if (c === 0x5b || c === 0x7b) [v, e] = this.flow(i);
    else if (c === 0x27 || c === 0x22) [v, e] = this.quoted(i, this.end);
    else {
      if (indicator(c) || this.dashAt(i)) bail();
      // To a comment or the end of the line; ": " inside is an error js-yaml words.
      e = this.end;
      for (let j = i; j < this.end; j++) {
        const d = t.charCodeAt(j);
        if (d === HASH && t.charCodeAt(j - 1) === SPACE) {
          e = j;
          break;
        }
        if (d === COLON && (j + 1 === this.end || t.charCodeAt(j + 1) === SPACE)) bail();
      }
      let s = e;
      while (t.charCodeAt(s - 1) === SPACE) s--;
      return this.plainScalar(i, s);
    }
    if (!this.restIsEmpty(e)) bail();
    return v;
  }

  /** A single-line quoted scalar at i; [value, offset after the closing quote]. Escapes in double quotes are left to js-yaml. */
  private quoted(i: number, end: number): [string, number] {
    const t = this.t;
    const q = t.charCodeAt(i);
    let s = "";
    let from = i + 1;
    for (let j = i + 1; j < end; j++) {
      const d = t.charCodeAt(j);
      if (q === 0x22 && d === 0x5c) bail();
      if (d !== q) continue;
      if (q === 0x27 && t.charCodeAt(j + 1) === 0x27 && j + 1 < end) {
        s += t.slice(from, j + 1);
        from = j + 2;
        j++;
        continue;
      }
      return [s + t.slice(from, j), j + 1];
    }
    return bail(); // closed on a later line
  }

  /** A flow collection closed on the same line: [value, offset after it]. */
  private flow(i: number): [unknown, number] {
    this.enter();
    const t = this.t;
    const open = t.charCodeAt(i);
    const isMap = open === 0x7b;
    const close = isMap ? 0x7d : 0x5d;
    const out: unknown = isMap ? {} : [];
    this.opened.add(out as object, this.line, i - this.start + 1);
    let j = this.skip(i + 1);
    if (t.charCodeAt(j) === close) {
      this.depth--;
      return [out, j + 1];
    }
    for (;;) {
      if (isMap) {
        const k = j;
        let colon = -1;
        for (; j < this.end; j++) {
          const d = t.charCodeAt(j);
          if (d === COLON && t.charCodeAt(j + 1) === SPACE) {
            colon = j;
            break;
          }
          if (d === 0x2c || d === 0x5b || d === 0x5d || d === 0x7b || d === 0x7d || d === HASH || d === 0x22 || d === 0x27) bail();
        }
        if (colon <= k || indicator(t.charCodeAt(k)) || t.charCodeAt(colon - 1) === SPACE) bail();
        const key = this.key(k, colon);
        const m = out as Record<string, unknown>;
        if (Object.hasOwn(m, key)) bail();
        const [v, e] = this.flowValue(this.skip(colon + 1));
        m[key] = v;
        j = e;
      } else {
        const [v, e] = this.flowValue(j);
        (out as unknown[]).push(v);
        j = e;
      }
      j = this.skip(j);
      const d = t.charCodeAt(j);
      if (d === close) {
        this.depth--;
        return [out, j + 1];
      }
      if (d !== 0x2c) bail();
      j = this.skip(j + 1);
      if (t.charCodeAt(j) === close || t.charCodeAt(j) === 0x2c) bail(); // empty entries, trailing commas
    }
  }

  private skip(j: number): number {
    while (j < this.end && this.t.charCodeAt(j) === SPACE) j++;
    if (j >= this.end) bail(); // a flow collection that goes on to the next line
    return j;
  }

  /** A value inside a flow collection: a nested one-line flow collection, a quoted or a plain scalar. */
  private flowValue(j: number): [unknown, number] {
    const t = this.t;
    const c = t.charCodeAt(j);
    if (c === 0x5b || c === 0x7b) return this.flow(j);
    if (c === 0x27 || c === 0x22) return this.quoted(j, this.end);
    if (indicator(c)) bail();
    let e = j;
    for (; e < this.end; e++) {
      const d = t.charCodeAt(e);
      if (d === 0x2c || d === 0x5d || d === 0x7d) break;
      if (d === 0x5b || d === 0x7b || d === 0x22 || d === 0x27) bail();
      if (d === COLON) {
        const f = t.charCodeAt(e + 1);
        if (e + 1 === this.end || f === SPACE || f === 0x2c || f === 0x5d || f === 0x7d) bail();
      }
      if (d === HASH && t.charCodeAt(e - 1) === SPACE) bail();
    }
    let s = e;
    while (t.charCodeAt(s - 1) === SPACE) s--;
    return [this.plainScalar(j, s), e];
  }
}

/**
 * Hand each document of a text in the block subset to `each` as soon as it is read: its value,
 * where its root node starts, and where each of its mappings and sequences starts (a map of its
 * own, so a document's nodes can be collected once its reader is done with them). Returns false
 * as soon as the text leaves the subset — possibly after some documents were handed over: the
 * caller discards them, and js-yaml reads the whole text.
 */
export function eachBlockDocument(
  text: string,
  limits: YamlLimits,
  each: (value: unknown, root: number, opened: BlockNodes) => void,
): boolean {
  // Tabs, directives, BOMs and lone carriage returns have rules of their own: js-yaml's to apply.
  // (indexOf first: a search for one character is several times faster than a class regex over megabytes)
  const special = text.indexOf("\t") >= 0 || text.indexOf("\r") >= 0 || text.indexOf("\ufeff") >= 0;
  if (special && /[\t\ufeff]|\r(?!\n)/.test(text)) return false;
  const r = new Reader(text, limits.maxDepth);
  let documents = 0;
  try {
    r.advance();
    if (!r.eof && r.isDocumentStart) r.advance();
    while (!r.eof) {
      if (r.isDocumentStart) {
        // An empty document between two markers.
        each(null, r.at, new BlockNodes());
      } else {
        if (r.indent !== 0) return false;
        const root = r.at;
        const opened = (r.opened = new BlockNodes());
        const value = r.block(0);
        if (!r.eof && !r.isDocumentStart) return false; // something left at an indentation no node takes
        each(value, root, opened);
        if (r.eof) break;
      }
      if (++documents >= limits.maxDocuments) return false; // js-yaml counts them (and refuses) its own way
      r.advance();
    }
  } catch (e) {
    if (e === NOT_BLOCK) return false;
    throw e;
  }
  return true;
}

/** The documents of a text in the block subset, or null when it is not (js-yaml reads it then). */
export function parseBlockYaml(text: string, limits: YamlLimits): BlockParse | null {
  const values: unknown[] = [];
  const roots: number[] = [];
  const opened = new Map<object, Located>();
  const whole = eachBlockDocument(text, limits, (value, root, nodes) => {
    values.push(value);
    roots.push(root);
    nodes.nodes.forEach((node) => opened.set(node, nodes.at(node)!));
  });
  return whole ? { values, roots, opened } : null;
}
