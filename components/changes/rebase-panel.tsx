"use client";

// Rebase a stale change onto the current release (issue 13 item 6): per policy
// the release moved on, the three-way merge of the change's draft and the
// release from their common base. Clean merges are shown and taken as they
// are; each conflict shows both sides (and the base) and the author keeps one,
// both, or edits the merged YAML. The server merges again under lock and
// refuses markers left in, so the buttons only help.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Badge, Button, Card, Notice } from "@/components/ui/primitives";
import { conflictMarkerLines, resolveConflict, withConflictMarkers, type MergeHunk } from "@/lib/changes/three-way";

const version = (v: number | null) => (v === null ? "none" : `v${v}`);

export function RebasePanel({ number }: { number: number }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const plan = useQuery(trpc.workflow.rebasePlan.queryOptions({ number }));
  // Per policy: the hunks as the author resolved them so far, or the text they typed.
  const [hunks, setHunks] = useState<Record<string, MergeHunk[]>>({});
  const [typed, setTyped] = useState<Record<string, string>>({});
  const rebase = useMutation(
    trpc.workflow.rebase.mutationOptions({
      onSuccess: async () => {
        setHunks({});
        setTyped({});
        for (const key of [trpc.workflow.pathKey(), trpc.changes.pathKey(), trpc.reviews.pathKey()])
          await queryClient.invalidateQueries({ queryKey: key });
      },
    }),
  );

  if (plan.isError) return <Notice tone="error">{describeError(plan.error).message}</Notice>;
  const p = plan.data;
  if (!p || p.policies.length === 0) return null;

  const policies = p.policies.map((q) => {
    const current = hunks[q.policy] ?? q.hunks;
    const labels = {
      draft: `your change (${version(q.draft.version)})`,
      base: `common base (${version(q.base.version)})`,
      release: `released since (${version(q.release.version)})`,
    };
    const text = typed[q.policy] ?? withConflictMarkers(current, labels);
    const open = typed[q.policy] === undefined ? current.filter((h) => h.kind === "conflict").length : 0;
    return { ...q, current, text, open, markers: conflictMarkerLines(text), touched: q.policy in hunks || q.policy in typed };
  });
  const ready = policies.every((q) => q.open === 0 && q.markers.length === 0);

  return (
    <Card title="Rebase onto the current release" id="rebase">
      <div className="space-y-4 text-sm" data-testid="rebase-panel">
        <p className="text-slate-700">
          A release changed {policies.length === 1 ? "a policy" : "policies"} this change edits. Rebasing merges the release&apos;s changes
          into your draft; the approvals given so far are voided, since the content changes.
        </p>
        {policies.map((q) => (
          <section key={q.policy} className="space-y-2 rounded-md border border-slate-200 p-3" data-testid="rebase-policy">
            <div className="flex flex-wrap items-center gap-2">
              <span className="font-mono text-slate-900">{q.policy}</span>
              <span className="text-xs text-slate-500">
                proposed from {version(q.proposedFrom)} · released since {version(q.release.version)} · your draft{" "}
                {version(q.draft.version)} · merged from {version(q.base.version)}
              </span>
              {q.conflicts === 0 ? (
                <Badge tone="green">merges cleanly</Badge>
              ) : q.open > 0 ? (
                <Badge tone="amber">
                  {q.open} conflict{q.open > 1 ? "s" : ""} to resolve
                </Badge>
              ) : (
                <Badge tone="blue">resolved</Badge>
              )}
            </div>
            <ConflictList
              hunks={q.current}
              onTake={(index, take) => {
                setHunks({ ...hunks, [q.policy]: resolveConflict(q.current, index, take) });
                setTyped(Object.fromEntries(Object.entries(typed).filter(([policy]) => policy !== q.policy)));
              }}
            />
            <label className="block text-xs text-slate-600">
              Merged YAML {q.conflicts > 0 ? "(you may edit it; remove every conflict marker)" : ""}
              <textarea
                aria-label={`Merged YAML of ${q.policy}`}
                value={q.text}
                onChange={(e) => setTyped({ ...typed, [q.policy]: e.target.value })}
                rows={Math.min(24, q.text.split("\n").length + 1)}
                className="mt-1 block w-full rounded-md border border-slate-300 p-2 font-mono text-xs"
                spellCheck={false}
              />
            </label>
            {q.markers.length > 0 && q.open === 0 ? (
              <p className="text-xs text-rose-700">Conflict markers remain at line {q.markers.join(", ")}.</p>
            ) : null}
          </section>
        ))}
        {rebase.isError ? <Notice tone="error">{describeError(rebase.error).message}</Notice> : null}
        {rebase.isSuccess ? <Notice tone="success">Rebased: the change now goes from the current release.</Notice> : null}
        <Button
          disabled={!ready || rebase.isPending}
          onClick={() =>
            rebase.mutate({
              number,
              contentHash: p.contentHash,
              resolutions: policies
                .filter((q) => q.conflicts > 0 || q.touched)
                .map((q) => ({ policy: q.policy, onto: q.release.version, yaml: q.text })),
            })
          }
        >
          {rebase.isPending ? "Rebasing…" : "Rebase"}
        </Button>
      </div>
    </Card>
  );
}

/** Each conflict's three sides, with buttons to keep one or both. */
function ConflictList({ hunks, onTake }: { hunks: MergeHunk[]; onTake: (index: number, take: "draft" | "release" | "both") => void }) {
  const conflicts = hunks.filter((h) => h.kind === "conflict");
  if (conflicts.length === 0) return null;
  const side = (title: string, lines: string[], tone: string) => (
    <div className={`min-w-0 rounded border p-2 ${tone}`}>
      <div className="mb-1 text-xs font-medium text-slate-600">{title}</div>
      <pre className="overflow-x-auto font-mono text-xs whitespace-pre">{lines.join("\n") || "(nothing)"}</pre>
    </div>
  );
  return (
    <ol className="space-y-2" data-testid="rebase-conflicts">
      {conflicts.map((c, index) => (
        <li key={index} className="space-y-2">
          <div className="grid grid-cols-3 gap-2">
            {side("Your change", c.draft, "border-sky-200 bg-sky-50")}
            {side("Common base", c.base, "border-slate-200 bg-slate-50")}
            {side("Released since", c.release, "border-amber-200 bg-amber-50")}
          </div>
          <div className="flex gap-2">
            <Button variant="secondary" onClick={() => onTake(index, "draft")}>
              Keep mine
            </Button>
            <Button variant="secondary" onClick={() => onTake(index, "release")}>
              Keep the release&apos;s
            </Button>
            <Button variant="secondary" onClick={() => onTake(index, "both")}>
              Keep both
            </Button>
          </div>
        </li>
      ))}
    </ol>
  );
}
