import { diffStats, sideBySide, type DiffCell } from "./diff-model";

function Cell({ cell }: { cell: DiffCell | null }) {
  const tone = !cell
    ? "bg-slate-50"
    : cell.kind === "removed"
      ? "bg-rose-50 text-rose-900"
      : cell.kind === "added"
        ? "bg-emerald-50 text-emerald-900"
        : "";
  return (
    <>
      <td className={`w-10 select-none border-r border-slate-200 px-2 text-right text-slate-400 ${tone}`}>{cell?.number ?? ""}</td>
      {/* A long line wraps inside its own column (indentation kept) instead of running under the other side. */}
      <td className={`whitespace-pre-wrap px-2 [overflow-wrap:anywhere] ${tone}`} data-diff={cell?.kind ?? "empty"}>
        {cell ? `${cell.kind === "removed" ? "- " : cell.kind === "added" ? "+ " : "  "}${cell.text}` : ""}
      </td>
    </>
  );
}

/** Two YAML texts side by side, changed lines highlighted. */
export function SideBySideDiff({
  before,
  after,
  beforeLabel,
  afterLabel,
}: {
  before: string;
  after: string;
  beforeLabel: string;
  afterLabel: string;
}) {
  const rows = sideBySide(before, after);
  const stats = diffStats(rows);
  return (
    <div data-testid="side-by-side-diff" className="overflow-x-auto rounded-lg ring-1 ring-slate-200">
      <table className="w-full table-fixed font-mono text-xs leading-5">
        <colgroup>
          <col className="w-10" />
          <col />
          <col className="w-10" />
          <col />
        </colgroup>
        <thead className="bg-slate-50 text-left font-sans text-xs text-slate-600">
          <tr>
            <th colSpan={2} className="border-b border-r border-slate-200 px-3 py-1.5 font-medium">
              {beforeLabel}
            </th>
            <th colSpan={2} className="border-b border-slate-200 px-3 py-1.5 font-medium">
              {afterLabel} <span className="ml-2 text-emerald-700">+{stats.added}</span>{" "}
              <span className="text-rose-700">−{stats.removed}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={i}>
              <Cell cell={row.left} />
              <Cell cell={row.right} />
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
