"use client";

// A change request's timeline: what happened to it, oldest first, read from the audit trail
// (proposed, edited, approvals given and voided, state changes, comments, its release).
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Badge, Card, Notice } from "@/components/ui/primitives";

const DOT: Record<string, string> = {
  proposed: "bg-brand-600",
  edited: "bg-slate-500",
  approval: "bg-emerald-600",
  "approval-voided": "bg-amber-500",
  state: "bg-violet-600",
  comment: "bg-sky-500",
  release: "bg-emerald-800",
};
const when = (d: Date) => new Date(d).toISOString().slice(0, 19).replace("T", " ");

export function ChangeTimeline({ number }: { number: number }) {
  const trpc = useTRPC();
  const timeline = useQuery(trpc.reviews.timeline.queryOptions({ number }));
  return (
    <Card title="Timeline" id="timeline">
      {timeline.isError ? <Notice tone="error">{describeError(timeline.error).message}</Notice> : null}
      <ol className="relative ml-2 border-l border-slate-200 text-sm" data-testid="timeline">
        {(timeline.data ?? []).map((e, i) => (
          <li key={i} className="mb-3 ml-4" data-testid="timeline-entry" data-kind={e.kind}>
            <span className={`absolute -left-1.5 mt-1.5 h-3 w-3 rounded-full ring-2 ring-white ${DOT[e.kind] ?? "bg-slate-400"}`} />
            <div className="flex flex-wrap items-center gap-2">
              <span className="text-xs text-slate-500">{when(e.at)}</span>
              <span className="font-medium text-slate-800">{e.actor}</span>
              <span className={e.kind === "approval-voided" ? "text-amber-800" : "text-slate-700"}>{e.summary}</span>
              {e.state ? <Badge tone="violet">{e.state}</Badge> : null}
            </div>
            {e.detail ? <p className="mt-0.5 line-clamp-3 whitespace-pre-wrap text-xs text-slate-600">{e.detail}</p> : null}
          </li>
        ))}
      </ol>
    </Card>
  );
}
