// The figures above the canvas: the view's workloads and allowed paths, or,
// with a filter on, how many of them are shown; the islands; the last layout.
import type { GraphView } from "@/server/graph/service";

export function GraphStats({
  stats,
  shown,
  islands,
  layoutInfo,
}: {
  stats: GraphView["stats"];
  /** What the filters leave (null without a filter). */
  shown: { workloads: number; paths: number } | null;
  islands: number;
  layoutInfo: { ms: number; nodes: number; edges: number } | null;
}) {
  return (
    <span className="w-full text-slate-500" data-testid="graph-stats">
      <span data-testid="graph-counts">
        {shown
          ? `showing ${shown.workloads} of ${stats.workloads} workloads · ${shown.paths} of ${stats.paths} allowed paths`
          : `${stats.workloads} workloads · ${stats.paths} allowed paths`}
      </span>{" "}
      · secure by default · {islands > 0 ? `${islands} islands (double-click to open)` : "all groups open"} · every arrow is an allowed
      path; click a workload or an arrow for the engine&rsquo;s details
      {layoutInfo ? (
        <span className="text-slate-400">
          {" "}
          · laid out {layoutInfo.nodes} nodes and {layoutInfo.edges} edges in {layoutInfo.ms} ms
        </span>
      ) : null}
    </span>
  );
}
