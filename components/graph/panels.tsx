"use client";

// The panels beside the canvas: a path's rationale from the engine, a node's
// labels, selecting policies and paths, and an island edge's summary.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "@/components/trpc/client";
import { Badge, Button } from "@/components/ui/primitives";
import { useServerNow } from "@/components/ui/use-server-now";
import type { EdgeRationale, PortRationale, RationaleStep } from "@/server/graph/details";
import { endpointLabel } from "@/lib/graph/diff";
import { parseEdgeId } from "@/lib/graph/ids";
import type { EdgeAllowance, GraphEdge, GraphNode } from "@/lib/graph/types";
import { formatRemaining } from "@/lib/exceptions/vocabulary";
import { LAYER_NAMES } from "./stylesheet";

type Scope = { cluster: string; overlay?: string };

const panel = "rounded-xl border border-slate-200 bg-white p-4 text-sm shadow-sm";

function PolicyLink({ name, version }: { name: string; version?: string }) {
  return (
    <Link
      href={`/policies/${encodeURIComponent(name)}`}
      className="font-medium text-brand-700 underline decoration-brand-200 underline-offset-2 hover:decoration-brand-600"
    >
      {name}
      {version ? ` v${version}` : ""}
    </Link>
  );
}

/** An exception's engine document (exception-N) is shown as the exception it comes from. */
function ExceptionLink({ name }: { name: string }) {
  const n = /^exception-(\d+)$/.exec(name)?.[1];
  if (!n) return <span className="font-medium">{name}</span>;
  return (
    <Link href={`/exceptions?number=${n}#detail`} className="font-medium text-amber-800 underline decoration-amber-300 underline-offset-2">
      exception E-{n}
    </Link>
  );
}

function layerTone(layer: string) {
  return layer === "admin"
    ? "violet"
    : layer === "exception"
      ? "amber"
      : layer === "namespace"
        ? "blue"
        : layer === "constraint"
          ? "red"
          : "slate";
}

/** `nowMs`: the server's clock (useServerNow), which an exception's time left is counted from. */
export function AllowanceSummary({ allowance, nowMs }: { allowance: EdgeAllowance; nowMs: number }) {
  return (
    <p className="text-slate-700">
      <Badge tone={layerTone(allowance.layer)}>
        {allowance.layer === "admin" ? `${allowance.tier ?? "cluster"} tier` : LAYER_NAMES[allowance.layer]}
      </Badge>{" "}
      {allowance.policy && allowance.layer === "exception" ? (
        <>
          allowed only by <ExceptionLink name={allowance.policy.name} />
        </>
      ) : allowance.policy ? (
        <>
          allowed by <PolicyLink name={allowance.policy.name} version={allowance.policy.version} />
          {allowance.rule ? <>, {allowance.rule}</> : null}
        </>
      ) : (
        "allowed by the platform default"
      )}
      {allowance.expiresAt ? (
        <>
          {" "}
          · expires {new Date(allowance.expiresAt).toLocaleString()}
          {allowance.layer === "exception" ? (
            <span data-testid="exception-remaining"> ({formatRemaining(Date.parse(allowance.expiresAt), nowMs)} left)</span>
          ) : null}
        </>
      ) : null}
    </p>
  );
}

function Steps({ steps }: { steps: RationaleStep[] }) {
  return (
    <ol className="mt-1 space-y-1">
      {steps.map((s, i) => (
        <li key={i} className="rounded-md bg-slate-50 px-2 py-1 text-xs text-slate-700">
          <span className="font-semibold uppercase text-slate-500">{s.scope}</span> · [{s.tier ?? s.layer}]{" "}
          <span className={s.verdict === "allow" ? "text-emerald-700" : s.verdict === "deny" ? "text-rose-700" : "text-slate-700"}>
            {s.verdict}
          </span>
          {s.policy ? (
            <>
              {" "}
              ·{" "}
              {s.layer === "exception" ? (
                <ExceptionLink name={s.policy.name} />
              ) : (
                <PolicyLink name={s.policy.name} version={s.policy.version} />
              )}
              {s.rule ? ` ${s.rule}` : ""}
            </>
          ) : null}
          <div className="text-slate-500">{s.reason}</div>
        </li>
      ))}
    </ol>
  );
}

function Verdict({ title, r, nowMs }: { title: string; r: PortRationale; nowMs: number }) {
  return (
    <div className="mt-2">
      <p className="text-xs font-semibold text-slate-600">
        {title}:{" "}
        <span className={r.verdict === "allow" ? "text-emerald-700" : "text-rose-700"}>{r.verdict === "allow" ? "allowed" : "denied"}</span>
      </p>
      {r.allowance ? <AllowanceSummary allowance={r.allowance} nowMs={nowMs} /> : null}
      <Steps steps={r.steps} />
      {r.nearestAllow ? <p className="mt-1 text-xs text-slate-500">Closest rule that would allow it: {r.nearestAllow}</p> : null}
    </div>
  );
}

export function EdgePanel({ scope, edgeId }: { scope: Scope; edgeId: string }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.graph.edge.queryOptions({ ...scope, edge: edgeId }, { staleTime: 60_000 }));
  const r = q.data;
  const nowMs = useServerNow(r?.now);
  return (
    <section className={panel} data-testid="edge-panel" aria-label="Path rationale">
      <h2 className="text-sm font-semibold text-slate-900">{r?.route ? "Routed by an egress gateway" : "Allowed path"}</h2>
      {q.isPending ? <p className="mt-2 text-slate-500">Asking the engine…</p> : null}
      {q.error ? <p className="mt-2 text-rose-700">{q.error.message}</p> : null}
      {r ? (
        <>
          <p className="mt-1 font-mono text-xs text-slate-800">
            {r.source.label} → {r.target.label}
          </p>
          {r.change ? (
            <p className="mt-1">
              <Badge tone={r.change === "added" ? "green" : "red"}>
                {r.change === "added" ? "added by this change" : "removed by this change"}
              </Badge>
            </p>
          ) : null}
          {r.route ? <GatewayRoute route={r.route} ports={r.ports.map((p) => p.port)} /> : <PortRationales r={r} nowMs={nowMs} />}
        </>
      ) : null}
    </section>
  );
}

/** The leg past an egress gateway: the rule routes it; the engine decides the hop to the gateway (that path's own panel). */
function GatewayRoute({ route, ports }: { route: NonNullable<EdgeRationale["route"]>; ports: string[] }) {
  return (
    <div className="mt-3 space-y-1 text-slate-700" data-testid="gateway-route">
      <p>
        The egress gateway <span className="font-mono text-xs">{route.gateway}</span> forwards this traffic on {ports.join(", ")}
        {route.policy ? (
          <>
            {" "}
            for <PolicyLink name={route.policy.name} version={route.policy.version} />
            {route.rule ? <>, {route.rule}</> : null}
          </>
        ) : null}
        .
      </p>
      <p className="text-xs text-slate-500">
        This leg is mesh routing (Istio egress gateway configuration), not a Kubernetes policy decision: the engine decides the hop from the
        workload to the gateway, shown on that path.
      </p>
    </div>
  );
}

/** Per port, the engine's verdicts; for an aggregated path, those of its sample pair, named. */
function PortRationales({ r, nowMs }: { r: EdgeRationale; nowMs: number }) {
  return r.ports.map((p) => {
    const sample = r.aggregate?.samples.find((s) => s.port === p.port);
    return (
      <div key={p.port} className="mt-3 border-t border-slate-100 pt-2">
        <p className="font-mono text-xs font-semibold text-slate-900">{p.port}</p>
        {sample ? (
          <p className="font-mono text-[11px] text-slate-600" data-testid="sample-pair">
            for example {sample.source} → {sample.target}
          </p>
        ) : null}
        {p.proposed ? <Verdict title="With this change" r={p.proposed} nowMs={nowMs} /> : null}
        {p.current ? <Verdict title={p.proposed ? "In the current release" : "Engine decision"} r={p.current} nowMs={nowMs} /> : null}
        <details className="mt-1">
          <summary className="cursor-pointer text-xs text-slate-500">Engine explanation</summary>
          <pre
            className="mt-1 whitespace-pre-wrap rounded bg-slate-900 p-2 text-[11px] leading-snug text-slate-100"
            data-testid="rationale-text"
          >
            {(p.proposed ?? p.current)?.explanation}
          </pre>
        </details>
      </div>
    );
  });
}

/** A large cluster's aggregated path is known to the server: the engine's rationale of a sample pair per port. */
function SamplePairs({ scope, edgeId }: { scope: Scope; edgeId: string }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.graph.edge.queryOptions({ ...scope, edge: edgeId }, { staleTime: 60_000 }));
  const nowMs = useServerNow(q.data?.now);
  if (q.isPending) return <p className="mt-2 text-slate-500">Asking the engine…</p>;
  if (q.error) return <p className="mt-2 text-rose-700">{q.error.message}</p>;
  return <PortRationales r={q.data} nowMs={nowMs} />;
}

/** `explain`: the server holds this aggregated edge itself (a large cluster), so a sample pair's rationale can be shown. */
export function IslandEdgePanel({
  edge,
  nodes,
  onOpen,
  explain,
}: {
  edge: GraphEdge;
  nodes: ReadonlyMap<string, GraphNode>;
  onOpen(groupIds: string[]): void;
  explain?: Scope;
}) {
  const agg = edge.aggregate!;
  const groups = [edge.source, edge.target].filter((id) => {
    const k = nodes.get(id)?.kind;
    return k === "tenant" || k === "namespace" || k === "cluster" || k === "externals";
  });
  return (
    <section className={panel} data-testid="edge-panel" aria-label="Island paths">
      <h2 className="text-sm font-semibold text-slate-900">{agg.paths} allowed paths between islands</h2>
      <p className="mt-1 font-mono text-xs text-slate-800">
        {endpointLabel(nodes.get(edge.source), edge.source)} → {endpointLabel(nodes.get(edge.target), edge.target)}
      </p>
      <p className="mt-2 text-slate-700">Ports: {edge.ports.join(", ")}</p>
      <p className="mt-1 text-slate-700">Allowed by: {agg.layers.map((l) => LAYER_NAMES[l]).join(", ")}</p>
      {agg.added || agg.removed ? (
        <p className="mt-1 text-slate-700">
          {agg.added} added, {agg.removed} removed by this change
        </p>
      ) : null}
      <Button className="mt-3" variant="secondary" onClick={() => onOpen(groups)}>
        Open the island{groups.length > 1 ? "s" : ""} to see each path
      </Button>
      {explain ? <SamplePairs scope={explain} edgeId={edge.id} /> : null}
    </section>
  );
}

export function NodePanel({
  scope,
  nodeId,
  island,
  onToggleGroup,
  onShowEdge,
}: {
  scope: Scope;
  nodeId: string;
  island: boolean;
  onToggleGroup(id: string): void;
  onShowEdge(edgeId: string, source: string, target: string): void;
}) {
  const trpc = useTRPC();
  const q = useQuery(trpc.graph.node.queryOptions({ ...scope, node: nodeId }, { staleTime: 60_000 }));
  const d = q.data;
  const isGroup = d && d.kind !== "workload" && d.kind !== "external" && d.kind !== "service";
  const PathList = ({ title, list, dir }: { title: string; list: NonNullable<typeof d>["inbound"]; dir: "in" | "out" }) => (
    <div className="mt-3">
      <h3 className="text-xs font-semibold uppercase tracking-wide text-slate-500">
        {title} ({list.length})
      </h3>
      {list.length === 0 ? <p className="text-xs text-slate-500">None.</p> : null}
      <ul className="mt-1 max-h-48 space-y-0.5 overflow-y-auto">
        {list.slice(0, 100).map((p) => (
          <li key={p.edgeId}>
            <button
              type="button"
              className="w-full rounded px-1 text-left font-mono text-[11px] text-slate-700 hover:bg-slate-100"
              onClick={() => {
                const ends = parseEdgeId(p.edgeId);
                if (ends) onShowEdge(p.edgeId, ends.source, ends.target);
              }}
            >
              {dir === "in" ? `${p.peer.label} →` : `→ ${p.peer.label}`} {p.ports.join(", ")}
              {p.change ? <span className={p.change === "added" ? " text-emerald-700" : " text-rose-700"}> ({p.change})</span> : null}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
  return (
    <section className={panel} data-testid="node-panel" aria-label="Node details">
      {q.isPending ? <p className="text-slate-500">Loading…</p> : null}
      {q.error ? <p className="text-rose-700">{q.error.message}</p> : null}
      {d ? (
        <>
          <h2 className="text-sm font-semibold text-slate-900">
            {d.namespace && d.kind !== "namespace" ? `${d.namespace}/${d.label}` : d.label}
          </h2>
          <p className="text-xs text-slate-500">
            {d.kind === "workload" ? `${d.workloadKind} · ${d.pods} pod${d.pods === 1 ? "" : "s"}` : d.kind}
            {d.cluster ? ` · ${d.cluster}` : ""}
            {d.tenant ? ` · tenant ${d.tenant}` : ""}
          </p>
          {isGroup ? (
            <>
              <p className="mt-2 text-slate-700">{d.workloads} workloads</p>
              <Button className="mt-2" variant="secondary" onClick={() => onToggleGroup(d.id)}>
                {island ? "Open this island" : "Collapse into an island"}
              </Button>
            </>
          ) : null}
          {Object.keys(d.labels).length > 0 ? (
            <div className="mt-3">
              <h3 className="text-xs font-semibold uppercase tracking-wide text-slate-500">Labels</h3>
              <div className="mt-1 flex flex-wrap gap-1">
                {Object.entries(d.labels).map(([k, v]) => (
                  <Badge key={k}>
                    {k}={v}
                  </Badge>
                ))}
              </div>
            </div>
          ) : null}
          {d.services.length > 0 ? <p className="mt-2 text-xs text-slate-600">Services: {d.services.join("; ")}</p> : null}
          {d.kind === "workload" ? (
            <div className="mt-3">
              <h3 className="text-xs font-semibold uppercase tracking-wide text-slate-500">Policies selecting it ({d.policies.length})</h3>
              <ul className="mt-1 space-y-0.5">
                {d.policies.map((p) => (
                  <li key={`${p.kind}/${p.name}`} className="text-xs text-slate-700">
                    <Badge tone={layerTone(p.layer)}>{p.layer === "admin" ? `${p.tier} tier` : p.layer}</Badge>{" "}
                    <PolicyLink name={p.name} version={p.version} /> <span className="text-slate-500">({p.directions.join(", ")})</span>
                  </li>
                ))}
              </ul>
              <p className="mt-2 text-xs">
                <Link className="text-brand-700 underline" href={`/policies/new?from=${encodeURIComponent(`${d.namespace}/${d.label}`)}`}>
                  Draft an allow rule from this workload
                </Link>
              </p>
            </div>
          ) : null}
          <PathList title="Inbound paths" list={d.inbound} dir="in" />
          <PathList title="Outbound paths" list={d.outbound} dir="out" />
          {d.members && d.members.length > 0 ? (
            <details className="mt-3">
              <summary className="cursor-pointer text-xs text-slate-500">Workloads inside</summary>
              <p className="mt-1 font-mono text-[11px] text-slate-600">{d.members.join(", ")}</p>
            </details>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
