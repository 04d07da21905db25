"use client";

// A release's rollout: its waves (canary first), each cluster's status, and the
// admin's moves (next wave, pause, resume). The server decides what is legal;
// the buttons only follow what it says the person may do now.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Badge, Button, Card, Notice, Table, Td, type BadgeTone } from "@/components/ui/primitives";

const STATUS_TONE: Record<string, BadgeTone> = { pending: "slate", rendered: "blue", applied: "green", failed: "red" };
const STATE_TEXT: Record<string, { text: string; tone: BadgeTone }> = {
  "not-started": { text: "not started", tone: "slate" },
  "rolling-out": { text: "rolling out", tone: "blue" },
  paused: { text: "paused", tone: "amber" },
  "rolled-out": { text: "rolled out", tone: "green" },
  superseded: { text: "superseded", tone: "slate" },
};
const when = (at: Date | string) => new Date(at).toISOString().slice(0, 16).replace("T", " ");

export function Rollout({ number }: { number: number }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const rollout = useQuery(trpc.releases.rollout.queryOptions({ number }));
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.releases.rollout.queryKey({ number }) });
  const next = useMutation(trpc.releases.rolloutNextWave.mutationOptions({ onSettled: refresh }));
  const pause = useMutation(trpc.releases.pauseRollout.mutationOptions({ onSettled: refresh }));
  const resume = useMutation(trpc.releases.resumeRollout.mutationOptions({ onSettled: refresh }));
  if (rollout.isError) return <Notice tone="error">{describeError(rollout.error).message}</Notice>;
  const r = rollout.data;
  if (r === undefined) return <p className="text-sm text-slate-500">Loading the rollout…</p>;
  if (r === null) return null;
  const busy = next.isPending || pause.isPending || resume.isPending;
  const error = next.error ?? pause.error ?? resume.error;
  const state = STATE_TEXT[r.state] ?? { text: r.state, tone: "slate" as const };
  return (
    <Card
      title="Rollout"
      actions={
        <div className="flex gap-2">
          {r.actions.nextWave ? (
            <Button disabled={busy} onClick={() => next.mutate({ number })}>
              Roll out wave {r.currentWave + 1}
            </Button>
          ) : null}
          {r.actions.pause ? (
            <Button variant="secondary" disabled={busy} onClick={() => pause.mutate({ number })}>
              Pause
            </Button>
          ) : null}
          {r.actions.resume ? (
            <Button variant="secondary" disabled={busy} onClick={() => resume.mutate({ number })}>
              Resume
            </Button>
          ) : null}
        </div>
      }
    >
      <p className="mb-3 flex flex-wrap items-center gap-2 text-sm text-slate-700">
        <span data-testid="rollout-state">
          <Badge tone={state.tone}>{state.text}</Badge>
        </span>
        <span>
          wave {r.currentWave} of {r.waves.length} started
        </span>
        {r.state === "paused" && r.pausedBy ? (
          <span className="text-slate-500">
            paused by {r.pausedBy}
            {r.pausedAt ? ` at ${when(r.pausedAt)}` : ""}
          </span>
        ) : null}
      </p>
      {error ? <Notice tone="error">{describeError(error).message}</Notice> : null}
      <Table head={["Wave", "Cluster", "Status", "Rendered", "Updated", "Message"]}>
        {r.waves.flatMap((w) =>
          w.clusters.map((c, i) => (
            <tr key={c.cluster} data-testid="rollout-cluster" data-cluster={c.cluster} data-status={c.status}>
              <Td className="text-xs">
                {i === 0 ? (
                  <>
                    {w.wave} {w.canary ? <Badge tone="violet">canary</Badge> : null}
                  </>
                ) : null}
              </Td>
              <Td className="font-mono text-xs">{c.cluster}</Td>
              <Td>
                <Badge tone={STATUS_TONE[c.status] ?? "slate"}>{c.status}</Badge>
              </Td>
              <Td className="font-mono text-xs text-slate-500">
                {c.renderedObjects !== null ? `${c.renderedObjects} objects, ${c.renderedHash?.slice(0, 12)}` : "—"}
              </Td>
              <Td className="text-xs">{when(c.updatedAt)}</Td>
              <Td className="text-xs">{c.message ?? ""}</Td>
            </tr>
          )),
        )}
      </Table>
      <p className="mt-3 text-xs text-slate-500">
        Clusters report applied or failed through <code>POST /api/v1/releases/{number}/clusters/&lt;cluster&gt;/status</code>. The next wave
        starts once the current one is applied everywhere.
      </p>
    </Card>
  );
}
