"use client";

// The details floating over the canvas's right edge: the overlay's paths, and
// the panel of the selected node, path or island path.
import { Button } from "@/components/ui/primitives";
import { parseNodeId } from "@/lib/graph/ids";
import type { GraphView } from "@/server/graph/service";
import type { GraphEdge, GraphNode } from "@/lib/graph/types";
import { OverlayPanel } from "./overlay-panel";
import { EdgePanel, IslandEdgePanel, NodePanel } from "./panels";
import type { GraphScope } from "./use-islands";

export type Selection = { kind: "node" | "edge"; id: string } | null;

/** The width the aside covers at the canvas's right edge (w-80 and right-3, plus a margin): framing keeps selections clear of it. */
export const DETAILS_WIDTH = 320 + 12 + 12;

/** A large cluster's server holds the aggregated paths between namespaces, workloads and external destinations; coarser ones exist only in the projection. */
function heldByServer(edge: GraphEdge): boolean {
  return [edge.source, edge.target].every((id) => {
    const kind = parseNodeId(id)?.kind;
    return kind === "namespace" || kind === "workload" || kind === "external";
  });
}

export interface DetailsAsideProps {
  view: GraphView | undefined;
  scope: GraphScope;
  selection: Selection;
  /** The selected edge as drawn (an island edge has no rationale of its own). */
  selectedEdge: GraphEdge | undefined;
  nodes: ReadonlyMap<string, GraphNode>;
  collapsed: ReadonlySet<string>;
  onClose(): void;
  onToggleGroup(id: string): void;
  onShowEdge(edgeId: string, source: string, target: string): void;
}

export function DetailsAside({
  view,
  scope,
  selection,
  selectedEdge,
  nodes,
  collapsed,
  onClose,
  onToggleGroup,
  onShowEdge,
}: DetailsAsideProps) {
  if (!scope.overlay && !selection) return null;
  return (
    <aside aria-label="Details" className="absolute right-3 top-3 bottom-3 z-10 flex w-80 flex-col gap-3 overflow-y-auto">
      {selection ? (
        <div className="flex justify-end">
          <Button type="button" variant="secondary" onClick={onClose}>
            Close details
          </Button>
        </div>
      ) : null}
      {view && scope.overlay ? <OverlayPanel view={view} onShowEdge={onShowEdge} /> : null}
      {selection?.kind === "edge" && selectedEdge?.aggregate ? (
        <IslandEdgePanel
          edge={selectedEdge}
          nodes={nodes}
          onOpen={(ids) => ids.forEach((id) => collapsed.has(id) && onToggleGroup(id))}
          {...(view?.onDemand && heldByServer(selectedEdge) ? { explain: scope } : {})}
        />
      ) : selection?.kind === "edge" ? (
        <EdgePanel scope={scope} edgeId={selection.id} />
      ) : selection?.kind === "node" ? (
        <NodePanel
          scope={scope}
          nodeId={selection.id}
          island={collapsed.has(selection.id)}
          onToggleGroup={onToggleGroup}
          onShowEdge={onShowEdge}
        />
      ) : null}
    </aside>
  );
}
