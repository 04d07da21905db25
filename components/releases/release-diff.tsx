"use client";
// Any two releases side by side: the policies added, removed or moved to
// another version between them, each as a side-by-side YAML diff. The pair
// lives in the address (/releases/diff?from=A&to=B) so it can be shared.
import { useQuery } from "@tanstack/react-query";
import { usePathname, useRouter } from "next/navigation";
import { useState } from "react";
import { SideBySideDiff } from "@/components/policies/side-by-side-diff";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Badge, Card, Notice, Select } from "@/components/ui/primitives";

const CHANGE_TONE = { added: "green", removed: "red", changed: "amber" } as const;

export function ReleaseDiff({ from, to }: { from: number | null; to: number | null }) {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const list = useQuery(trpc.releases.list.queryOptions());
  // The pair chosen here leads; the address follows (a second pick must not read an address the router has not updated yet).
  const [picked, setPicked] = useState<{ from: number | null; to: number | null }>({ from, to });
  const latest = list.data?.[0]?.number ?? null;
  const chosenTo = picked.to ?? latest;
  const chosenFrom = picked.from ?? (chosenTo !== null ? (list.data?.find((r) => r.number < chosenTo)?.number ?? null) : null);
  const ready = chosenFrom !== null && chosenTo !== null;
  const diff = useQuery({ ...trpc.releases.diff.queryOptions({ from: chosenFrom ?? 1, to: chosenTo ?? 1 }), enabled: ready });
  const choose = (side: "from" | "to", value: string) => {
    const next = { from: chosenFrom, to: chosenTo, [side]: Number(value) };
    setPicked(next);
    router.replace(`${pathname}?from=${next.from}&to=${next.to}`);
  };
  if (list.isError) return <Notice tone="error">{describeError(list.error).message}</Notice>;
  if (list.data && list.data.length === 0) return <Notice>No release has been made yet.</Notice>;
  const picker = (side: "from" | "to", value: number | null) => (
    <label className="flex items-center gap-2 text-sm text-slate-700">
      <span className="whitespace-nowrap">{side === "from" ? "From release" : "to release"}</span>
      <Select
        aria-label={side === "from" ? "From release" : "To release"}
        value={value ?? ""}
        onChange={(e) => choose(side, e.target.value)}
      >
        {(list.data ?? []).map((r) => (
          <option key={r.number} value={r.number}>
            {r.number} · {r.title}
          </option>
        ))}
      </Select>
    </label>
  );
  const d = diff.data;
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center gap-4">
        {picker("from", chosenFrom)}
        {picker("to", chosenTo)}
      </div>
      {!ready ? (
        <Notice>Choose two releases to compare.</Notice>
      ) : diff.isError ? (
        <Notice tone="error">{describeError(diff.error).message}</Notice>
      ) : !d ? (
        <p className="text-sm text-slate-500">Loading…</p>
      ) : (
        <>
          <p className="text-sm text-slate-700" data-testid="release-diff-summary">
            {d.policies.length} polic{d.policies.length === 1 ? "y" : "ies"} differ, {d.unchanged} unchanged
            {d.samePolicySet ? " — the two releases hold the same policy set" : ""}
            {d.hiddenPolicies > 0 ? ` (${d.hiddenPolicies} of other tenants not shown)` : ""}.
            {d.exceptions.added.length + d.exceptions.removed.length > 0
              ? ` Exceptions: ${d.exceptions.added.length} added, ${d.exceptions.removed.length} removed.`
              : ""}
          </p>
          {d.platformDefault.changes.length > 0 ? (
            <Card title="Platform default">
              <p className="text-sm text-slate-700" data-testid="release-diff-platform-default">
                Release {d.from.number}: v{d.platformDefault.from.version} ({d.platformDefault.from.setting}) → release {d.to.number}: v
                {d.platformDefault.to.version} ({d.platformDefault.to.setting}): {d.platformDefault.changes.join(", ")}.
              </p>
            </Card>
          ) : null}
          {d.policies.map((p) => (
            <Card
              key={p.name}
              title={
                <span className="flex items-center gap-2" data-testid="release-diff-policy">
                  <span className="font-mono">{p.name}</span>
                  <Badge tone={CHANGE_TONE[p.change]}>{p.change}</Badge>
                  <span className="font-normal text-slate-500">
                    {p.kind === "ComplianceConstraint" ? "constraint" : `${p.tier} tier`} · {p.fromVersion ? `v${p.fromVersion}` : "absent"}{" "}
                    → {p.toVersion ? `v${p.toVersion}` : "absent"}
                  </span>
                </span>
              }
            >
              <SideBySideDiff
                before={p.fromYaml}
                after={p.toYaml}
                beforeLabel={`Release ${d.from.number}${p.fromVersion ? ` (v${p.fromVersion})` : ""}`}
                afterLabel={`Release ${d.to.number}${p.toVersion ? ` (v${p.toVersion})` : ""}`}
              />
            </Card>
          ))}
        </>
      )}
    </div>
  );
}
