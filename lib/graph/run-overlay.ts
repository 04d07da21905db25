// A replay run's changed paths on the graph (issue 15): the paths the proposal would newly deny
// in red and newly allow in green, over the allowed paths of the release (pure). Ends are placed
// as the observed denials' are (observed.ts): the workload, else its namespace, else the external
// destination by name; the rest are counted.
import type { ElementDef } from "./elements";
import { placedFlowEdges } from "./observed";
import type { GraphNode } from "./types";

export const RUN_CHANGE_CLASSES = { "newly-denied": "run-denied", "newly-allowed": "run-allowed" } as const;
export type RunOverlayChange = keyof typeof RUN_CHANGE_CLASSES;

/** One changed path of a run, as simulator.runOverlay returns it. */
export interface RunOverlayPath {
  cluster: string;
  src: string;
  dst: string;
  port: number;
  protocol: string;
  change: RunOverlayChange;
  flows: number;
}

export interface RunOverlay {
  elements: ElementDef[];
  /** Drawn edges and the flows the view could not place, per change. */
  counts: Record<RunOverlayChange, { edges: number; unplaced: number }>;
}

const VERB: Record<RunOverlayChange, string> = { "newly-denied": "newly denied", "newly-allowed": "newly allowed" };

export function runOverlayElements(nodes: readonly GraphNode[], paths: readonly RunOverlayPath[]): RunOverlay {
  const elements: ElementDef[] = [];
  const counts = {} as RunOverlay["counts"];
  for (const change of Object.keys(RUN_CHANGE_CLASSES) as RunOverlayChange[]) {
    const flows = paths
      .filter((p) => p.change === change)
      .map((p) => ({ cluster: p.cluster, source: p.src, destination: p.dst, port: p.port, protocol: p.protocol, count: p.flows }));
    const drawn = placedFlowEdges(nodes, flows, {
      prefix: change,
      classes: RUN_CHANGE_CLASSES[change],
      layers: "replay",
      label: (count, ports) => `${count.toLocaleString("en")} ${VERB[change]} · ${ports}`,
    });
    elements.push(...drawn.elements);
    counts[change] = { edges: drawn.elements.length, unplaced: drawn.unplaced };
  }
  return { elements, counts };
}
