"use client";

// One path's drill-down: the engine's rationale (which policy, tier and rule
// decided it), the raw records kept as samples, and the ways to act on it.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { describeError } from "@/components/trpc/errors";
import { useTRPC } from "@/components/trpc/client";
import { Badge, Button, Card, Notice } from "@/components/ui/primitives";
import { FLOW_CLASS_LABELS, type DashboardRange } from "@/lib/flows";
import { draftPolicyUrl, exceptionRequestUrl, graphFocusUrl, type SelectedPath } from "./url-state";

const pretty = (line: string) => {
  try {
    return JSON.stringify(JSON.parse(line), null, 2);
  } catch {
    return line;
  }
};

export function FlowPathPanel({ path, range, onClose }: { path: SelectedPath; range: DashboardRange; onClose: () => void }) {
  const trpc = useTRPC();
  const detail = useQuery(trpc.violations.path.queryOptions({ ...path, range }));
  const d = detail.data;
  const draft = draftPolicyUrl(path);
  // A denied flow (the cluster dropped it, or the release would) can be let through for a while instead.
  const exception = path.flowClass === "violation" || path.flowClass === "enforcement-gap" ? exceptionRequestUrl(path) : null;
  return (
    <Card
      id="flow-path"
      title={
        <span>
          {path.source} → {path.destination} {path.port}/{path.protocol} on {path.cluster} · {FLOW_CLASS_LABELS[path.flowClass]}
        </span>
      }
      actions={
        <Button variant="ghost" onClick={onClose}>
          Close
        </Button>
      }
    >
      {detail.isError ? <Notice tone="error">{describeError(detail.error).message}</Notice> : null}
      {detail.isPending ? <p className="text-sm text-slate-500">Loading…</p> : null}
      {d ? (
        <div className="space-y-4" data-testid="flow-path-detail">
          <dl className="grid grid-cols-2 gap-x-6 gap-y-2 text-sm md:grid-cols-4">
            <div>
              <dt className="text-xs text-slate-500">Flows</dt>
              <dd className="tabular-nums">{d.count.toLocaleString("en")}</dd>
            </div>
            <div>
              <dt className="text-xs text-slate-500">Cluster’s verdict</dt>
              <dd>{d.verdicts.join(", ")}</dd>
            </div>
            <div>
              <dt className="text-xs text-slate-500">Release’s verdict</dt>
              <dd>
                {d.engineVerdict ? <Badge tone={d.engineVerdict === "deny" ? "red" : "green"}>{d.engineVerdict}</Badge> : "not attributed"}
                {d.releaseNumber !== null ? <span className="ml-1 text-xs text-slate-500">release {d.releaseNumber}</span> : null}
              </dd>
            </div>
            <div>
              <dt className="text-xs text-slate-500">Seen</dt>
              <dd className="text-xs">
                {new Date(d.firstSeen).toISOString().slice(0, 19).replace("T", " ")} –{" "}
                {new Date(d.lastSeen).toISOString().slice(0, 19).replace("T", " ")} UTC
              </dd>
            </div>
          </dl>
          <section aria-label="Rationale">
            <h3 className="text-sm font-semibold text-slate-900">Rationale</h3>
            {d.attribution ? (
              <ul className="mt-1 space-y-0.5 text-sm text-slate-700">
                <li>
                  Decided by:{" "}
                  {d.attribution.policy ??
                    (d.attribution.layer === "default" ? "the platform default (secure by default)" : d.attribution.layer)}
                  {d.attribution.tier ? ` (tier ${d.attribution.tier})` : ` (${d.attribution.layer} layer)`}
                </li>
                {d.attribution.rule ? <li>Rule: {d.attribution.rule}</li> : null}
                <li>{d.attribution.reason}</li>
              </ul>
            ) : null}
            <p className="mt-2 rounded bg-slate-50 px-3 py-2 font-mono text-xs text-slate-700" data-testid="decision-path">
              {d.rationale}
            </p>
          </section>
          <div className="flex flex-wrap gap-3 text-sm">
            {draft ? (
              <Link href={draft} className="font-medium text-brand-700 hover:underline">
                Draft a policy that allows this
              </Link>
            ) : null}
            {exception ? (
              <Link href={exception} className="font-medium text-brand-700 hover:underline">
                Request an exception for this
              </Link>
            ) : null}
            <Link href={graphFocusUrl(path)} className="font-medium text-brand-700 hover:underline">
              Show {path.source} on the graph
            </Link>
          </div>
          <section aria-label="Samples">
            <h3 className="text-sm font-semibold text-slate-900">Sample records ({d.samples.length})</h3>
            <div className="mt-2 space-y-2">
              {d.samples.map((s, i) => (
                <details key={i} className="rounded border border-slate-200" open={i === 0}>
                  <summary className="cursor-pointer px-3 py-1.5 text-xs text-slate-600">{s.time}</summary>
                  <pre className="max-h-72 overflow-auto bg-slate-50 px-3 py-2 text-xs text-slate-800">{pretty(s.line)}</pre>
                </details>
              ))}
            </div>
          </section>
        </div>
      ) : null}
    </Card>
  );
}
