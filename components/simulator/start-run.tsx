"use client";
// Starting a replay: a dataset, the proposal (a change request or the pending drafts) compared with
// the current release, the cluster whose inventory the records resolve through, an optional window.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/components/trpc/client";
import { Button, Card, Field, Input, Notice, Select } from "@/components/ui/primitives";
import { formatCount } from "@/lib/format";
import { ChangeOptions, ClusterField, useSimulatorChoices } from "./form-fields";

/** A datetime-local value (the browser's local time) → an ISO instant. */
const toIso = (local: string) => (local ? new Date(local).toISOString() : undefined);

export function StartRun({ changeNumber, onStarted }: { changeNumber?: number; onStarted?: (id: string) => void }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const datasets = useQuery(trpc.simulator.datasets.queryOptions());
  const [form, setForm] = useState({ dataset: "", proposal: "drafts", cluster: "", from: "", to: "" });
  const start = useMutation(
    trpc.simulator.startRun.mutationOptions({
      onSuccess: (run) => {
        void queryClient.invalidateQueries({ queryKey: trpc.simulator.pathKey() });
        if (onStarted) onStarted(run.id);
        else router.push(`/simulator/runs/${run.id}`);
      },
    }),
  );
  const ready = (datasets.data ?? []).filter((d) => d.state === "ready");
  const dataset = form.dataset || ready[0]?.id || "";
  const choices = useSimulatorChoices(form.cluster, changeNumber === undefined);
  const { cluster } = choices;
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [key]: e.target.value }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const from = toIso(form.from);
    const to = toIso(form.to);
    start.mutate({
      datasetId: dataset,
      changeNumber: changeNumber ?? (form.proposal.startsWith("cr:") ? Number(form.proposal.slice(3)) : null),
      ...(cluster ? { cluster } : {}),
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
    });
  };

  return (
    <Card title={changeNumber ? "Replay recorded traffic against this change" : "Replay a dataset: the current release vs a proposal"}>
      {ready.length === 0 && !datasets.isLoading ? (
        <p className="text-sm text-slate-600">
          No dataset is ready yet. {changeNumber ? "Upload one on the Simulator page." : "Upload one above."}
        </p>
      ) : (
        <form className="grid gap-3 md:grid-cols-5" onSubmit={submit} aria-label="Start a replay">
          <Field label="Dataset">
            <Select value={dataset} onChange={set("dataset")} aria-label="Dataset">
              {ready.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name} ({formatCount(d.recordCount ?? 0)} records)
                </option>
              ))}
            </Select>
          </Field>
          {changeNumber === undefined ? (
            <Field label="Proposal (baseline: the current release)">
              <Select value={form.proposal} onChange={set("proposal")} aria-label="Proposal">
                <option value="drafts">the pending drafts</option>
                <ChangeOptions choices={choices} valueOf={(c) => c.number} />
              </Select>
            </Field>
          ) : null}
          <ClusterField
            choices={choices}
            onChange={set("cluster")}
            hint="its inventory names the pods of records that name no cluster; the others use their own cluster's"
          />
          <Field label="From (optional)">
            <Input type="datetime-local" value={form.from} onChange={set("from")} aria-label="Window from" />
          </Field>
          <Field label="To (optional)">
            <Input type="datetime-local" value={form.to} onChange={set("to")} aria-label="Window to" />
          </Field>
          <div className="md:col-span-5">
            <Button type="submit" disabled={!dataset || start.isPending}>
              {start.isPending ? "Starting…" : "Start replay"}
            </Button>
          </div>
        </form>
      )}
      {start.error ? (
        <div className="mt-3">
          <Notice tone="error">{start.error.message}</Notice>
        </div>
      ) : null}
    </Card>
  );
}
