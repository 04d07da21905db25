"use client";

// The row of filters above the graph: which cluster, which part of it, which
// layout, and a search that focuses one workload.
import { useMemo, useState } from "react";
import { Button, Input, Select } from "@/components/ui/primitives";
import type { GraphData, GraphNode } from "@/lib/graph/types";
import type { CanvasFilters } from "./filters";
import type { GraphLayout } from "./graph-canvas";

export interface FilterBarProps {
  cluster: string;
  clusterNames: readonly string[];
  onCluster(cluster: string): void;
  filters: CanvasFilters;
  onFilters(change: Partial<CanvasFilters>): void;
  layout: GraphLayout;
  onLayout(layout: GraphLayout): void;
  /** The view's own nodes (tenants and namespaces to choose from). */
  viewNodes: readonly GraphNode[];
  /** What is drawn (destinations to choose from) and everything known (workloads to search). */
  projected: GraphData | null;
  pool: GraphData | null;
  initialSearch: string;
  onFocus(text: string): void;
}

const SEARCH_OPTIONS = 2000;

export function FilterBar(props: FilterBarProps) {
  const { filters, onFilters, viewNodes, projected, pool } = props;
  const [search, setSearch] = useState(props.initialSearch);

  const tenants = useMemo(
    () => [...new Set(viewNodes.filter((n) => n.kind === "tenant" && n.tenant).map((n) => n.tenant!))].sort(),
    [viewNodes],
  );
  const namespaces = useMemo(
    () =>
      [
        ...new Set(
          viewNodes.flatMap((n) =>
            n.kind === "namespace" && n.namespace && (!filters.tenant || n.tenant === filters.tenant) ? [n.namespace] : [],
          ),
        ),
      ].sort(),
    [viewNodes, filters.tenant],
  );
  const destinations = useMemo(
    () =>
      (projected?.nodes ?? [])
        .filter((n) => n.kind === "external" || n.kind === "workload" || n.collapsed)
        .map((n) => ({
          id: n.id,
          label: n.kind === "workload" ? `${n.namespace}/${n.label}` : n.collapsed ? `${n.label} (island)` : n.label,
        }))
        .sort((a, b) => a.label.localeCompare(b.label)),
    [projected],
  );
  const searchOptions = useMemo(
    () =>
      (pool?.nodes ?? [])
        .filter((n) => n.kind === "workload")
        .slice(0, SEARCH_OPTIONS)
        .map((n) => `${n.namespace}/${n.label}`),
    [pool],
  );

  return (
    <form
      className="flex flex-wrap items-end gap-3 rounded-xl border border-slate-200 bg-white px-4 py-2.5 shadow-sm"
      onSubmit={(e) => {
        e.preventDefault();
        props.onFocus(search);
      }}
      aria-label="Graph filters"
    >
      <label className="w-36 text-xs font-medium text-slate-600">
        Cluster
        <Select aria-label="Cluster" value={props.cluster} onChange={(e) => props.onCluster(e.target.value)} className="mt-1">
          {props.clusterNames.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
          <option value="all">All clusters</option>
        </Select>
      </label>
      <label className="w-36 text-xs font-medium text-slate-600">
        Tenant
        <Select
          aria-label="Tenant"
          value={filters.tenant ?? ""}
          onChange={(e) => onFilters({ tenant: e.target.value || null, namespace: null, destination: null })}
          className="mt-1"
        >
          <option value="">All tenants</option>
          {tenants.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </Select>
      </label>
      <label className="w-40 text-xs font-medium text-slate-600">
        Namespace
        <Select
          aria-label="Namespace"
          value={filters.namespace ?? ""}
          onChange={(e) => onFilters({ namespace: e.target.value || null, destination: null })}
          className="mt-1"
        >
          <option value="">All namespaces</option>
          {namespaces.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </Select>
      </label>
      <label className="w-52 text-xs font-medium text-slate-600">
        Only paths to
        <Select
          aria-label="Only paths to"
          value={filters.destination ?? ""}
          onChange={(e) => onFilters({ destination: e.target.value || null, tenant: null, namespace: null })}
          className="mt-1"
        >
          <option value="">Any destination</option>
          {destinations.map((d) => (
            <option key={d.id} value={d.id}>
              {d.label}
            </option>
          ))}
        </Select>
      </label>
      <label className="w-52 text-xs font-medium text-slate-600">
        Layout
        <Select aria-label="Layout" value={props.layout} onChange={(e) => props.onLayout(e.target.value as GraphLayout)} className="mt-1">
          <option value="grouped">Grouped by tenant</option>
          <option value="force">Force-directed</option>
        </Select>
      </label>
      <label className="text-xs font-medium text-slate-600">
        Find a workload
        <div className="mt-1 flex gap-1">
          <Input
            aria-label="Find a workload"
            list="graph-workloads"
            placeholder="namespace/workload"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            className="!w-48"
          />
          <Button type="submit" variant="secondary">
            Focus
          </Button>
        </div>
        <datalist id="graph-workloads">
          {searchOptions.map((o) => (
            <option key={o} value={o} />
          ))}
        </datalist>
      </label>
    </form>
  );
}
