"use client";
// A running replay's progress bar with its ETA, and the cancel button.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/client";
import { Button, Notice } from "@/components/ui/primitives";
import { formatDuration } from "./format";

export interface RunState {
  id: string;
  state: "running" | "succeeded" | "failed" | "cancelled";
  phase: string;
  progress: number;
  etaSeconds: number | null;
  error: string | null;
  mayCancel: boolean;
}

const PHASE_LABELS: Record<string, string> = {
  reading: "Reading the dataset",
  deciding: "Deciding records",
  storing: "Storing the results",
};

export function RunProgress({ run }: { run: RunState }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const cancel = useMutation(
    trpc.simulator.cancelRun.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.simulator.pathKey() }),
    }),
  );
  if (run.state === "failed") return <Notice tone="error">The run failed: {run.error}</Notice>;
  if (run.state === "cancelled") return <Notice tone="warning">The run was cancelled; it has no results.</Notice>;
  if (run.state !== "running") return null;
  const percent = Math.floor(run.progress * 100);
  return (
    <div data-testid="run-progress" className="space-y-1">
      <div className="flex items-center gap-3">
        <div
          className="h-2 flex-1 overflow-hidden rounded bg-slate-100"
          role="progressbar"
          aria-label="Replay progress"
          aria-valuenow={percent}
          aria-valuemin={0}
          aria-valuemax={100}
        >
          <div className="h-2 bg-brand-600 transition-all" style={{ width: `${Math.max(2, percent)}%` }} />
        </div>
        {run.mayCancel ? (
          <Button variant="secondary" disabled={cancel.isPending} onClick={() => cancel.mutate({ id: run.id })}>
            Cancel run
          </Button>
        ) : null}
      </div>
      <p className="text-xs text-slate-600">
        {PHASE_LABELS[run.phase] ?? "Starting"} · {percent}%
        {run.etaSeconds !== null ? ` · about ${formatDuration(run.etaSeconds)} left` : ""}
      </p>
      {cancel.error ? <Notice tone="error">{cancel.error.message}</Notice> : null}
    </div>
  );
}
