"use client";
// One cluster's part of the impact: the paths the change adds and removes, each
// with the engine's rationale, and the workloads whose default changes.
import type { ClusterImpact, ImpactPath } from "@/server/changes/impact";

function allowanceText(a: NonNullable<ImpactPath["rationale"]>[number]["allowance"]): string {
  if (!a) return "no allowance";
  if (a.layer === "default") return "the platform default";
  const where = a.layer === "admin" ? `${a.tier ?? "cluster"} tier` : a.layer;
  return `${where}${a.policy ? ` policy ${a.policy.name}${a.policy.version ? ` v${a.policy.version}` : ""}` : ""}${a.rule ? `, ${a.rule}` : ""}`;
}

function PathItem({ path }: { path: ImpactPath }) {
  const added = path.change === "added";
  return (
    <li
      data-testid="impact-path"
      data-change={path.change}
      className={`rounded-md px-3 py-2 ring-1 ring-inset ${added ? "bg-emerald-50 ring-emerald-200" : "bg-rose-50 ring-rose-200"}`}
    >
      <div className="flex flex-wrap items-center gap-2 font-mono text-xs text-slate-900">
        <span>{added ? "+" : "−"}</span>
        <span>{path.label}</span>
        {path.destination ? (
          <span className="rounded bg-white px-1.5 font-sans text-[11px] font-medium text-rose-700 ring-1 ring-rose-200">
            {path.destination.criticality === "world" ? "world" : `${path.destination.criticality} service`}
          </span>
        ) : null}
      </div>
      {path.rationale?.map((r) => (
        <div key={r.port} className="mt-1 text-xs text-slate-600" data-testid="impact-rationale">
          <span className="font-mono">{r.port}</span> {added ? "allowed by" : "was allowed by"} {allowanceText(r.allowance)}
          {r.path ? <div className="font-mono text-[11px] break-words text-slate-500">{r.path}</div> : null}
          {r.nearestAllow ? <div className="text-[11px] text-slate-500">Closest allow: {r.nearestAllow}</div> : null}
        </div>
      ))}
    </li>
  );
}

export function ImpactPaths({ cluster }: { cluster: ClusterImpact }) {
  const paths = [...cluster.added, ...cluster.removed];
  const changedDefaults = [
    ...cluster.newlyDefaultDenied.map((d) => ({ ...d, now: "denied" })),
    ...cluster.noLongerDefaultDenied.map((d) => ({ ...d, now: "open" })),
  ];
  return (
    <section aria-label={`Impact in ${cluster.cluster}`} data-testid="impact-cluster" data-cluster={cluster.cluster}>
      <h3 className="font-semibold text-slate-900">
        {cluster.cluster}{" "}
        <span className="font-normal text-slate-500">
          · {cluster.added.length} path(s) added, {cluster.removed.length} removed
        </span>
      </h3>
      {paths.length === 0 && changedDefaults.length === 0 ? <p className="mt-1 text-slate-500">No allowed path changes here.</p> : null}
      {paths.length > 0 ? (
        <ul className="mt-2 space-y-1.5">
          {paths.map((p) => (
            <PathItem key={`${p.edgeId}|${p.change}`} path={p} />
          ))}
        </ul>
      ) : null}
      {cluster.withoutRationale > 0 ? (
        <p className="mt-1 text-xs text-slate-500">
          {cluster.withoutRationale} path(s) listed without their rationale (open them on the graph).
        </p>
      ) : null}
      {changedDefaults.length > 0 ? (
        <ul className="mt-2 space-y-0.5" data-testid="impact-default-deny">
          {changedDefaults.map((d) => (
            <li key={`${d.workload}|${d.direction}|${d.now}`}>
              {d.now === "denied" ? "Newly under default deny" : "No longer under default deny"}:{" "}
              <span className="font-mono">{d.workload}</span> {d.direction} ({d.by})
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
