"use client";

// The review side of a change request: the required approvals as a checklist
// (which rule asks for which approval and who gave it), the approvals given
// (voided ones shown struck through), and the actions the signed-in person may
// take now. The server decides every right; the buttons only mirror them.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Badge, Button, Card, Notice } from "@/components/ui/primitives";
import { blocksSubmission, describeBlockingFinding } from "@/lib/changes/lint-block";
import { requirementLabel } from "./requirement-label";

export function ReviewPanel({ number }: { number: number }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const review = useQuery(trpc.workflow.review.queryOptions({ number }));
  const [reason, setReason] = useState("");
  const [done, setDone] = useState<string | null>(null);
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: trpc.workflow.pathKey() });
    await queryClient.invalidateQueries({ queryKey: trpc.changes.pathKey() });
    await queryClient.invalidateQueries({ queryKey: trpc.releases.pathKey() });
  };
  const options = (verb: string) => ({
    onSuccess: async (result: { state?: string; release?: number }) => {
      setDone(result.release ? `Released as release ${result.release}.` : `${verb}: the change is now ${result.state}.`);
      setReason("");
      await refresh();
    },
    onError: async () => {
      setDone(null);
      await refresh();
    },
  });
  const approve = useMutation(trpc.workflow.approve.mutationOptions(options("Approved")));
  const requestChanges = useMutation(trpc.workflow.requestChanges.mutationOptions(options("Changes requested")));
  const reject = useMutation(trpc.workflow.reject.mutationOptions(options("Rejected")));
  const withdraw = useMutation(trpc.workflow.withdraw.mutationOptions(options("Withdrawn")));
  const submit = useMutation(trpc.workflow.submit.mutationOptions(options("Submitted")));
  const release = useMutation(trpc.workflow.release.mutationOptions(options("Released")));
  const mutations = [approve, requestChanges, reject, withdraw, submit, release];
  const failed = mutations.find((m) => m.isError);
  const busy = mutations.some((m) => m.isPending);

  // Lint errors block submission (the server refuses it too): the same query as the impact section, so one request.
  const mayGoToReview = review.data?.actions.some((a) => a === "submit" || a === "resubmit") ?? false;
  const impact = useQuery({ ...trpc.changes.impact.queryOptions({ number }), enabled: mayGoToReview });
  const lintErrors = impact.data?.lint.filter(blocksSubmission) ?? [];

  if (review.isError) return <Notice tone="error">{describeError(review.error).message}</Notice>;
  const r = review.data;
  if (!r) return <p className="text-sm text-slate-500">Loading the review…</p>;
  const can = (a: string) => r.actions.includes(a as never);
  const hash = r.contentHash;

  return (
    <Card title="Review" id="review">
      <div className="space-y-4 text-sm" data-testid="review-panel">
        {r.uncovered.length > 0 ? (
          <Notice tone="warning">
            No approval rule covers {r.uncovered.join(", ")}: an admin must add one in Settings before this change can be approved.
          </Notice>
        ) : null}
        {r.rollback ? (
          <Notice tone="info">
            <span data-testid="rollback-notice">
              A rollback: releasing it makes a new release equal to release {r.rollback.targetRelease} (proposed from release{" "}
              {r.rollback.baseRelease}). It is approved like any change; taking out or loosening a compliance constraint asks every
              committee function.
            </span>
          </Notice>
        ) : null}
        {r.rebase.length > 0 ? (
          <Notice tone="warning">
            Released since this change was proposed: {r.rebase.map((b) => `${b.policy} (now v${b.released})`).join(", ")}. The author must
            rebase it onto the current release (a three-way merge that keeps the release&apos;s changes), and it needs approving again.
          </Notice>
        ) : null}
        <div>
          <h3 className="mb-2 font-medium text-slate-900">
            Required approvals {r.satisfied ? <Badge tone="green">met</Badge> : <Badge tone="amber">waiting</Badge>}
          </h3>
          <ul className="space-y-3" data-testid="approval-checklist">
            {r.rules.map((rule) => (
              <li key={rule.rule} className="rounded-md border border-slate-200 p-3">
                <div className="flex items-center gap-2">
                  <span className="font-mono text-xs text-slate-700">{rule.rule}</span>
                  {rule.satisfied ? <Badge tone="green">met</Badge> : null}
                  <span className="text-xs text-slate-500">for {rule.policies.join(", ")}</span>
                </div>
                <p className="mt-1 text-xs text-slate-500">{rule.description}</p>
                <ul className="mt-2 space-y-1">
                  {rule.required.map((q) => (
                    <li
                      key={`${q.function}-${q.tenant ?? ""}`}
                      data-testid="approval-requirement"
                      className="flex flex-wrap items-center gap-2"
                    >
                      <span aria-hidden>{q.givenBy.length >= q.count ? "✓" : "○"}</span>
                      <span>{requirementLabel(q)}</span>
                      <span className="text-xs text-slate-600">
                        {q.givenBy.length ? `given by ${q.givenBy.join(", ")}` : "not given yet"}
                      </span>
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ul>
        </div>
        {r.approvals.length > 0 ? (
          <div>
            <h3 className="mb-1 font-medium text-slate-900">Approvals</h3>
            <ul className="space-y-1" data-testid="approvals">
              {r.approvals.map((a) => (
                <li
                  key={`${a.by}-${String(a.at)}`}
                  className={a.voided ? "text-slate-400 line-through" : "text-slate-700"}
                  title={a.voidedReason ?? undefined}
                >
                  {a.by} ({a.function ?? "no function"}) approved content{" "}
                  <span className="font-mono text-xs">{a.contentHash.slice(0, 12)}</span>
                  {a.voided ? <span className="ml-2 no-underline">voided: {a.voidedReason}</span> : null}
                </li>
              ))}
            </ul>
          </div>
        ) : null}
        {done ? <Notice tone="success">{done}</Notice> : null}
        {failed ? <Notice tone="error">{describeError(failed.error).message}</Notice> : null}
        {r.actions.length > 0 ? (
          <div className="space-y-2">
            {can("request-changes") || can("reject") || can("withdraw") || can("emergency-release") ? (
              <label className="block text-xs text-slate-600">
                Reason (the author reads it)
                <textarea
                  value={reason}
                  onChange={(e) => setReason(e.target.value)}
                  maxLength={2000}
                  rows={2}
                  className="mt-1 block w-full max-w-xl rounded-md border border-slate-300 px-2 py-1 text-sm"
                />
              </label>
            ) : null}
            {(can("submit") || can("resubmit")) && lintErrors.length > 0 ? (
              <Notice tone="error">
                <span data-testid="submit-blocked">
                  Lint errors block submission. Fix them in the policy editor, edit this change onto the new drafts, then submit it:
                </span>
                <ul className="mt-1 list-disc pl-5 text-xs">
                  {lintErrors.map((f, i) => (
                    <li key={`${f.id}|${f.document ?? ""}|${f.path}|${i}`}>{describeBlockingFinding(f)}</li>
                  ))}
                </ul>
              </Notice>
            ) : null}
            <div className="flex flex-wrap gap-2">
              {can("approve") ? (
                <Button disabled={busy} onClick={() => approve.mutate({ number, contentHash: hash, comment: "" })}>
                  Approve
                </Button>
              ) : null}
              {can("request-changes") ? (
                <Button variant="secondary" disabled={busy} onClick={() => requestChanges.mutate({ number, contentHash: hash, reason })}>
                  Request changes
                </Button>
              ) : null}
              {can("reject") ? (
                <Button variant="danger" disabled={busy} onClick={() => reject.mutate({ number, contentHash: hash, reason })}>
                  Reject
                </Button>
              ) : null}
              {can("submit") || can("resubmit") ? (
                <Button
                  variant="secondary"
                  disabled={busy || impact.isPending || lintErrors.length > 0}
                  title={
                    impact.isPending
                      ? "The engine is linting the change"
                      : lintErrors.length > 0
                        ? "Lint errors block submission"
                        : undefined
                  }
                  onClick={() => submit.mutate({ number, reason })}
                >
                  {r.state === "draft" ? "Submit for review" : "Resubmit"}
                </Button>
              ) : null}
              {can("withdraw") ? (
                <Button variant="ghost" disabled={busy} onClick={() => withdraw.mutate({ number, reason })}>
                  Withdraw
                </Button>
              ) : null}
              {can("release") ? (
                <Button disabled={busy} onClick={() => release.mutate({ number })}>
                  Release
                </Button>
              ) : null}
              {can("emergency-release") && !can("release") ? (
                <Button
                  variant="danger"
                  disabled={busy}
                  title="The emergency rule's approvals are met: release now, through any freeze. Flagged in the audit trail; give the reason above."
                  onClick={() => release.mutate({ number, emergency: { reason } })}
                >
                  Emergency release
                </Button>
              ) : null}
            </div>
          </div>
        ) : (
          <p className="text-xs text-slate-500">
            Nothing for you to do on this change
            {r.state === "released" ? (
              <>
                : it is released (
                <Link href="/releases" className="text-brand-700 hover:underline">
                  Releases
                </Link>
                ).
              </>
            ) : (
              "."
            )}
          </p>
        )}
      </div>
    </Card>
  );
}
