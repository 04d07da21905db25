"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { SideBySideDiff } from "@/components/policies/side-by-side-diff";
import { useTRPC } from "@/components/trpc/client";
import { ChangeReplay } from "@/components/simulator/change-replay";
import { describeError } from "@/components/trpc/errors";
import { Badge, Card, Notice } from "@/components/ui/primitives";
import { CHANGE_STATE_TONE } from "./change-list";
import { CommentsThread } from "./comments";
import { CompiledDiff } from "./compiled-diff";
import { ImpactSection } from "./impact-section";
import { RebasePanel } from "./rebase-panel";
import { PlatformDefaultChange } from "./platform-default-change";
import { ReviewPanel } from "./review-panel";
import { StagedPanel } from "./staged-panel";
import { ChangeTimeline } from "./timeline";

export function ChangeDetail({ number }: { number: number }) {
  const trpc = useTRPC();
  const change = useQuery(trpc.changes.get.queryOptions({ number }));
  // The review panel's query (shared): whether a release moved on and the signed-in person may rebase.
  const review = useQuery(trpc.workflow.review.queryOptions({ number }));
  if (change.isError) return <Notice tone="error">{describeError(change.error).message}</Notice>;
  const c = change.data;
  if (!c) return <p className="text-sm text-slate-500">Loading…</p>;
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center gap-3 text-sm text-slate-700">
        <Badge tone={CHANGE_STATE_TONE[c.state]}>{c.state}</Badge>
        {c.staged ? <Badge tone="amber">staged</Badge> : null}
        <span>by {c.authorLabel}</span>
        <span>{new Date(c.createdAt).toISOString().slice(0, 16).replace("T", " ")}</span>
        {c.tenant ? <span>tenant {c.tenant}</span> : null}
        <span className="font-mono text-xs text-slate-500" title="Approvals are bound to this content hash">
          content {c.contentHash.slice(0, 12)}
        </span>
        <Link href={`/graph?overlay=cr:${c.id}`} className="text-brand-700 hover:underline">
          See on the graph
        </Link>
      </div>
      {c.description ? <p className="max-w-3xl text-sm text-slate-700">{c.description}</p> : null}
      {c.platformDefault ? <PlatformDefaultChange change={c.platformDefault} /> : null}
      <StagedPanel
        number={c.number}
        staged={c.staged}
        state={c.state}
        contentHash={c.contentHash}
        mayEdit={review.data?.actions.includes("edit") ?? false}
        stageable={!c.platformDefault && !review.data?.rollback}
        promotedFrom={c.promotedFrom}
        promotions={c.promotions}
      />
      <ReviewPanel number={c.number} />
      {review.data && review.data.rebase.length > 0 && review.data.actions.includes("edit") ? <RebasePanel number={c.number} /> : null}
      <ImpactSection number={c.number} />
      <ChangeReplay number={c.number} />
      {c.items.map((i) => (
        <Card
          key={i.name}
          title={
            <span>
              <Link href={`/policies/${i.name}`} className="font-mono text-brand-700 hover:underline">
                {i.name}
              </Link>{" "}
              <span className="font-normal text-slate-500">
                {i.kind === "ComplianceConstraint" ? "constraint" : `${i.tier} tier`} ·{" "}
                {i.fromVersion ? `released v${i.fromVersion}` : "new policy"} → proposed v{i.toVersion}
              </span>
            </span>
          }
        >
          <SideBySideDiff
            before={i.fromYaml}
            after={i.toYaml}
            beforeLabel={i.fromVersion ? `Released v${i.fromVersion}` : "Not released (new)"}
            afterLabel={`Proposed v${i.toVersion}`}
          />
        </Card>
      ))}
      <CompiledDiff number={c.number} />
      <CommentsThread number={c.number} />
      <ChangeTimeline number={c.number} />
    </div>
  );
}
