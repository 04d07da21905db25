"use client";

// Which workloads the policy is about, how many the engine finds, and (in the
// namespace tier) which directions it isolates.
import { useField } from "./field";
import { WorkloadSelectorEditor } from "./selectors";

export type Matched = { cluster: string; namespace: string; name: string }[];

const MATCHES_SHOWN = 8;

function MatchedWorkloads({ matched }: { matched: Matched | null }) {
  if (!matched) return null;
  if (matched.length === 0) return <p className="text-xs text-amber-800">Selects no workload in any cluster: check the labels.</p>;
  const names = [...new Set(matched.map((m) => `${m.namespace}/${m.name}`))];
  return (
    <p className="font-mono text-xs text-slate-500" data-testid="subject-matches">
      {names.slice(0, MATCHES_SHOWN).join(", ")}
      {names.length > MATCHES_SHOWN ? ", …" : ""}{" "}
      <span className="text-slate-400">in {new Set(matched.map((m) => m.cluster)).size} cluster(s)</span>
    </p>
  );
}

function IsolateField() {
  const isolate = useField(["spec", "isolate"]);
  const current = Array.isArray(isolate.value) ? (isolate.value as string[]) : [];
  return (
    <div className="flex items-center gap-4 text-xs text-slate-700">
      <span className="font-medium">Isolate (default deny) for</span>
      {(["ingress", "egress"] as const).map((d) => {
        const on = current.includes(d);
        return (
          <label key={d} className="inline-flex items-center gap-1">
            <input
              type="checkbox"
              checked={on}
              disabled={isolate.disabled}
              onChange={() => {
                const next = on ? current.filter((x) => x !== d) : [...current, d];
                isolate.set(next.length > 0 ? next : undefined);
              }}
            />
            {d}
          </label>
        );
      })}
      <span className="text-slate-500">(unset: the directions the rules use)</span>
    </div>
  );
}

export function SubjectSection({ matched }: { matched: Matched | null }) {
  const kind = useField(["kind"]).text;
  const tier = useField(["spec", "tier"]).value;
  return (
    <section className="space-y-2 border-t border-slate-100 pt-3">
      <div className="flex items-baseline justify-between">
        <h3 className="text-sm font-semibold text-slate-900">Subject</h3>
        <span className="text-xs text-slate-600" data-testid="subject-count">
          {matched === null ? "…" : `selects ${matched.length} workload${matched.length === 1 ? "" : "s"}`}
        </span>
      </div>
      <MatchedWorkloads matched={matched} />
      <WorkloadSelectorEditor path={["spec", "subject"]} title="Subject" />
      {kind === "Policy" && tier === "namespace" ? <IsolateField /> : null}
    </section>
  );
}
