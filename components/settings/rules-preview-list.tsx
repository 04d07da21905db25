// The rules a (described or real) change or exception would hit, each requirement with who gave it
// and who could give it today: the preview list of the change rules and of the exception rules.
import { requirementLabel } from "@/components/changes/requirement-label";
import { Badge } from "@/components/ui/primitives";
import type { CommitteeFunction } from "@/lib/vocabulary";

export interface PreviewedRule {
  rule: string;
  description?: string;
  satisfied?: boolean | null;
  required: {
    function: CommitteeFunction;
    count: number;
    scope: "owning-tenant" | "organisation";
    tenant: string | null;
    givenBy?: string[];
    eligible: string[];
  }[];
}

export function RulesPreviewList({ rules, withDescription = false }: { rules: PreviewedRule[]; withDescription?: boolean }) {
  return (
    <ul className="space-y-2">
      {rules.map((r) => (
        <li key={r.rule} className="rounded-md border border-slate-200 p-2">
          <span className="font-mono text-xs">{r.rule}</span>{" "}
          {withDescription && r.description ? <span className="text-xs text-slate-500">{r.description}</span> : null}
          {r.satisfied === null || r.satisfied === undefined ? null : (
            <Badge tone={r.satisfied ? "green" : "amber"}>{r.satisfied ? "met" : "waiting"}</Badge>
          )}
          <ul className="mt-1 text-xs">
            {r.required.map((q) => (
              <li key={`${q.function}-${q.tenant ?? ""}-${q.scope}`}>
                {requirementLabel(q)}
                {q.givenBy?.length ? <span className="text-emerald-700"> — given by {q.givenBy.join(", ")}</span> : null}
                <span className="text-slate-500">
                  {" "}
                  · could give it: {q.eligible.length ? q.eligible.join(", ") : <span className="text-rose-700">no one</span>}
                </span>
              </li>
            ))}
          </ul>
        </li>
      ))}
    </ul>
  );
}
