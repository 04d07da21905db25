"use client";
// The change request's impact, computed by the engine against the current
// release: the risk and why, then per cluster the paths added and removed
// (each with its rationale), workloads newly under default deny, the
// constraints touched, and the compile check's errors.
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Badge, Card, Notice, type BadgeTone } from "@/components/ui/primitives";
import type { ChangeImpactView } from "@/server/changes/impact-service";
import { ImpactPaths } from "./impact-paths";
import { ImpactLint } from "./impact-lint";

const RISK_TONE: Record<ChangeImpactView["risk"]["level"], BadgeTone> = { low: "green", medium: "amber", high: "red", critical: "red" };

export function ImpactSection({ number }: { number: number }) {
  const trpc = useTRPC();
  const impact = useQuery(trpc.changes.impact.queryOptions({ number }));
  if (impact.isError) return <Notice tone="error">{describeError(impact.error).message}</Notice>;
  const i = impact.data;
  return (
    <>
      <Card
        id="impact"
        title={
          <span className="flex items-center gap-2">
            Impact against the current release
            {i ? (
              <span data-testid="impact-risk">
                <Badge tone={RISK_TONE[i.risk.level]}>{i.risk.level} risk</Badge>
              </span>
            ) : null}
          </span>
        }
      >
        {!i ? (
          <p className="text-sm text-slate-500">The engine is computing the impact…</p>
        ) : (
          <div className="space-y-5 text-sm text-slate-700">
            <ImpactSummary impact={i} />
            {i.compileErrors.length > 0 ? (
              <div className="space-y-2" data-testid="impact-compile-errors">
                {i.compileErrors.map((e) => (
                  <Notice key={e} tone="error">
                    Compile check: {e}
                  </Notice>
                ))}
              </div>
            ) : null}
            {i.clusters.map((c) => (
              <ImpactPaths key={c.cluster} cluster={c} />
            ))}
          </div>
        )}
      </Card>
      {i ? <ImpactLint findings={i.lint} unavailable={i.lintUnavailable} /> : null}
    </>
  );
}

function ImpactSummary({ impact }: { impact: ChangeImpactView }) {
  return (
    <div className="grid gap-4 md:grid-cols-2">
      <div>
        <h3 className="text-xs font-semibold tracking-wide text-slate-500 uppercase">Why this risk</h3>
        <ul className="mt-1 list-disc space-y-0.5 pl-5" data-testid="impact-reasons">
          {impact.risk.reasons.map((r) => (
            <li key={r.text}>
              <span className="font-medium">{r.level}</span>: {r.text}
            </li>
          ))}
        </ul>
      </div>
      <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1">
        <dt className="text-slate-500">Paths</dt>
        <dd>
          {impact.totals.added} added, {impact.totals.removed} removed
        </dd>
        <dt className="text-slate-500">Newly default-denied</dt>
        <dd>{impact.totals.newlyDefaultDenied} workload direction(s)</dd>
        <dt className="text-slate-500">Tiers touched</dt>
        <dd>{impact.tiers.join(", ") || "none"}</dd>
        <dt className="text-slate-500">Constraints touched</dt>
        <dd data-testid="impact-constraints">
          {impact.constraints.length === 0
            ? "none"
            : impact.constraints.map((c) => `${c.name} (${c.change}${c.loosens ? ", loosens it" : ""})`).join(", ")}
        </dd>
      </dl>
    </div>
  );
}
