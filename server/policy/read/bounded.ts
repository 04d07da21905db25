/**
 * Bounds for every YAML and JSON text the engine parses (manifests, Policyplane
 * documents, the editor's YAML, flow lines, CLI option files). A recursive
 * parser fed `"[".repeat(1000)` overflows the stack, and inside a Next.js server
 * that was a V8 fatal error, not a catchable RangeError; so nesting is bounded
 * before or while descending, never after. Refusals are located values, not throws.
 */

export interface YamlLimits {
  /** Largest text, in UTF-16 code units (≈ bytes for manifests). */
  maxChars: number;
  /** Deepest nesting of collections (flow or block). */
  maxDepth: number;
  /** Most documents in one text (`---`). */
  maxDocuments: number;
  /** Most nodes that aliases may expand to in one document (yaml's `maxAliasCount`). */
  maxAliasCount: number;
}

export const YAML_LIMITS: YamlLimits = {
  maxChars: 32 * 1024 * 1024,
  maxDepth: 64,
  maxDocuments: 100_000,
  maxAliasCount: 100,
};

export interface JsonLimits {
  maxChars: number;
  maxDepth: number;
}

/** A flow line is one small object; these leave room for long DNS names and extra fields. */
export const FLOW_LINE_LIMITS: JsonLimits = { maxChars: 64 * 1024, maxDepth: 16 };

/** A refusal: what was exceeded and where (0-based offset into the text). */
export interface Refusal {
  offset: number;
  message: string;
}

export const formatSize = (n: number): string =>
  n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(1)} MiB` : `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KiB`;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Checks that hold for any text before a parser sees it: its size, and no NUL
 * byte or lone surrogate (neither can be stored or sent on as UTF-8 text).
 */
export function checkText(text: string, maxChars: number, what = "the text"): Refusal | null {
  if (text.length > maxChars)
    return { offset: maxChars, message: `${what} is ${formatSize(text.length)}, over the ${formatSize(maxChars)} limit; not parsed` };
  const nul = text.indexOf("\0");
  if (nul >= 0) return { offset: nul, message: "a NUL character is not allowed in YAML or JSON text" };
  const lone = LONE_SURROGATE.exec(text);
  if (lone) return { offset: lone.index, message: "a lone UTF-16 surrogate (invalid Unicode) is not allowed" };
  return null;
}

/**
 * Parse one JSON text after checking its size and nesting in one linear pass
 * (strings skipped with their escapes), so no structure deeper than
 * `limits.maxDepth` ever reaches `JSON.parse` or the code that walks its result.
 */
export function parseJsonBounded(
  text: string,
  limits: JsonLimits,
): { ok: true; value: unknown } | { ok: false; offset: number; message: string } {
  const bad = checkText(text, limits.maxChars, "the JSON text");
  if (bad) return { ok: false, ...bad };
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === 0x5c /* \ */) i++;
        else if (s === 0x22) break;
      }
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > limits.maxDepth) return { ok: false, offset: i, message: `nesting deeper than ${limits.maxDepth} levels` };
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    return { ok: false, offset: m ? Number(m[1]) : 0, message: `invalid JSON: ${(e as Error).message}` };
  }
}

/** 1-based line and column of an offset (columns count UTF-16 code units, as yaml's LineCounter does). */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  const end = Math.min(offset, text.length);
  for (let i = text.indexOf("\n"); i !== -1 && i < end; i = text.indexOf("\n", i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: end - start + 1 };
}
