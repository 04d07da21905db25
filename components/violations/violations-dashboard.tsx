"use client";

// The violations dashboard (issue 17): what the clusters dropped, what only an
// exception let through and what they forwarded although the release denies it,
// over time and by cluster, tenant and namespace; the top paths, each opening
// its rationale and raw samples. Filters and the opened path live in the URL.
import { useQuery } from "@tanstack/react-query";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useCallback } from "react";
import { Area, AreaChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { describeError } from "@/components/trpc/errors";
import { useTRPC } from "@/components/trpc/client";
import { Badge, Card, Field, Notice, Options, Select, Table, Td, type BadgeTone } from "@/components/ui/primitives";
import { DASHBOARD_RANGES, FLOW_CLASS_LABELS, SEVERITIES, type DashboardRange, type FlowClass, type Severity } from "@/lib/flows";
import { FlowPathPanel } from "./flow-path-panel";
import { readViolationsUrl, violationsUrl, type SelectedPath, type ViolationsUrlState } from "./url-state";

const RANGE_LABELS: Record<DashboardRange, string> = {
  "1h": "Last hour",
  "6h": "Last 6 hours",
  "24h": "Last 24 hours",
  "7d": "Last 7 days",
  "30d": "Last 30 days",
};

export const CLASS_TONES: Record<FlowClass, BadgeTone> = {
  violation: "red",
  "near-miss": "amber",
  "enforcement-gap": "violet",
  allowed: "green",
};

export const SEVERITY_TONES: Record<Severity, BadgeTone> = { critical: "red", high: "amber", medium: "blue", low: "slate" };

const COLORS = { violations: "#e11d48", nearMisses: "#d97706", gaps: "#7c3aed" };

function useViolationsUrl(): [ViolationsUrlState, (change: Partial<ViolationsUrlState>) => void] {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const state = readViolationsUrl(new URLSearchParams(params.toString()));
  const update = useCallback(
    (change: Partial<ViolationsUrlState>) => {
      const next = { ...readViolationsUrl(new URLSearchParams(window.location.search)), ...change };
      router.push(violationsUrl(next).replace("/violations", pathname), { scroll: false });
    },
    [router, pathname],
  );
  return [state, update];
}

function formatBucket(t: string, range: DashboardRange): string {
  const d = new Date(t);
  const hm = d.toISOString().slice(11, 16);
  return range === "7d" || range === "30d" ? `${d.toISOString().slice(5, 10)} ${hm}` : hm;
}

function Stat({ label, value, tone, hint }: { label: string; value: number; tone: string; hint: string }) {
  return (
    <div className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
      <div className="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</div>
      <div className={`mt-1 text-2xl font-semibold ${tone}`}>{value.toLocaleString("en")}</div>
      <div className="mt-1 text-xs text-slate-500">{hint}</div>
    </div>
  );
}

function Breakdown({ title, rows }: { title: string; rows: { name: string; violations: number; nearMisses: number; gaps: number }[] }) {
  const max = Math.max(1, ...rows.map((r) => r.violations + r.nearMisses + r.gaps));
  return (
    <Card title={title}>
      {rows.length === 0 ? (
        <p className="text-sm text-slate-500">Nothing in this range.</p>
      ) : (
        <ul className="space-y-2" aria-label={title}>
          {rows.map((r) => (
            <li key={r.name} className="text-sm">
              <div className="flex justify-between gap-2">
                <span className="truncate font-medium text-slate-800">{r.name}</span>
                <span className="shrink-0 tabular-nums text-slate-600">
                  {r.violations.toLocaleString("en")} / {r.nearMisses.toLocaleString("en")} / {r.gaps.toLocaleString("en")}
                </span>
              </div>
              <div className="mt-1 flex h-1.5 overflow-hidden rounded bg-slate-100" aria-hidden>
                <div style={{ width: `${(r.violations / max) * 100}%`, background: COLORS.violations }} />
                <div style={{ width: `${(r.nearMisses / max) * 100}%`, background: COLORS.nearMisses }} />
                <div style={{ width: `${(r.gaps / max) * 100}%`, background: COLORS.gaps }} />
              </div>
            </li>
          ))}
        </ul>
      )}
      <p className="mt-3 text-xs text-slate-500">violations / near-misses / enforcement gaps</p>
    </Card>
  );
}

export function ViolationsDashboard() {
  const trpc = useTRPC();
  const [state, update] = useViolationsUrl();
  const dashboard = useQuery(
    trpc.violations.dashboard.queryOptions({
      range: state.range,
      ...(state.cluster ? { cluster: state.cluster } : {}),
      ...(state.tenant ? { tenant: state.tenant } : {}),
      ...(state.severity ? { severity: state.severity } : {}),
    }),
  );
  const data = dashboard.data;
  const failure = dashboard.isError ? describeError(dashboard.error) : null;
  const open = (p: SelectedPath) => update({ path: p });

  return (
    <div className="space-y-6">
      <Card>
        <form
          className="grid grid-cols-1 items-end gap-3 md:grid-cols-4"
          aria-label="Filter violations"
          onSubmit={(e) => e.preventDefault()}
        >
          <Field label="Time range">
            <Select name="range" value={state.range} onChange={(e) => update({ range: e.target.value as DashboardRange, path: null })}>
              <Options values={DASHBOARD_RANGES} label={(r) => RANGE_LABELS[r]} />
            </Select>
          </Field>
          <Field label="Cluster">
            <Select name="cluster" value={state.cluster ?? ""} onChange={(e) => update({ cluster: e.target.value || null, path: null })}>
              <option value="">All clusters</option>
              {(data?.clusters ?? (state.cluster ? [state.cluster] : [])).map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </Select>
          </Field>
          <Field label="Tenant">
            <Select name="tenant" value={state.tenant ?? ""} onChange={(e) => update({ tenant: e.target.value || null, path: null })}>
              <option value="">All tenants</option>
              {(data?.tenants ?? (state.tenant ? [{ name: state.tenant, displayName: state.tenant }] : [])).map((t) => (
                <option key={t.name} value={t.name}>
                  {t.displayName}
                </option>
              ))}
            </Select>
          </Field>
          <Field label="Severity">
            <Select
              name="severity"
              value={state.severity ?? ""}
              onChange={(e) => update({ severity: (e.target.value || null) as Severity | null, path: null })}
            >
              <option value="">Any severity</option>
              <Options values={SEVERITIES} />
            </Select>
          </Field>
        </form>
      </Card>

      {failure ? <Notice tone="error">{failure.message}</Notice> : null}
      {dashboard.isPending ? <p className="text-sm text-slate-500">Loading observed flows…</p> : null}

      {data ? (
        <>
          <div className="grid grid-cols-2 gap-4 md:grid-cols-4">
            <Stat label="Violations" value={data.totals.violations} tone="text-rose-700" hint="flows the clusters dropped" />
            <Stat label="Near-misses" value={data.totals.nearMisses} tone="text-amber-700" hint="allowed only by an exception" />
            <Stat label="Enforcement gaps" value={data.totals.gaps} tone="text-violet-700" hint="forwarded, but the release denies them" />
            <Stat label="Allowed" value={data.totals.allowed} tone="text-emerald-700" hint="forwarded as the release allows" />
          </div>

          {data.totals.violations + data.totals.nearMisses + data.totals.gaps + data.totals.allowed === 0 ? (
            <Notice>
              No flows observed in this range{state.cluster ? ` on ${state.cluster}` : ""}
              {state.tenant ? ` for ${state.tenant}` : ""}. Clusters push Hubble flow records to <code>POST /api/v1/flows</code> (or{" "}
              <code>hubble observe -o json --follow | policyplane ingest --server … --token …</code>) with a token that has the “flows”
              scope.
            </Notice>
          ) : null}

          <Card title={`Violations, near-misses and enforcement gaps (${data.bucketMinutes}-minute buckets, UTC)`}>
            <div className="h-64" data-testid="violations-chart">
              {data.series.every((b) => b.violations + b.nearMisses + b.gaps === 0) ? (
                <p className="text-sm text-slate-500">No violations, near-misses or enforcement gaps in this range.</p>
              ) : (
                <ResponsiveContainer width="100%" height="100%">
                  <AreaChart data={data.series} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
                    <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                    <XAxis dataKey="t" tickFormatter={(t: string) => formatBucket(t, data.range)} fontSize={12} />
                    <YAxis allowDecimals={false} fontSize={12} width={48} />
                    <Tooltip labelFormatter={(t) => `${String(t).slice(0, 16).replace("T", " ")} UTC`} />
                    <Legend />
                    <Area
                      type="monotone"
                      dataKey="violations"
                      name="Violations"
                      stroke={COLORS.violations}
                      fill={COLORS.violations}
                      fillOpacity={0.25}
                    />
                    <Area
                      type="monotone"
                      dataKey="nearMisses"
                      name="Near-misses"
                      stroke={COLORS.nearMisses}
                      fill={COLORS.nearMisses}
                      fillOpacity={0.2}
                    />
                    <Area
                      type="monotone"
                      dataKey="gaps"
                      name="Enforcement gaps"
                      stroke={COLORS.gaps}
                      fill={COLORS.gaps}
                      fillOpacity={0.2}
                    />
                  </AreaChart>
                </ResponsiveContainer>
              )}
            </div>
          </Card>

          <div className="grid grid-cols-1 gap-4 lg:grid-cols-3">
            <Breakdown title="By cluster" rows={data.byCluster} />
            <Breakdown title="By tenant (destination's)" rows={data.byTenant} />
            <Breakdown title="By namespace (destination's)" rows={data.byNamespace} />
          </div>

          <Card title="Top paths">
            <Table
              head={["Class", "Severity", "Cluster", "Source", "Destination", "Port", "Flows", "Decided by", "Last seen", ""]}
              empty={
                data.topPaths.length === 0 ? (
                  <p className="px-3 py-4 text-sm text-slate-500">No violations, near-misses or enforcement gaps in this range.</p>
                ) : null
              }
            >
              {data.topPaths.map((p) => {
                const selected: SelectedPath = {
                  cluster: p.cluster,
                  source: p.source,
                  destination: p.destination,
                  port: p.port,
                  protocol: p.protocol as SelectedPath["protocol"],
                  flowClass: p.flowClass,
                };
                const key = JSON.stringify(selected);
                return (
                  <tr key={key} data-testid="top-path">
                    <Td>
                      <Badge tone={CLASS_TONES[p.flowClass]}>{FLOW_CLASS_LABELS[p.flowClass]}</Badge>{" "}
                      {p.isNew ? <Badge tone="blue">new</Badge> : null}
                    </Td>
                    <Td>{p.severity ? <Badge tone={SEVERITY_TONES[p.severity]}>{p.severity}</Badge> : "–"}</Td>
                    <Td>{p.cluster}</Td>
                    <Td className="font-mono text-xs">{p.source}</Td>
                    <Td className="font-mono text-xs">{p.destination}</Td>
                    <Td className="tabular-nums">
                      {p.port}/{p.protocol}
                    </Td>
                    <Td className="tabular-nums">{p.count.toLocaleString("en")}</Td>
                    <Td className="max-w-xs text-xs">
                      {p.attribution
                        ? (p.attribution.rule ??
                          p.attribution.policy ??
                          (p.attribution.layer === "default" ? "platform default" : p.attribution.layer))
                        : "not attributed"}
                    </Td>
                    <Td className="text-xs">{new Date(p.lastSeen).toISOString().slice(0, 16).replace("T", " ")}</Td>
                    <Td>
                      <button type="button" className="text-sm font-medium text-brand-700 hover:underline" onClick={() => open(selected)}>
                        Details
                      </button>
                    </Td>
                  </tr>
                );
              })}
            </Table>
          </Card>

          {state.path ? <FlowPathPanel path={state.path} range={state.range} onClose={() => update({ path: null })} /> : null}
          <p className="text-xs text-slate-500">
            Flows are decided by the engine against the release in force when they arrive; the cluster’s own verdict (Hubble’s) decides
            whether a flow is a violation.
          </p>
        </>
      ) : null}
    </div>
  );
}
