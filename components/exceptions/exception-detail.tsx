"use client";

// One exception: its flow, window, approvals checklist, and what this person may
// do with it (approve, reject, revoke, renew), as the server says.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Badge, Button, Card, Input, Notice } from "@/components/ui/primitives";
import { formatRemaining } from "@/lib/exceptions/vocabulary";
import { destinationText, portsText, sourceText } from "./flow-text";
import { STATE_TONE, StillEnforced } from "./exceptions-list";
import type { RequestDraft } from "./request-form";
import { UsageSummary } from "./usage";

export function ExceptionDetail({ number, nowMs, onRenew }: { number: number; nowMs: number; onRenew(draft: RequestDraft): void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const q = useQuery(trpc.exceptions.get.queryOptions({ number }));
  const [reason, setReason] = useState("");
  const done = async () => {
    setReason("");
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.exceptions.get.queryKey({ number }) }),
      queryClient.invalidateQueries({ queryKey: trpc.exceptions.list.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.graph.view.queryKey() }),
    ]);
  };
  const approve = useMutation(trpc.exceptions.approve.mutationOptions({ onSuccess: done }));
  const reject = useMutation(trpc.exceptions.reject.mutationOptions({ onSuccess: done }));
  const revoke = useMutation(trpc.exceptions.revoke.mutationOptions({ onSuccess: done }));
  const error = approve.error ?? reject.error ?? revoke.error;
  if (q.isError) return <Notice tone="error">{describeError(q.error).message}</Notice>;
  const e = q.data;
  if (!e) return <p className="text-sm text-slate-500">Loading E-{number}…</p>;
  const active = e.state === "approved" && Date.parse(e.startsAt) <= nowMs && nowMs < Date.parse(e.expiresAt);
  return (
    <Card
      id="detail"
      title={
        <span data-testid="exception-detail-title">
          E-{e.number} {e.title} <Badge tone={STATE_TONE[e.state]}>{e.state}</Badge>
        </span>
      }
    >
      <dl className="grid grid-cols-[10rem_1fr] gap-x-4 gap-y-1 text-sm">
        <dt className="text-slate-500">Flow</dt>
        <dd className="font-mono text-xs">
          {e.flow.direction}: {sourceText(e.flow)} → {destinationText(e.flow)} on {portsText(e.flow)}
          {e.flow.clusters?.length ? ` in ${e.flow.clusters.join(", ")}` : " in every cluster"}
        </dd>
        <dt className="text-slate-500">Window</dt>
        <dd>
          {new Date(e.startsAt).toLocaleString()} → {new Date(e.expiresAt).toLocaleString()}{" "}
          {active ? <Badge tone="amber">{formatRemaining(Date.parse(e.expiresAt), nowMs)} left</Badge> : null}
          <StillEnforced e={e} />
        </dd>
        {e.state === "requested" || e.state === "rejected" ? null : (
          <>
            <dt className="text-slate-500">Use</dt>
            <dd>
              <UsageSummary usage={e.usage} />
            </dd>
          </>
        )}
        <dt className="text-slate-500">Requested by</dt>
        <dd>
          {e.requester} · ticket {e.ticket}
          {e.renews ? ` · renews E-${e.renews} (renewal ${e.renewalDepth} in a row)` : ""}
        </dd>
        <dt className="text-slate-500">Justification</dt>
        <dd className="whitespace-pre-wrap">{e.justification}</dd>
        {e.decidedBy ? (
          <>
            <dt className="text-slate-500">Decided</dt>
            <dd>
              {e.state} by {e.decidedBy} {e.decidedAt ? `at ${new Date(e.decidedAt).toLocaleString()}` : ""}
              {e.decisionReason ? `: ${e.decisionReason}` : ""}
            </dd>
          </>
        ) : null}
        <dt className="text-slate-500">Approvals</dt>
        <dd>
          <ul className="space-y-0.5">
            {e.checklist.map((r) => (
              <li key={r.rule}>
                <Badge tone={r.satisfied ? "green" : "slate"}>{r.rule}</Badge>{" "}
                {r.required
                  .map((s) => `${s.givenBy.length}/${s.count} ${s.function}${s.givenBy.length ? ` (${s.givenBy.join(", ")})` : ""}`)
                  .join("; ")}
              </li>
            ))}
          </ul>
        </dd>
      </dl>
      {error ? (
        <div className="mt-3">
          <Notice tone="error">{describeError(error).message}</Notice>
        </div>
      ) : null}
      {e.mayApprove || e.mayRevoke || e.mayRenew ? (
        <div className="mt-4 flex flex-wrap items-center gap-2">
          {e.mayApprove || e.mayRevoke ? (
            <Input
              className="max-w-sm"
              aria-label="Reason"
              placeholder="Reason or comment (optional)"
              value={reason}
              onChange={(ev) => setReason(ev.target.value)}
            />
          ) : null}
          {e.mayApprove ? (
            <>
              <Button
                onClick={() => approve.mutate({ number: e.number, contentHash: e.contentHash, comment: reason })}
                disabled={approve.isPending}
              >
                Approve E-{e.number}
              </Button>
              <Button variant="danger" onClick={() => reject.mutate({ number: e.number, reason })} disabled={reject.isPending}>
                Reject
              </Button>
            </>
          ) : null}
          {e.mayRevoke ? (
            <Button variant="danger" onClick={() => revoke.mutate({ number: e.number, reason })} disabled={revoke.isPending}>
              Revoke now
            </Button>
          ) : null}
          {e.mayRenew ? (
            <Button
              variant="secondary"
              onClick={() =>
                onRenew({
                  flow: e.flow,
                  title: e.title,
                  justification: e.justification,
                  ticket: e.ticket,
                  startsAt: Math.max(Date.parse(e.expiresAt), nowMs),
                  expiresAt: Math.max(Date.parse(e.expiresAt), nowMs) + (Date.parse(e.expiresAt) - Date.parse(e.startsAt)),
                  renews: e.number,
                  renewsUsage: e.usage,
                })
              }
            >
              Renew
            </Button>
          ) : null}
        </div>
      ) : null}
    </Card>
  );
}
