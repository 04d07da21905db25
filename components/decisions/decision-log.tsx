"use client";

// The decision log: the sampling setting (admins) and a search over the logged decisions by cluster,
// verdict, source, destination, time range and decision id, newest first, page by page.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Badge, Button, Card, Field, Input, Notice, Select, Table, Td } from "@/components/ui/primitives";

const whenUtc = (d: Date) => `${d.toISOString().replace("T", " ").slice(0, 19)} UTC`;

interface Filters {
  cluster?: string;
  decision?: "allow" | "deny";
  source?: string;
  destination?: string;
  from?: Date;
  to?: Date;
  decisionId?: string;
}

function SamplingForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const settings = useQuery(trpc.decisions.settings.queryOptions());
  const update = useMutation(
    trpc.decisions.updateSettings.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.decisions.settings.queryKey() }),
    }),
  );
  const current = settings.data;
  if (!current) return settings.isError ? <Notice tone="error">{describeError(settings.error).message}</Notice> : null;
  const failure = update.error ? describeError(update.error) : null;
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    update.mutate({
      sampleRate: Number(data.get("sampleRate")) / 100,
      alwaysLogDenies: data.get("alwaysLogDenies") === "on",
      retentionDays: Number(data.get("retentionDays")),
      expectedVersion: current.version,
    });
  };
  return (
    <Card title="What is logged">
      <form
        key={current.version}
        onSubmit={submit}
        aria-label="Decision log sampling"
        className="flex flex-wrap items-end gap-3 text-sm"
        noValidate
      >
        <p className="w-full text-slate-600" data-testid="sampling-summary">
          {current.sampleRate === 0 && !current.alwaysLogDenies
            ? "Off: no decision is logged."
            : `${Math.round(current.sampleRate * 1000) / 10} % of decisions${current.alwaysLogDenies ? ", and every deny," : ""} are logged and kept ${current.retentionDays} days.`}{" "}
          Logging never slows or fails a decision: entries are written in batches, and dropped (counted) if the database cannot keep up.
        </p>
        <Field label="Sampled share (%)" error={failure?.fields.sampleRate?.[0]}>
          <Input name="sampleRate" type="number" min={0} max={100} step="any" defaultValue={current.sampleRate * 100} className="w-28" />
        </Field>
        <label className="flex items-center gap-1.5 pb-2 text-slate-700">
          <input type="checkbox" name="alwaysLogDenies" defaultChecked={current.alwaysLogDenies} />
          Always log denies
        </label>
        <Field label="Keep (days)" error={failure?.fields.retentionDays?.[0]}>
          <Input name="retentionDays" type="number" min={1} max={3650} defaultValue={current.retentionDays} className="w-24" />
        </Field>
        <Button type="submit" variant="secondary" disabled={update.isPending}>
          Save
        </Button>
        <span className="pb-2 text-xs text-slate-500">
          version {current.version} · by {current.updatedBy}
        </span>
        {failure && Object.keys(failure.fields).length === 0 ? <Notice tone="error">{failure.message}</Notice> : null}
      </form>
    </Card>
  );
}

function SearchForm({ onSearch }: { onSearch: (f: Filters) => void }) {
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const text = (k: string) => String(data.get(k) ?? "").trim() || undefined;
    const time = (k: string) => (text(k) ? new Date(`${text(k)}Z`) : undefined);
    const decision = text("decision");
    onSearch({
      cluster: text("cluster"),
      decision: decision === "allow" || decision === "deny" ? decision : undefined,
      source: text("source"),
      destination: text("destination"),
      from: time("from"),
      to: time("to"),
      decisionId: text("decisionId"),
    });
  };
  return (
    <form onSubmit={submit} aria-label="Search decisions" className="flex flex-wrap items-end gap-3 text-sm">
      <Field label="Cluster">
        <Input name="cluster" className="w-32" />
      </Field>
      <Field label="Verdict">
        <Select name="decision" aria-label="Verdict">
          <option value="">any</option>
          <option value="allow">allow</option>
          <option value="deny">deny</option>
        </Select>
      </Field>
      <Field label="Source contains">
        <Input name="source" className="w-40" />
      </Field>
      <Field label="Destination contains">
        <Input name="destination" className="w-40" />
      </Field>
      <Field label="From (UTC)">
        <Input name="from" type="datetime-local" />
      </Field>
      <Field label="To (UTC)">
        <Input name="to" type="datetime-local" />
      </Field>
      <Field label="Decision id">
        <Input name="decisionId" className="w-72 font-mono text-xs" />
      </Field>
      <Button type="submit">Search</Button>
    </form>
  );
}

export function DecisionLog({ admin }: { admin: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [filters, setFilters] = useState<Filters>({});
  const [pages, setPages] = useState<({ decidedAt: Date; decisionId: string } | undefined)[]>([undefined]);
  const after = pages.at(-1);
  const result = useQuery(trpc.decisions.search.queryOptions({ ...filters, ...(after ? { after } : {}) }));
  const [open, setOpen] = useState<string | null>(null);
  const error = result.error ? describeError(result.error) : null;
  return (
    <div className="space-y-6">
      {admin ? <SamplingForm /> : null}
      <Card title="Decisions">
        <SearchForm
          onSearch={(f) => {
            setFilters(f);
            setPages([undefined]);
            // The same search again must ask again: entries are written a moment after their decision.
            void queryClient.invalidateQueries({ queryKey: trpc.decisions.search.queryKey() });
          }}
        />
        {error ? (
          <Notice tone="error">
            {error.message}
            {Object.entries(error.fields).map(([k, v]) => ` ${k}: ${v?.[0]}`)}
          </Notice>
        ) : null}
        <div className="mt-4">
          <Table
            head={["When", "Cluster", "Source", "Destination", "Port", "Verdict", "Release", "Caller", ""]}
            empty={result.data?.rows.length === 0 ? <p className="px-3 py-4 text-sm text-slate-500">No logged decision matches.</p> : null}
          >
            {(result.data?.rows ?? []).flatMap((r) => {
              const rows = [
                <tr key={r.decisionId} data-testid="decision-row">
                  <Td className="whitespace-nowrap text-xs">{whenUtc(r.decidedAt)}</Td>
                  <Td>{r.cluster}</Td>
                  <Td className="font-mono text-xs">{r.source}</Td>
                  <Td className="font-mono text-xs">{r.destination}</Td>
                  <Td>
                    {r.port}/{r.protocol}
                  </Td>
                  <Td>
                    <Badge tone={r.decision === "allow" ? "green" : "red"}>{r.decision}</Badge>
                    {r.stale ? <Badge tone="amber">stale</Badge> : null}
                  </Td>
                  <Td>{r.release ?? "none"}</Td>
                  <Td className="text-xs">{r.caller}</Td>
                  <Td>
                    <Button
                      variant="secondary"
                      className="px-2 py-0.5 text-xs"
                      onClick={() => setOpen(open === r.decisionId ? null : r.decisionId)}
                    >
                      {open === r.decisionId ? "Hide" : "Why"}
                    </Button>
                  </Td>
                </tr>,
              ];
              if (open === r.decisionId)
                rows.push(
                  <tr key={`${r.decisionId}-why`}>
                    <td colSpan={9} className="bg-slate-50 px-3 py-2 text-xs">
                      <p className="font-mono">decision {r.decisionId}</p>
                      <ul className="mt-1 list-disc pl-5">
                        {r.reasons.map((reason, i) => (
                          <li key={i}>{reason}</li>
                        ))}
                      </ul>
                      <p className="mt-1 text-slate-500">
                        {r.cached ? "answered from the release's cache" : "evaluated by the engine"} in {r.micros} µs
                        {r.dryRunChangeRequest ? `; dry run of change request #${r.dryRunChangeRequest}` : ""}
                      </p>
                    </td>
                  </tr>,
                );
              return rows;
            })}
          </Table>
        </div>
        <div className="mt-3 flex gap-2">
          <Button variant="secondary" disabled={pages.length === 1} onClick={() => setPages((p) => p.slice(0, -1))}>
            Newer
          </Button>
          <Button
            variant="secondary"
            disabled={!result.data?.next}
            onClick={() => {
              const next = result.data?.next;
              if (next) setPages((p) => [...p, next]);
            }}
          >
            Older
          </Button>
          <span className="self-center text-xs text-slate-500">page {pages.length}</span>
        </div>
      </Card>
    </div>
  );
}
