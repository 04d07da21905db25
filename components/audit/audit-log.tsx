"use client";

import { useInfiniteQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { describeError } from "@/components/trpc/errors";
import { useTRPC } from "@/components/trpc/client";
import { ChainStatus, formatTime } from "./chain-status";
import { Badge, Button, Card, Field, Input, Notice, Table, Td, type BadgeTone } from "@/components/ui/primitives";

interface Filters {
  actor?: string;
  action?: string;
  target?: string;
  from?: Date;
  to?: Date;
}

function toneFor(action: string): BadgeTone {
  if (/deleted|revoked|removed|rejected/.test(action)) return "red";
  if (/created|added|approved|seeded/.test(action)) return "green";
  return "blue";
}

function parseDate(value: FormDataEntryValue | null, endOfDay: boolean): Date | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  const date = new Date(`${value}T${endOfDay ? "23:59:59.999" : "00:00:00"}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function AuditLog() {
  const trpc = useTRPC();
  const [filters, setFilters] = useState<Filters>({});
  const [expanded, setExpanded] = useState<number | null>(null);
  const events = useInfiniteQuery(
    trpc.audit.list.infiniteQueryOptions(filters, {
      initialCursor: undefined,
      getNextPageParam: (page) => page.nextBeforeSeq ?? undefined,
    }),
  );
  const failure = events.isError ? describeError(events.error) : null;

  function apply(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const text = (name: string) => {
      const v = data.get(name);
      return typeof v === "string" && v.trim() ? v.trim() : undefined;
    };
    setFilters({
      actor: text("actor"),
      action: text("action"),
      target: text("target"),
      from: parseDate(data.get("from"), false),
      to: parseDate(data.get("to"), true),
    });
  }

  const rows = events.data?.pages.flatMap((p) => p.events) ?? [];
  return (
    <div className="space-y-6">
      <ChainStatus />
      <Card>
        <form onSubmit={apply} className="grid grid-cols-2 items-end gap-3 md:grid-cols-6" aria-label="Filter audit events">
          <Field label="Actor">
            <Input name="actor" placeholder="e-mail or token" />
          </Field>
          <Field label="Action">
            <Input name="action" placeholder="e.g. token." />
          </Field>
          <Field label="Target">
            <Input name="target" placeholder="name or id" />
          </Field>
          <Field label="From (UTC)" error={failure?.fields.from?.[0]}>
            <Input name="from" type="date" />
          </Field>
          <Field label="To (UTC)">
            <Input name="to" type="date" />
          </Field>
          <div className="flex gap-2">
            <Button type="submit">Filter</Button>
            <Button type="reset" variant="ghost" onClick={() => setFilters({})}>
              Clear
            </Button>
          </div>
        </form>
      </Card>
      {failure && !failure.fields.from ? <Notice tone="error">{failure.message}</Notice> : null}
      <Card>
        <Table
          head={["#", "Time", "Actor", "Action", "Target", "Request", ""]}
          empty={
            events.isSuccess && rows.length === 0 ? (
              <p className="px-3 py-6 text-center text-sm text-slate-500">No events match these filters.</p>
            ) : null
          }
        >
          {rows.map((e) => (
            <FragmentRow
              key={e.seq}
              expanded={expanded === e.seq}
              onToggle={() => setExpanded(expanded === e.seq ? null : e.seq)}
              event={e}
            />
          ))}
        </Table>
        {events.isPending ? <p className="px-3 py-4 text-sm text-slate-500">Loading events…</p> : null}
        {events.hasNextPage ? (
          <div className="mt-4 text-center">
            <Button variant="secondary" onClick={() => events.fetchNextPage()} disabled={events.isFetchingNextPage}>
              {events.isFetchingNextPage ? "Loading…" : "Load older events"}
            </Button>
          </div>
        ) : null}
      </Card>
    </div>
  );
}

type AuditRow = {
  seq: number;
  at: Date;
  actorLabel: string;
  actorType: string;
  action: string;
  targetType: string;
  targetLabel: string;
  requestId: string;
  before: unknown;
  after: unknown;
  hash: string;
};

function FragmentRow({ event, expanded, onToggle }: { event: AuditRow; expanded: boolean; onToggle: () => void }) {
  return (
    <>
      <tr data-testid="audit-row">
        <Td className="tabular-nums text-slate-500">{event.seq}</Td>
        <Td className="whitespace-nowrap tabular-nums">{formatTime(event.at)}</Td>
        <Td>
          {event.actorLabel}
          {event.actorType !== "user" ? <span className="ml-1 text-xs text-slate-500">({event.actorType})</span> : null}
        </Td>
        <Td>
          <Badge tone={toneFor(event.action)}>{event.action}</Badge>
        </Td>
        <Td>
          <span className="text-xs text-slate-500">{event.targetType}</span> {event.targetLabel}
        </Td>
        <Td className="font-mono text-xs text-slate-500">{event.requestId.slice(0, 8)}</Td>
        <Td>
          <button className="text-xs font-medium text-brand-600 hover:underline" onClick={onToggle} aria-expanded={expanded}>
            {expanded ? "Hide" : "Details"}
          </button>
        </Td>
      </tr>
      {expanded ? (
        <tr>
          <td colSpan={7} className="bg-slate-50 px-3 py-3">
            <div className="grid gap-3 md:grid-cols-2">
              <div>
                <p className="mb-1 text-xs font-semibold text-slate-600">Before</p>
                <pre className="overflow-x-auto rounded bg-white p-2 text-xs ring-1 ring-slate-200">
                  {JSON.stringify(event.before, null, 2)}
                </pre>
              </div>
              <div>
                <p className="mb-1 text-xs font-semibold text-slate-600">After</p>
                <pre className="overflow-x-auto rounded bg-white p-2 text-xs ring-1 ring-slate-200">
                  {JSON.stringify(event.after, null, 2)}
                </pre>
              </div>
            </div>
            <p className="mt-2 font-mono text-xs text-slate-500">
              request {event.requestId} · hash {event.hash}
            </p>
          </td>
        </tr>
      ) : null}
    </>
  );
}
