// A form edit applied to the YAML the author wrote: only the fields that
// changed are rewritten in the parsed document, so comments, key order and
// layout everywhere else survive switching between the form and the YAML view.
import {
  isMap,
  isNode,
  isScalar,
  isSeq,
  parseDocument,
  type Document,
  type Node as YamlNode,
  type Pair,
  type YAMLMap,
  type YAMLSeq,
} from "yaml";
import { compareKeys, documentToYaml, ordered, YAML_OUTPUT } from "@/lib/policy-yaml";
import { isObject, type Json } from "./form-model";

/**
 * The YAML text after the form changed the document to `next`. Falls back to
 * writing `next` afresh when `text` is not one parseable YAML mapping.
 */
export function applyFormEdit(text: string, next: Json): string {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0 || !isMap(doc.contents) || !isObject(next)) return documentToYaml(next);
  let prev: unknown;
  try {
    prev = doc.toJS({ maxAliasCount: 100 });
  } catch {
    return documentToYaml(next);
  }
  if (!isObject(prev)) return documentToYaml(next);
  patchMap(doc, doc.contents, prev, next, undefined);
  return doc.toString(YAML_OUTPUT);
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a).filter((k) => a[k] !== undefined);
    return keys.length === Object.keys(b).filter((k) => b[k] !== undefined).length && keys.every((k) => sameJson(a[k], b[k]));
  }
  return false;
}

const keyOf = (pair: Pair): string => (isScalar(pair.key) ? String(pair.key.value) : String(pair.key));

/** `node` (holding `before`) made to hold `after`: the same node edited when the shapes agree, else a new node. */
function patchNode(doc: Document, node: unknown, before: Json | undefined, after: Json, parentKey: string | undefined): YamlNode {
  if (sameJson(before, after) && node) return node as YamlNode;
  if (isMap(node) && isObject(before) && isObject(after)) {
    patchMap(doc, node, before, after, parentKey);
    return node;
  }
  if (isSeq(node) && Array.isArray(before) && Array.isArray(after)) {
    patchSeq(doc, node, before, after);
    return node;
  }
  if (isScalar(node) && !isObject(after) && !Array.isArray(after) && !isObject(before) && !Array.isArray(before)) {
    // Keep the scalar (its comments and quoting); an explicit tag or style of another type would misread the new value.
    if (typeof before !== typeof after) {
      delete node.tag;
      delete node.type;
    }
    node.value = after;
    return node;
  }
  const fresh = doc.createNode(ordered(after, parentKey)) as YamlNode;
  if (node && typeof node === "object") {
    const old = node as YamlNode;
    fresh.commentBefore = old.commentBefore;
    fresh.comment = old.comment;
    fresh.spaceBefore = old.spaceBefore;
  }
  return fresh;
}

/** An empty `{}` or `[]` that gains items is written as a block, the way the rest of the document is. */
function unflowWhenFilled(node: YAMLMap | YAMLSeq, wasEmpty: boolean, isEmpty: boolean): void {
  if (node.flow && wasEmpty && !isEmpty) node.flow = false;
}

function patchMap(
  doc: Document,
  map: YAMLMap,
  before: Record<string, Json>,
  after: Record<string, Json>,
  parentKey: string | undefined,
): void {
  const present = (o: Record<string, Json>, k: string) => Object.hasOwn(o, k) && o[k] !== undefined;
  unflowWhenFilled(map, Object.keys(before).length === 0, Object.keys(after).length === 0);
  map.items = map.items.filter((pair) => present(after, keyOf(pair)));
  const compare = compareKeys(parentKey);
  for (const [key, value] of Object.entries(after)) {
    if (value === undefined) continue;
    const pair = map.items.find((p) => keyOf(p) === key);
    if (pair) {
      pair.value = patchNode(doc, pair.value, before[key], value, key);
      continue;
    }
    // A new field goes where the schema order puts it among the fields already there.
    const at = map.items.findIndex((p) => compare(keyOf(p), key) > 0);
    const added = doc.createPair(key, ordered(value, key));
    if (at < 0) map.items.push(added);
    else map.items.splice(at, 0, added);
  }
}

/**
 * Items equal to an old item keep that item's node (so a moved rule takes its
 * comments along); the remaining new items edit the remaining old ones in
 * order; any left over are added or dropped.
 */
function patchSeq(doc: Document, seq: YAMLSeq, before: Json[], after: Json[]): void {
  unflowWhenFilled(seq, before.length === 0, after.length === 0);
  // The parser gives a comment above the first item to the list; it belongs to that item (and moves or goes with it).
  const first = seq.items[0];
  if (!seq.flow && seq.commentBefore && isNode(first)) {
    first.commentBefore = first.commentBefore ? `${seq.commentBefore}\n${first.commentBefore}` : seq.commentBefore;
    delete seq.commentBefore;
  }
  const taken = new Set<number>();
  const same = after.map((item) => {
    const i = before.findIndex((old, k) => !taken.has(k) && sameJson(old, item));
    if (i >= 0) taken.add(i);
    return i;
  });
  const free = before.map((_, i) => i).filter((i) => !taken.has(i));
  let nextFree = 0;
  seq.items = after.map((item, j) => {
    const i = same[j]!;
    if (i >= 0) return seq.items[i];
    const k = free[nextFree++];
    return k === undefined ? doc.createNode(ordered(item)) : patchNode(doc, seq.items[k], before[k], item, undefined);
  });
}
