"use client";
// The engine's lint of the policy set with the change in place, for what the
// change carries or brings: errors first.
import { Badge, Card, Notice } from "@/components/ui/primitives";
import type { ChangeFinding } from "@/server/changes/impact-service";

const ORDER = { error: 0, warning: 1, info: 2 } as const;
const TONE = { error: "red", warning: "amber", info: "slate" } as const;

export function ImpactLint({ findings, unavailable }: { findings: ChangeFinding[]; unavailable?: string | undefined }) {
  const sorted = [...findings].sort((a, b) => ORDER[a.severity] - ORDER[b.severity]);
  const errors = findings.filter((f) => f.severity === "error").length;
  return (
    <Card id="lint" title={`Lint findings (${errors} error(s), ${findings.length - errors} other)`}>
      {unavailable ? <Notice tone="warning">The lint and compile check could not finish: {unavailable}</Notice> : null}
      {sorted.length === 0 ? (
        unavailable ? null : (
          <p className="text-sm text-slate-500">The engine&apos;s lint finds nothing in this change.</p>
        )
      ) : (
        <ul className="space-y-1 text-sm" data-testid="impact-lint">
          {sorted.map((f, i) => (
            <li key={`${f.id}|${f.document ?? ""}|${f.path}|${i}`} className="flex gap-2">
              <Badge tone={TONE[f.severity]}>{f.severity}</Badge>
              <span>
                {f.document ? (
                  <span className="font-mono text-xs">
                    {f.document}
                    {f.path ? ` ${f.path}` : ""}
                    {f.line ? `:${f.line}` : ""}:{" "}
                  </span>
                ) : null}
                <span className="line-clamp-3" title={f.message}>
                  {f.message}
                </span>
              </span>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
