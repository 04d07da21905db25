"use client";

// Which groups are drawn as islands, and what is drawn once some are opened.
// The view's default islands come from the server; opening one loads its
// contents (one query per group) and re-projects with the same pure code the
// server uses. The user's choices reset when the view (cluster, overlay) changes.
import { useQueries } from "@tanstack/react-query";
import { useCallback, useMemo, useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { impliedParent, parseNodeId } from "@/lib/graph/ids";
import { project } from "@/lib/graph/islands";
import type { GraphView } from "@/server/graph/service";
import type { GraphData, GraphEdge, GraphNode } from "@/lib/graph/types";

export type GraphScope = { cluster: string; overlay?: string };

/** Groups whose contents are not in the base view: the default islands and everything inside them. */
function needsLoad(group: string, base: ReadonlySet<string>, parents: ReadonlyMap<string, string | undefined>): boolean {
  for (let cur: string | undefined = group, i = 0; cur && i < 8; i++, cur = parents.get(cur) ?? impliedParent(cur))
    if (base.has(cur)) return true;
  return false;
}

export interface Islands {
  /** Everything known: the view plus the contents of opened groups. */
  pool: GraphData | null;
  /** What is drawn: the pool with the collapsed groups as islands. */
  projected: GraphData | null;
  /** The groups drawn as islands. */
  collapsed: ReadonlySet<string>;
  poolNodes: ReadonlyMap<string, GraphNode>;
  projectedEdges: ReadonlyMap<string, GraphEdge>;
  /** Open every island that hides `id`; true when it is already drawn. */
  reveal(id: string): boolean;
  /** Open an island, or collapse a group into one. */
  toggle(id: string): void;
  /** The first group that could not be loaded. */
  error: { message: string } | null;
}

export function useIslands(view: GraphView | undefined, scope: GraphScope): Islands {
  const trpc = useTRPC();
  const [userExpanded, setUserExpanded] = useState<ReadonlySet<string>>(new Set());
  const [userCollapsed, setUserCollapsed] = useState<ReadonlySet<string>>(new Set());

  // A new cluster or overlay starts from its default view.
  const viewKey = `${view?.cluster}|${view?.overlay}`;
  const [seenKey, setSeenKey] = useState(viewKey);
  if (seenKey !== viewKey) {
    setSeenKey(viewKey);
    setUserExpanded(new Set());
    setUserCollapsed(new Set());
  }

  const baseCollapsed = useMemo(() => new Set(view?.collapsed ?? []), [view]);
  const parents = useMemo(() => new Map((view?.nodes ?? []).map((n) => [n.id, n.parent])), [view]);
  const toLoad = useMemo(
    () => [...userExpanded].filter((g) => needsLoad(g, baseCollapsed, parents)).sort(),
    [userExpanded, baseCollapsed, parents],
  );
  // A large cluster's opened namespaces draw their paths to each other workload by workload: each one's query names the others.
  const openNamespaces = view?.onDemand ? toLoad.filter((g) => parseNodeId(g)?.kind === "namespace") : [];
  const groupQueries = useQueries({
    queries: toLoad.map((group) =>
      trpc.graph.group.queryOptions(
        { ...scope, group, ...(openNamespaces.includes(group) ? { open: openNamespaces.filter((o) => o !== group) } : {}) },
        // While another namespace opens, keep drawing this one (only its own earlier answer: indexes shift).
        {
          staleTime: 60_000,
          placeholderData: (previous, query) =>
            (query?.queryKey[1] as { input?: { group?: string } } | undefined)?.input?.group === group ? previous : undefined,
        },
      ),
    ),
  });
  const loaded = new Map<string, GraphData>();
  toLoad.forEach((g, i) => {
    const d = groupQueries[i]?.data;
    if (d) loaded.set(g, d);
  });
  const loadedKey = [...loaded.keys()].join("|");

  const { pool, projected, collapsed } = useMemo(() => {
    if (!view) return { pool: null, projected: null, collapsed: new Set<string>() };
    const nodes = new Map<string, GraphNode>(view.nodes.map((n) => [n.id, n]));
    const edges = new Map<string, GraphEdge>(view.edges.map((e) => [e.id, e]));
    for (const d of loaded.values()) {
      for (const n of d.nodes) nodes.set(n.id, n);
      for (const e of d.edges) edges.set(e.id, e);
    }
    const eff = new Set([...baseCollapsed, ...userCollapsed]);
    for (const g of userExpanded) if (!needsLoad(g, baseCollapsed, parents) || loaded.has(g)) eff.delete(g);
    const pool: GraphData = { nodes: [...nodes.values()], edges: [...edges.values()] };
    return { pool, projected: project(pool, eff), collapsed: eff };
    // loadedKey stands for the loaded map's contents.
  }, [view, loadedKey, baseCollapsed, userCollapsed, userExpanded, parents]);

  const poolNodes = useMemo(() => new Map((pool?.nodes ?? []).map((n) => [n.id, n])), [pool]);
  const projectedEdges = useMemo(() => new Map((projected?.edges ?? []).map((e) => [e.id, e])), [projected]);

  const open = useCallback((groups: readonly string[]) => {
    setUserExpanded((s) => new Set([...s, ...groups]));
    setUserCollapsed((s) => new Set([...s].filter((g) => !groups.includes(g))));
  }, []);

  const reveal = useCallback(
    (id: string): boolean => {
      const hiding: string[] = [];
      for (
        let cur = poolNodes.get(id)?.parent ?? impliedParent(id), i = 0;
        cur && i < 8;
        i++, cur = poolNodes.get(cur)?.parent ?? impliedParent(cur)
      )
        if (collapsed.has(cur)) hiding.push(cur);
      if (hiding.length === 0) return true;
      open(hiding);
      return false;
    },
    [poolNodes, collapsed, open],
  );

  const toggle = useCallback(
    (id: string) => {
      if (collapsed.has(id)) open([id]);
      else {
        setUserCollapsed((s) => new Set([...s, id]));
        setUserExpanded((s) => new Set([...s].filter((g) => g !== id)));
      }
    },
    [collapsed, open],
  );

  const error = groupQueries.find((q) => q.error)?.error ?? null;
  return { pool, projected, collapsed, poolNodes, projectedEdges, reveal, toggle, error };
}
