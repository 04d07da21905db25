"use client";
// What each cluster would receive: the compiled Kubernetes objects that differ
// between the current release and the release with this change, side by side.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { SideBySideDiff } from "@/components/policies/side-by-side-diff";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Card, Notice, Select } from "@/components/ui/primitives";

const TARGETS = [
  { value: "anp", label: "AdminNetworkPolicy v1alpha1" },
  { value: "cnp-v1alpha2", label: "ClusterNetworkPolicy v1alpha2" },
] as const;

export function CompiledDiff({ number }: { number: number }) {
  const trpc = useTRPC();
  const [target, setTarget] = useState<(typeof TARGETS)[number]["value"]>("anp");
  const diff = useQuery(trpc.changes.compiledDiff.queryOptions({ number, target }));
  return (
    <Card
      id="compiled"
      title="Compiled Kubernetes objects per cluster"
      actions={
        <label className="flex items-center gap-2 text-xs text-slate-600">
          Target
          <Select value={target} onChange={(e) => setTarget(e.target.value as typeof target)} aria-label="Compile target">
            {TARGETS.map((t) => (
              <option key={t.value} value={t.value}>
                {t.label}
              </option>
            ))}
          </Select>
        </label>
      }
    >
      {diff.isError ? (
        <Notice tone="error">{describeError(diff.error).message}</Notice>
      ) : !diff.data ? (
        <p className="text-sm text-slate-500">Compiling…</p>
      ) : (
        <div className="space-y-4">
          {diff.data.clusters.map((c) => (
            // The first cluster with differences is open; the others usually repeat it.
            <details key={c.cluster} open={c === diff.data.clusters.find((x) => x.changes.length > 0)} data-testid="compiled-cluster">
              <summary className="cursor-pointer text-sm font-semibold text-slate-900">
                {c.cluster}{" "}
                <span className="font-normal text-slate-500">
                  · {c.changes.length} object(s) differ, {c.objects} in all
                </span>
              </summary>
              {c.errors.map((e) => (
                <Notice key={e} tone="error">
                  {e}
                </Notice>
              ))}
              <div className="mt-2 space-y-3">
                {c.changes.map((o) => (
                  <div key={o.path}>
                    <p className="mb-1 font-mono text-xs text-slate-600">
                      {o.change} {o.path}
                    </p>
                    <SideBySideDiff
                      before={o.before}
                      after={o.after}
                      beforeLabel={o.change === "added" ? "Not rendered today" : "Current release"}
                      afterLabel={o.change === "removed" ? "No longer rendered" : "With this change"}
                    />
                  </div>
                ))}
              </div>
            </details>
          ))}
        </div>
      )}
    </Card>
  );
}
