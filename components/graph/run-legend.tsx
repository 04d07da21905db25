// Above the canvas while a replay run is drawn (?run=): what the red and green edges are,
// how many the view shows and could not place, a link back to the run, and a way to hide it.
import Link from "next/link";
import type { RunOverlay, RunOverlayChange } from "@/lib/graph/run-overlay";
import { CHANGE_COLOURS } from "./stylesheet";

const KEYS: { change: RunOverlayChange; colour: string; label: string }[] = [
  { change: "newly-denied", colour: CHANGE_COLOURS.removed, label: "newly denied" },
  { change: "newly-allowed", colour: CHANGE_COLOURS.added, label: "newly allowed" },
];

export function RunLegend(props: { runId: string; overlay: RunOverlay | null; error: string | null; onClose(): void }) {
  const { overlay } = props;
  const unplaced = overlay ? overlay.counts["newly-denied"].unplaced + overlay.counts["newly-allowed"].unplaced : 0;
  return (
    <div
      className="flex flex-wrap items-center gap-x-4 gap-y-1 rounded-lg bg-white px-3 py-2 text-xs text-slate-700 ring-1 ring-slate-200"
      data-testid="run-legend"
    >
      <span className="font-semibold text-slate-900">Replay run</span>
      {props.error ? (
        <span className="text-rose-800">The run&apos;s paths could not be read: {props.error}</span>
      ) : !overlay ? (
        <span className="text-slate-500">Reading the run&apos;s changed paths…</span>
      ) : (
        <>
          {KEYS.map((k) => (
            <span key={k.change} className="flex items-center gap-1.5" data-change={k.change}>
              <span className="inline-block h-1 w-5" style={{ background: k.colour }} aria-hidden />
              {overlay.counts[k.change].edges} {k.label} path{overlay.counts[k.change].edges === 1 ? "" : "s"}
            </span>
          ))}
          {unplaced > 0 ? (
            <span className="text-slate-500">
              {unplaced.toLocaleString("en")} changed flow{unplaced === 1 ? "" : "s"} between endpoints this view does not show
            </span>
          ) : null}
        </>
      )}
      <span className="ml-auto flex gap-3">
        <Link className="text-brand-700 hover:underline" href={`/simulator/runs/${props.runId}`}>
          Back to the run
        </Link>
        <button type="button" className="text-slate-600 hover:underline" onClick={props.onClose}>
          Hide
        </button>
      </span>
    </div>
  );
}
