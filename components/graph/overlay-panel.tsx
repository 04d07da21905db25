// Beside the canvas with an overlay: the workload-level paths the change adds or
// removes; a click shows that path on the graph with its rationale.
import type { GraphView } from "@/server/graph/service";

export function OverlayPanel({ view, onShowEdge }: { view: GraphView; onShowEdge(edgeId: string, source: string, target: string): void }) {
  const everywhere = view.cluster === "all";
  return (
    <section aria-labelledby="overlay-paths-title" className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
      <h2 id="overlay-paths-title" className="text-sm font-semibold text-slate-900">
        Paths this change adds or removes
      </h2>
      {view.paths.length === 0 ? (
        <p className="mt-2 text-sm text-slate-500">
          This change adds or removes no allowed path in {everywhere ? "any cluster" : view.cluster}.
        </p>
      ) : (
        <ul className="mt-2 space-y-1">
          {view.paths.map((p) => (
            <li key={`${p.edgeId}|${p.change}`}>
              <button
                type="button"
                data-testid="overlay-path"
                data-change={p.change}
                onClick={() => {
                  const parsed = p.edgeId.slice(2).split("->");
                  onShowEdge(p.edgeId, parsed[0]!, parsed[1]!);
                }}
                className={`w-full rounded-md px-2 py-1 text-left font-mono text-xs ring-1 ring-inset ${p.change === "added" ? "bg-emerald-50 text-emerald-900 ring-emerald-200 hover:bg-emerald-100" : "bg-rose-50 text-rose-900 ring-rose-200 hover:bg-rose-100"}`}
              >
                {everywhere ? <span className="sr-only">{p.cluster}: </span> : null}
                {p.label}
              </button>
            </li>
          ))}
        </ul>
      )}
      {view.pathsTotal > view.paths.length ? (
        <p className="mt-2 text-xs text-slate-500">
          Showing {view.paths.length} of {view.pathsTotal}.
        </p>
      ) : null}
    </section>
  );
}
