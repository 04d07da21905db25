"use client";
// A change request's replay: its latest run ("this change would have denied N flows on M paths")
// and a form to start one, for the approvers before they approve.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "@/components/trpc/client";
import { Card, Notice } from "@/components/ui/primitives";
import { formatTime } from "./format";
import { RunProgress } from "./run-progress";
import { StartRun } from "./start-run";
import { formatCount } from "@/lib/format";

export function ChangeReplay({ number }: { number: number }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const latest = useQuery({
    ...trpc.simulator.changeRun.queryOptions({ number }),
    refetchInterval: (q) => (q.state.data?.state === "running" ? 1000 : false),
  });
  const run = latest.data;
  const denied = run?.totals?.changes["newly-denied"];
  const allowed = run?.totals?.changes["newly-allowed"];
  return (
    <div className="space-y-3" id="replay">
      {run ? (
        <Card
          title="Latest replay of recorded traffic"
          actions={
            <Link href={`/simulator/runs/${run.id}`} className="text-sm text-brand-700 hover:underline">
              Open the results
            </Link>
          }
        >
          <p className="mb-2 text-xs text-slate-500">
            {run.datasetName} · cluster {run.cluster} · {run.baselineLabel} vs this change · started by {run.startedByLabel} at{" "}
            {formatTime(run.createdAt)}
          </p>
          <RunProgress run={run} />
          {run.totals && denied && allowed ? (
            <Notice tone={denied.flows > 0 ? "error" : allowed.flows > 0 ? "warning" : "success"}>
              <span data-testid="change-replay-headline">
                This change would have denied {formatCount(denied.flows)} flow(s) on {formatCount(denied.paths)} path(s)
                {allowed.flows > 0
                  ? ` and newly allowed ${formatCount(allowed.flows)} flow(s) on ${formatCount(allowed.paths)} path(s)`
                  : ""}
                , of {formatCount(run.totals.flows)} recorded flow(s).
              </span>
            </Notice>
          ) : null}
        </Card>
      ) : null}
      <StartRun
        changeNumber={number}
        onStarted={() => void queryClient.invalidateQueries({ queryKey: trpc.simulator.changeRun.queryKey({ number }) })}
      />
    </div>
  );
}
