// Side-by-side rows of a line diff (jsdiff): removed lines on the left and
// added lines on the right share rows, so a changed line reads across.
import { diffLines } from "diff";
import { textLines as lines } from "@/lib/text-lines";

export interface DiffCell {
  number: number;
  text: string;
  kind: "same" | "removed" | "added";
}
export interface DiffRow {
  left: DiffCell | null;
  right: DiffCell | null;
}

export function sideBySide(before: string, after: string): DiffRow[] {
  const rows: DiffRow[] = [];
  let l = 0;
  let r = 0;
  let removed: string[] = [];
  const flush = (added: string[]) => {
    const n = Math.max(removed.length, added.length);
    for (let i = 0; i < n; i++) {
      rows.push({
        left: i < removed.length ? { number: ++l, text: removed[i]!, kind: "removed" } : null,
        right: i < added.length ? { number: ++r, text: added[i]!, kind: "added" } : null,
      });
    }
    removed = [];
  };
  for (const part of diffLines(before, after)) {
    if (part.value === "") continue;
    if (part.removed) {
      flush([]);
      removed = lines(part.value);
    } else if (part.added) flush(lines(part.value));
    else {
      flush([]);
      for (const text of lines(part.value))
        rows.push({ left: { number: ++l, text, kind: "same" }, right: { number: ++r, text, kind: "same" } });
    }
  }
  flush([]);
  return rows;
}

export function diffStats(rows: readonly DiffRow[]): { added: number; removed: number } {
  return { added: rows.filter((x) => x.right?.kind === "added").length, removed: rows.filter((x) => x.left?.kind === "removed").length };
}
