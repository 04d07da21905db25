"use client";
// One replay run: progress while it runs, then the totals in four classes, the table of paths
// (source workload → destination and port) with both verdicts and rationales, filters, sort,
// drill-down to the recorded lines, and exports.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { Fragment, useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { Badge, Button, Card, Field, Input, Notice, Select, Table, Td } from "@/components/ui/primitives";
import { CHANGE_LABELS, REPLAY_CHANGES, type ReplayChange } from "@/lib/simulator";
import { CHANGE_TONES, formatTime } from "./format";
import { RunProgress } from "./run-progress";
import { formatCount } from "@/lib/format";
import { runOnGraphUrl } from "@/components/graph/url-state";

const PAGE = 100;
type Sort = "flows" | "src" | "dst" | "port" | "firstSeen" | "lastSeen";

function Samples({ runId, pathId }: { runId: string; pathId: string }) {
  const trpc = useTRPC();
  const samples = useQuery(trpc.simulator.runSamples.queryOptions({ id: runId, pathId }));
  if (samples.error) return <Notice tone="error">{samples.error.message}</Notice>;
  if (!samples.data) return <p className="text-xs text-slate-500">Reading the recorded lines…</p>;
  return (
    <ol className="space-y-1" data-testid="run-samples">
      {samples.data.samples.map((s) => (
        <li key={s.line} className="text-xs">
          <span className="font-semibold text-slate-600">line {s.line}</span>
          <pre className="mt-0.5 overflow-x-auto rounded bg-slate-50 p-2 font-mono text-[11px] whitespace-pre-wrap break-all text-slate-700">
            {s.text}
          </pre>
        </li>
      ))}
    </ol>
  );
}

export function RunResult({ id }: { id: string }) {
  const trpc = useTRPC();
  const run = useQuery({
    ...trpc.simulator.run.queryOptions({ id }),
    refetchInterval: (q) => (q.state.data?.state === "running" ? 1000 : false),
  });
  const [filters, setFilters] = useState<{ change: ReplayChange | ""; search: string; port: string }>({ change: "", search: "", port: "" });
  const [sort, setSort] = useState<{ by: Sort; direction: "asc" | "desc" }>({ by: "flows", direction: "desc" });
  const [offset, setOffset] = useState(0);
  const [open, setOpen] = useState<string | null>(null);
  const succeeded = run.data?.state === "succeeded";
  const port = Number(filters.port);
  const paths = useQuery({
    ...trpc.simulator.runPaths.queryOptions({
      id,
      ...(filters.change ? { change: filters.change } : {}),
      ...(filters.search.trim() ? { search: filters.search.trim() } : {}),
      ...(Number.isInteger(port) && port >= 1 && port <= 65535 ? { port } : {}),
      sort: sort.by,
      direction: sort.direction,
      limit: PAGE,
      offset,
    }),
    enabled: succeeded,
    placeholderData: keepPreviousData,
  });

  if (run.error) return <Notice tone="error">{run.error.message}</Notice>;
  const r = run.data;
  if (!r) return <p className="text-sm text-slate-500">Loading the run…</p>;
  const totals = r.totals;
  const denied = totals?.changes["newly-denied"];
  const allowed = totals?.changes["newly-allowed"];
  const setFilter = (key: keyof typeof filters) => (e: { target: { value: string } }) => {
    setOffset(0);
    setFilters((f) => ({ ...f, [key]: e.target.value }));
  };
  const sortBy = (by: Sort) => () => {
    setOffset(0);
    setSort((s) => ({
      by,
      direction: s.by === by && s.direction === "desc" ? "asc" : by === "src" || by === "dst" || by === "port" ? "asc" : "desc",
    }));
  };
  const sortHead = (label: string, by: Sort) => (
    <button type="button" className="uppercase hover:text-slate-800" onClick={sortBy(by)} aria-label={`Sort by ${label}`}>
      {label}
      {sort.by === by ? (sort.direction === "desc" ? " ↓" : " ↑") : ""}
    </button>
  );
  const exportHref = (format: "csv" | "json") =>
    `/api/v1/replay/runs/${id}/export?${new URLSearchParams({ format, ...(filters.change ? { change: filters.change } : {}) })}`;

  return (
    <div className="space-y-4">
      <Card title="Run">
        <dl className="grid gap-2 text-sm md:grid-cols-3">
          <div>
            <dt className="text-xs text-slate-500">Dataset</dt>
            <dd>{r.datasetName}</dd>
          </div>
          <div>
            <dt className="text-xs text-slate-500">Baseline → proposal</dt>
            <dd>
              {r.baselineLabel} →{" "}
              {r.proposalKind === "cr" ? (
                <Link className="text-brand-700 hover:underline" href={`/changes/${/#(\d+)/.exec(r.proposalLabel)?.[1] ?? ""}`}>
                  {r.proposalLabel}
                </Link>
              ) : (
                r.proposalLabel
              )}
            </dd>
          </div>
          <div>
            <dt className="text-xs text-slate-500">Cluster · window</dt>
            <dd>
              {r.cluster} · {r.windowFrom || r.windowTo ? `${formatTime(r.windowFrom)} … ${formatTime(r.windowTo)}` : "the whole dataset"}
            </dd>
          </div>
        </dl>
        <p className="mt-2 text-xs text-slate-500">
          Started by {r.startedByLabel} at {formatTime(r.createdAt)}
          {r.finishedAt ? `, finished ${formatTime(r.finishedAt)}` : ""}.
        </p>
        <div className="mt-3">
          <RunProgress run={r} />
        </div>
      </Card>

      {totals && denied && allowed ? (
        <>
          <Notice tone={denied.flows > 0 ? "error" : allowed.flows > 0 ? "warning" : "success"}>
            <span data-testid="run-headline">
              This proposal would have denied {formatCount(denied.flows)} flow(s) on {formatCount(denied.paths)} path(s) and newly allowed{" "}
              {formatCount(allowed.flows)} flow(s) on {formatCount(allowed.paths)} path(s), of {formatCount(totals.flows)} recorded flow(s).
            </span>
            {totals.unreadable > 0 ? ` ${formatCount(totals.unreadable)} record(s) could not be read or placed.` : ""}
            {totals.outsideWindow > 0 ? ` ${formatCount(totals.outsideWindow)} record(s) fell outside the window.` : ""}
          </Notice>
          <div className="grid gap-3 md:grid-cols-4" data-testid="run-totals">
            {REPLAY_CHANGES.map((c) => (
              <button
                key={c}
                type="button"
                onClick={() => setFilter("change")({ target: { value: filters.change === c ? "" : c } })}
                className={`rounded-xl border bg-white p-4 text-left shadow-sm ${filters.change === c ? "border-brand-500" : "border-slate-200"}`}
              >
                <Badge tone={CHANGE_TONES[c]}>{CHANGE_LABELS[c]}</Badge>
                <p className="mt-2 text-2xl font-semibold text-slate-900" data-testid={`total-${c}`}>
                  {formatCount(totals.changes[c].flows)}
                </p>
                <p className="text-xs text-slate-500">flows on {formatCount(totals.changes[c].paths)} path(s)</p>
              </button>
            ))}
          </div>
          <Card
            title="Paths"
            actions={
              <div className="flex gap-2 text-sm">
                <a className="text-brand-700 hover:underline" href={exportHref("csv")} download data-testid="export-csv">
                  Export CSV
                </a>
                <a className="text-brand-700 hover:underline" href={exportHref("json")} download>
                  Export JSON
                </a>
                <Link className="text-brand-700 hover:underline" href={runOnGraphUrl(r)} data-testid="run-on-graph">
                  Changes on the graph
                </Link>
                {r.proposalKind === "drafts" || r.changeRequestId ? (
                  <Link
                    className="text-brand-700 hover:underline"
                    href={`/graph?${new URLSearchParams({ cluster: r.cluster, overlay: r.changeRequestId ? `cr:${r.changeRequestId}` : "drafts" })}`}
                  >
                    Proposal on the graph
                  </Link>
                ) : null}
              </div>
            }
          >
            <div className="mb-3 grid gap-3 md:grid-cols-4">
              <Field label="Class">
                <Select value={filters.change} onChange={setFilter("change")} aria-label="Filter by class">
                  <option value="">all classes</option>
                  {REPLAY_CHANGES.map((c) => (
                    <option key={c} value={c}>
                      {CHANGE_LABELS[c]}
                    </option>
                  ))}
                </Select>
              </Field>
              <Field label="Cluster, source or destination contains">
                <Input value={filters.search} onChange={setFilter("search")} aria-label="Search paths" placeholder="payments/" />
              </Field>
              <Field label="Port">
                <Input type="number" min={1} max={65535} value={filters.port} onChange={setFilter("port")} aria-label="Filter by port" />
              </Field>
            </div>
            <Table
              head={[
                "Cluster",
                sortHead("Source", "src"),
                sortHead("Destination", "dst"),
                sortHead("Port", "port"),
                "Change",
                sortHead("Flows", "flows"),
                sortHead("First seen", "firstSeen"),
                sortHead("Last seen", "lastSeen"),
                "Release says",
                "Proposal says",
              ]}
              empty={
                paths.data && paths.data.rows.length === 0 ? (
                  <p className="px-3 py-6 text-center text-sm text-slate-500">No path matches.</p>
                ) : null
              }
            >
              {(paths.data?.rows ?? []).map((p) => (
                <Fragment key={p.id}>
                  <tr
                    data-testid="path-row"
                    className="cursor-pointer hover:bg-slate-50"
                    onClick={() => setOpen(open === p.id ? null : p.id)}
                  >
                    <Td className="text-xs">{p.cluster ?? r.cluster}</Td>
                    <Td className="font-mono text-xs">{p.src}</Td>
                    <Td className="font-mono text-xs">{p.dst}</Td>
                    <Td className="text-xs">
                      {p.port}/{p.protocol}
                    </Td>
                    <Td>
                      <Badge tone={CHANGE_TONES[p.change]}>{CHANGE_LABELS[p.change]}</Badge>
                    </Td>
                    <Td>
                      {formatCount(p.flows)}
                      {p.records !== p.flows ? <span className="text-xs text-slate-500"> ({formatCount(p.records)} rec.)</span> : null}
                    </Td>
                    <Td className="text-xs">{formatTime(p.firstSeen)}</Td>
                    <Td className="text-xs">{formatTime(p.lastSeen)}</Td>
                    <Td className="max-w-xs text-xs break-words">
                      <span className={p.baseline === "allow" ? "text-emerald-700" : "text-rose-700"}>{p.baseline}</span> · {p.baselinePath}
                    </Td>
                    <Td className="max-w-xs text-xs break-words">
                      <span className={p.proposal === "allow" ? "text-emerald-700" : "text-rose-700"}>{p.proposal}</span> · {p.proposalPath}
                    </Td>
                  </tr>
                  {open === p.id ? (
                    <tr>
                      <td colSpan={10} className="bg-slate-50/50 px-3 py-2">
                        <p className="mb-1 text-xs text-slate-600">Recorded lines of this path (up to 5):</p>
                        <Samples runId={id} pathId={p.id} />
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              ))}
            </Table>
            {paths.data && paths.data.total > PAGE ? (
              <div className="mt-3 flex items-center gap-2 text-sm">
                <Button variant="secondary" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
                  Previous
                </Button>
                <span>
                  {formatCount(offset + 1)}–{formatCount(Math.min(offset + PAGE, paths.data.total))} of {formatCount(paths.data.total)}
                </span>
                <Button variant="secondary" disabled={offset + PAGE >= paths.data.total} onClick={() => setOffset(offset + PAGE)}>
                  Next
                </Button>
              </div>
            ) : null}
          </Card>
        </>
      ) : null}
    </div>
  );
}
