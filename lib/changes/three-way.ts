// Three-way merge of one policy's YAML for a rebase (issue 13 item 6): the
// change's draft and the release made since both derive from the version the
// change was proposed from (its base). Lines changed on one side only are
// taken; lines both sides changed differently are a conflict for the author.
// The texts are the canonical YAML of documentToYaml (keys in a fixed order),
// so a line-based merge lines up field by field. node-diff3 does the merge;
// conflicts are then narrowed to the lines the two sides really disagree on.
import { diff3Merge } from "node-diff3";

export type MergeHunk = { kind: "same"; lines: string[] } | { kind: "conflict"; draft: string[]; base: string[]; release: string[] };

export interface ThreeWayMerge {
  hunks: MergeHunk[];
  conflicts: number;
  /** The merged text when nothing conflicts (null otherwise). */
  merged: string | null;
}

const linesOf = (text: string): string[] => (text === "" ? [] : text.replace(/\n$/, "").split("\n"));
const textOf = (lines: readonly string[]): string => (lines.length === 0 ? "" : `${lines.join("\n")}\n`);

export function threeWayMerge({ base, draft, release }: { base: string; draft: string; release: string }): ThreeWayMerge {
  const hunks: MergeHunk[] = [];
  const same = (lines: string[]) => {
    if (lines.length === 0) return;
    const last = hunks.at(-1);
    if (last?.kind === "same") last.lines.push(...lines);
    else hunks.push({ kind: "same", lines: [...lines] });
  };
  for (const region of diff3Merge(linesOf(draft), linesOf(base), linesOf(release), { excludeFalseConflicts: true })) {
    if (region.ok) {
      same(region.ok);
      continue;
    }
    const { a, o, b } = region.conflict!;
    // Both sides may have made some of the same edit (say the draft already holds the release's line and adds
    // one next to it): what they share at either end is not in dispute.
    let head = 0;
    while (head < a.length && head < b.length && a[head] === b[head]) head++;
    let tail = 0;
    while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
    same(a.slice(0, head));
    const draftPart = a.slice(head, a.length - tail);
    const releasePart = b.slice(head, b.length - tail);
    if (draftPart.length > 0 || releasePart.length > 0) hunks.push({ kind: "conflict", draft: draftPart, base: o, release: releasePart });
    same(a.slice(a.length - tail));
  }
  const conflicts = hunks.filter((h) => h.kind === "conflict").length;
  return { hunks, conflicts, merged: conflicts === 0 ? textOf(hunks.flatMap((h) => (h.kind === "same" ? h.lines : []))) : null };
}

export const MARKERS = { draft: "<<<<<<<", base: "|||||||", release: "=======", end: ">>>>>>>" } as const;

/** The merge as one text, each conflict between git-style markers (draft, base, release), for the author to resolve. */
export function withConflictMarkers(hunks: readonly MergeHunk[], labels: { draft: string; base: string; release: string }): string {
  return textOf(
    hunks.flatMap((h) =>
      h.kind === "same"
        ? h.lines
        : [
            `${MARKERS.draft} ${labels.draft}`,
            ...h.draft,
            `${MARKERS.base} ${labels.base}`,
            ...h.base,
            MARKERS.release,
            ...h.release,
            `${MARKERS.end} ${labels.release}`,
          ],
    ),
  );
}

/** The text with one conflict resolved by taking a side (or both, draft first); other conflicts keep their markers. */
export function resolveConflict(hunks: readonly MergeHunk[], index: number, take: "draft" | "release" | "both"): MergeHunk[] {
  let seen = -1;
  return hunks.map((h) => {
    if (h.kind !== "conflict" || ++seen !== index) return h;
    return { kind: "same", lines: take === "draft" ? h.draft : take === "release" ? h.release : [...h.draft, ...h.release] };
  });
}

/** 1-based numbers of the lines that are still conflict markers. */
export function conflictMarkerLines(text: string): number[] {
  const marker = /^(<{7}|\|{7}|={7}|>{7})( |$)/;
  return linesOf(text).flatMap((line, i) => (marker.test(line) ? [i + 1] : []));
}

/**
 * The merge base of a draft and the release: the newest version both were written from (following each
 * version's parent), else the version the change was proposed from. A draft written on top of the release thus
 * merges as itself; one written beside it (or restored from before it) keeps the release's changes.
 */
export function mergeBase(
  lineage: ReadonlyMap<number, number | null>,
  item: { fromVersion: number | null; releasedVersion: number | null; toVersion: number },
) {
  const ancestors = (version: number) => {
    const seen = new Set<number>();
    for (let v: number | null | undefined = version; v != null && !seen.has(v); v = lineage.get(v)) seen.add(v);
    return seen;
  };
  if (item.releasedVersion === null) return item.fromVersion;
  const ofRelease = ancestors(item.releasedVersion);
  const common = [...ancestors(item.toVersion)].filter((v) => ofRelease.has(v));
  return common.length > 0 ? Math.max(...common) : item.fromVersion;
}
