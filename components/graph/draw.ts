// Drawing a path on the graph drafts an allow rule: what the editor reads from
// each end of the drawn path.
import { parseNodeId } from "@/lib/graph/ids";
import type { GraphNode } from "@/lib/graph/types";

/** The editor's reading of a drawn path's end: `ns/workload`, `dns:name`, `cidr:…`, `entity:world`. */
export function drawEndpoint(id: string, nodes: ReadonlyMap<string, GraphNode>): string | null {
  const p = parseNodeId(id);
  if (!p) return null;
  if (p.kind === "workload") return `${p.namespace}/${p.name}`;
  if (p.kind !== "external") return null;
  const n = nodes.get(id);
  if (n?.externalKind === "world") return "entity:world";
  if (n?.externalKind === "cidr") {
    const m = /\(([^)]+)\)$/.exec(n.label);
    return `cidr:${m ? m[1] : p.name}`;
  }
  return `dns:${p.name}`;
}
