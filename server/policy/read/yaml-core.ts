// YAML 1.2 core schema scalars (shared by the fast readers: js-yaml's schema in ./yaml.ts, ./yaml-block.ts) exactly as `yaml` resolves them (js-yaml's own core schema
// also reads 0b…, 1_000 and +0x…, and not +.5), as one type dispatched on the first character.
const NUMBER =
  /^(?:0o[0-7]+|[-+]?[0-9]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)$/;
const NULLS = new Set(["", "~", "null", "Null", "NULL"]);
export const BOOLS = new Map([
  ["true", true],
  ["True", true],
  ["TRUE", true],
  ["false", false],
  ["False", false],
  ["FALSE", false],
]);
export function coreKind(s: string): "null" | "bool" | "number" | null {
  const c = s.charCodeAt(0);
  if (s.length === 0 || c === 0x7e || c === 0x6e || c === 0x4e) return NULLS.has(s) ? "null" : null;
  if (c === 0x74 || c === 0x54 || c === 0x66 || c === 0x46) return BOOLS.has(s) ? "bool" : null;
  if ((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e) return NUMBER.test(s) ? "number" : null;
  return null;
}
export function coreNumber(s: string): number {
  if (s.startsWith("0o")) return parseInt(s.slice(2), 8);
  if (s.startsWith("0x")) return parseInt(s.slice(2), 16);
  const t = s.replace(/^[-+]/, "");
  if (t === ".inf" || t === ".Inf" || t === ".INF") return s[0] === "-" ? -Infinity : Infinity;
  if (t === ".nan" || t === ".NaN" || t === ".NAN") return NaN;
  return /^[-+]?[0-9]+$/.test(s) ? parseInt(s, 10) : parseFloat(s);
}

/** A plain scalar's value under the core schema. */
export function coreScalar(s: string): null | boolean | number | string {
  const k = coreKind(s);
  return k === null ? s : k === "null" ? null : k === "bool" ? BOOLS.get(s)! : coreNumber(s);
}
