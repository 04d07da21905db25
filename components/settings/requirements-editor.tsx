"use client";

// The "asks for" rows of an approval rule (count × committee function, organisation-wide or of the
// owning tenant): shared by the change rules and the exception rules in Settings.
import { Button, Input, Select } from "@/components/ui/primitives";
import { COMMITTEE_FUNCTIONS, type CommitteeFunction } from "@/lib/vocabulary";

export type RequirementScope = "owning-tenant" | "organisation";
export interface Requirement {
  function: CommitteeFunction;
  count: number;
  scope: RequirementScope;
}

export function RequirementsEditor({ requirements, onChange }: { requirements: Requirement[]; onChange(next: Requirement[]): void }) {
  const set = (i: number, patch: Partial<Requirement>) => onChange(requirements.map((q, j) => (j === i ? { ...q, ...patch } : q)));
  return (
    <>
      {requirements.map((q, i) => (
        <div key={i} className="flex items-center gap-2" data-testid="rule-requirement">
          <Input
            type="number"
            min={1}
            max={20}
            aria-label={`Count ${i + 1}`}
            className="w-20"
            value={Number.isNaN(q.count) ? "" : q.count}
            onChange={(e) => set(i, { count: e.target.valueAsNumber })}
          />
          <span>×</span>
          <Select
            aria-label={`Function ${i + 1}`}
            value={q.function}
            onChange={(e) => set(i, { function: e.target.value as CommitteeFunction })}
          >
            {COMMITTEE_FUNCTIONS.map((f) => (
              <option key={f}>{f}</option>
            ))}
          </Select>
          <Select aria-label={`Scope ${i + 1}`} value={q.scope} onChange={(e) => set(i, { scope: e.target.value as RequirementScope })}>
            <option value="organisation">organisation-wide</option>
            <option value="owning-tenant">of the owning tenant</option>
          </Select>
          <Button type="button" variant="ghost" onClick={() => onChange(requirements.filter((_, j) => j !== i))}>
            Remove
          </Button>
        </div>
      ))}
      <Button
        type="button"
        variant="ghost"
        onClick={() => onChange([...requirements, { function: "security", count: 1, scope: "organisation" }])}
      >
        Add a requirement
      </Button>
    </>
  );
}
