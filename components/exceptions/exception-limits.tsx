"use client";

// The admins' limits on exceptions and the exception approval rules (separate from the
// change rules): shown to everyone, the limits editable by admins.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Badge, Button, Card, Field, Input, Notice } from "@/components/ui/primitives";

export function ExceptionLimits({ isAdmin }: { isAdmin: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const q = useQuery(trpc.exceptions.settings.queryOptions());
  const [maxDurationDays, setMaxDurationDays] = useState("30");
  const [maxRenewals, setMaxRenewals] = useState("2");
  const [forbidWholeInternet, setForbidWholeInternet] = useState(true);
  const [forbidWholeNamespace, setForbidWholeNamespace] = useState(true);
  useEffect(() => {
    if (!q.data) return;
    setMaxDurationDays(String(q.data.maxDurationDays));
    setMaxRenewals(String(q.data.maxRenewals));
    setForbidWholeInternet(q.data.forbidWholeInternet);
    setForbidWholeNamespace(q.data.forbidWholeNamespaceInProduction);
  }, [q.data]);
  const save = useMutation(
    trpc.exceptions.updateSettings.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.exceptions.settings.queryKey() }),
    }),
  );
  if (q.isError) return <Notice tone="error">{describeError(q.error).message}</Notice>;
  const s = q.data;
  if (!s) return null;
  return (
    <Card
      title="Limits and approval rules"
      actions={
        <span className="text-xs text-slate-500">
          version {s.version}, set by {s.updatedBy}
        </span>
      }
    >
      <ul className="mb-4 space-y-1 text-sm">
        {s.rules.map((r) => (
          <li key={r.key}>
            <Badge tone={r.appliesTo === "production" ? "amber" : "slate"}>{r.key}</Badge> {r.description} —{" "}
            {r.requirements.map((q) => `${q.count} × ${q.function}`).join(" + ")}
          </li>
        ))}
      </ul>
      {isAdmin ? (
        <form
          className="grid max-w-3xl grid-cols-2 gap-3 lg:grid-cols-4"
          aria-label="Exception limits"
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate({
              expectedVersion: s.version,
              maxDurationDays: Number(maxDurationDays),
              maxRenewals: Number(maxRenewals),
              forbidWholeInternet,
              forbidWholeNamespaceInProduction: forbidWholeNamespace,
              rules: s.rules,
            });
          }}
        >
          <Field label="Longest window (days)">
            <Input type="number" min={1} max={365} value={maxDurationDays} onChange={(e) => setMaxDurationDays(e.target.value)} />
          </Field>
          <Field label="Renewals in a row">
            <Input type="number" min={0} max={20} value={maxRenewals} onChange={(e) => setMaxRenewals(e.target.value)} />
          </Field>
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={forbidWholeInternet} onChange={(e) => setForbidWholeInternet(e.target.checked)} />
            Refuse 0.0.0.0/0 destinations
          </label>
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={forbidWholeNamespace} onChange={(e) => setForbidWholeNamespace(e.target.checked)} />
            Refuse whole-namespace sources in production
          </label>
          <div className="col-span-full flex items-center gap-3">
            <Button type="submit" variant="secondary" disabled={save.isPending}>
              Save limits
            </Button>
            {save.error ? (
              <span className="text-xs text-rose-700" role="alert">
                {[describeError(save.error).message, ...Object.values(describeError(save.error).fields).flat()].join(" ")}
              </span>
            ) : null}
            {save.isSuccess ? <span className="text-xs text-emerald-700">Saved.</span> : null}
          </div>
        </form>
      ) : (
        <p className="text-sm text-slate-600">
          Windows of at most {s.maxDurationDays} days; at most {s.maxRenewals} renewal(s) in a row
          {s.forbidWholeInternet ? "; no 0.0.0.0/0 destination" : ""}
          {s.forbidWholeNamespaceInProduction ? "; no whole-namespace source in production" : ""}.
        </p>
      )}
    </Card>
  );
}
