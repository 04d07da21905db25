"use client";

// Active exceptions with their countdown (those expiring within 7 days highlighted),
// and the history with filters and the CSV export.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { Badge, Button, Card, Input, Select, Table, Td } from "@/components/ui/primitives";
import type { ExceptionSummary } from "@/server/exceptions/list";
import { EXCEPTION_STATES, EXPIRING_SOON_MS, formatRemaining, type ExceptionState } from "@/lib/exceptions/vocabulary";
import { destinationText, portsText, sourceText } from "./flow-text";
import { UsageSummary } from "./usage";

export const STATE_TONE = { requested: "blue", approved: "green", rejected: "red", revoked: "red", expired: "slate" } as const;

const link = (e: ExceptionSummary) => (
  <Link href={`/exceptions?number=${e.number}#detail`} className="whitespace-nowrap font-mono text-brand-700 hover:underline">
    E-{e.number}
  </Link>
);

/**
 * An expired or revoked exception whose objects clusters may still apply: the re-render has taken them
 * out of the desired state (and the GitOps repository), but Kubernetes keeps them until each cluster
 * applies the new state and reports it.
 */
export function StillEnforced({ e }: { e: ExceptionSummary }) {
  if (e.stillEnforcedIn.length === 0) return null;
  const n = e.stillEnforcedIn.length;
  return (
    <div
      data-testid="still-enforced"
      className="mt-1 text-xs text-amber-800"
      title={`Until these clusters report an observed state without its objects: ${e.stillEnforcedIn.join(", ")}. An expiry is re-rendered within 15 seconds (the sweeper's interval), a revocation at once; each cluster then applies it on its next GitOps sync or agent run.`}
    >
      {e.state}, still enforced in {n} cluster{n === 1 ? "" : "s"} ({e.stillEnforcedIn.join(", ")}) until{" "}
      {n === 1 ? "it applies the re-rendered state and reports it" : "they apply the re-rendered state and report it"}
    </div>
  );
}

export function ActiveExceptions({ items, nowMs }: { items: ExceptionSummary[]; nowMs: number }) {
  const active = items
    .filter((e) => e.state === "approved" && Date.parse(e.expiresAt) > nowMs)
    .sort((a, b) => Date.parse(a.expiresAt) - Date.parse(b.expiresAt));
  return (
    <Card
      title="Active and upcoming"
      actions={<span className="text-xs text-slate-500">{active.length} approved, soonest expiry first</span>}
    >
      <Table
        head={["", "Exception", "Flow", "Window", "Time left", "Use"]}
        empty={
          active.length === 0 ? (
            <p className="px-3 py-6 text-sm text-slate-500">No approved exception is in force or waiting to start.</p>
          ) : null
        }
      >
        {active.map((e) => {
          const started = Date.parse(e.startsAt) <= nowMs;
          const soon = Date.parse(e.expiresAt) - nowMs <= EXPIRING_SOON_MS;
          return (
            <tr
              key={e.number}
              data-testid="active-exception"
              data-expiring={soon ? "true" : "false"}
              className={soon ? "bg-amber-50" : undefined}
            >
              <Td>{link(e)}</Td>
              <Td>
                <span className="font-medium text-slate-900">{e.title}</span>
                <div className="text-xs text-slate-500">
                  by {e.requester} · {e.ticket}
                </div>
              </Td>
              <Td className="font-mono text-xs">
                {sourceText(e.flow)} → {destinationText(e.flow)} {portsText(e.flow)}
              </Td>
              <Td className="whitespace-nowrap text-xs">
                {new Date(e.startsAt).toLocaleString()}
                <br />→ {new Date(e.expiresAt).toLocaleString()}
              </Td>
              <Td className="whitespace-nowrap">
                {started ? (
                  <Badge tone={soon ? "amber" : "green"}>{formatRemaining(Date.parse(e.expiresAt), nowMs)} left</Badge>
                ) : (
                  <Badge tone="blue">starts in {formatRemaining(Date.parse(e.startsAt), nowMs)}</Badge>
                )}
              </Td>
              <Td>
                <UsageSummary usage={e.usage} compact />
              </Td>
            </tr>
          );
        })}
      </Table>
    </Card>
  );
}

export function ExceptionHistory({ items }: { items: ExceptionSummary[] }) {
  const trpc = useTRPC();
  const [state, setState] = useState<ExceptionState | "">("");
  const [namespace, setNamespace] = useState("");
  const [requester, setRequester] = useState("");
  const filter = { ...(state ? { states: [state] } : {}), ...(namespace ? { namespace } : {}), ...(requester ? { requester } : {}) };
  const filtered = useQuery({ ...trpc.exceptions.list.queryOptions(filter), placeholderData: (prev) => prev });
  const csv = useQuery({ ...trpc.exceptions.exportCsv.queryOptions(filter), enabled: false });
  const rows = filtered.data?.exceptions ?? items;
  const download = async () => {
    const r = await csv.refetch();
    if (!r.data) return;
    const url = URL.createObjectURL(new Blob([r.data.csv], { type: "text/csv" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = r.data.filename;
    a.click();
    URL.revokeObjectURL(url);
  };
  return (
    <Card
      title="History"
      actions={
        <Button variant="secondary" onClick={download} disabled={csv.isFetching}>
          Export CSV
        </Button>
      }
    >
      <div className="mb-3 grid max-w-3xl grid-cols-3 gap-3" role="search" aria-label="Filter exceptions">
        <Select aria-label="State" value={state} onChange={(e) => setState(e.target.value as ExceptionState | "")}>
          <option value="">every state</option>
          {EXCEPTION_STATES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </Select>
        <Input aria-label="Namespace" placeholder="namespace" value={namespace} onChange={(e) => setNamespace(e.target.value.trim())} />
        <Input aria-label="Requester" placeholder="requester" value={requester} onChange={(e) => setRequester(e.target.value)} />
      </div>
      <Table
        head={["", "Title", "State", "Flow", "Window", "Requested by", "Decided"]}
        empty={rows.length === 0 ? <p className="px-3 py-6 text-sm text-slate-500">No exception matches.</p> : null}
      >
        {rows.map((e) => (
          <tr key={e.number} data-testid="history-row">
            <Td>{link(e)}</Td>
            <Td>
              {e.title}
              {e.renews ? <div className="text-xs text-slate-500">renews E-{e.renews}</div> : null}
            </Td>
            <Td>
              <Badge tone={STATE_TONE[e.state]}>{e.state}</Badge>
              <StillEnforced e={e} />
              {e.state === "requested" || e.state === "rejected" ? null : (
                <div>
                  <UsageSummary usage={e.usage} compact />
                </div>
              )}
            </Td>
            <Td className="font-mono text-xs">
              {sourceText(e.flow)} → {destinationText(e.flow)} {portsText(e.flow)}
            </Td>
            <Td className="whitespace-nowrap text-xs">
              {new Date(e.startsAt).toLocaleDateString()} → {new Date(e.expiresAt).toLocaleString()}
            </Td>
            <Td className="text-xs">{e.requester}</Td>
            <Td className="text-xs">{e.decidedBy ? `${e.decidedBy}${e.decisionReason ? `: ${e.decisionReason}` : ""}` : "—"}</Td>
          </tr>
        ))}
      </Table>
    </Card>
  );
}
