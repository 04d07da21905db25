"use client";

// A change request's staged flag (issue 13 §11): what it means, the switch for
// its author or an admin while it can still be edited (the server voids the
// approvals, as for an edit), and, once a staged change is released, the way to
// enforcement: a new draft change with the same versions, approved as usual.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Badge, Button, Notice } from "@/components/ui/primitives";

interface Props {
  number: number;
  staged: boolean;
  state: string;
  contentHash: string;
  /** The signed-in person may edit it now (author or admin, an editable state). */
  mayEdit: boolean;
  /** A rollback or platform default change: enforced or nothing, never staged. */
  stageable: boolean;
  promotedFrom: number | null;
  promotions: { number: number; state: string }[];
}

export function StagedPanel({ number, staged, state, contentHash, mayEdit, stageable, promotedFrom, promotions }: Props) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: trpc.workflow.pathKey() });
    await queryClient.invalidateQueries({ queryKey: trpc.changes.pathKey() });
  };
  const setStaged = useMutation(trpc.workflow.setStaged.mutationOptions({ onSettled: refresh }));
  const promote = useMutation(
    trpc.workflow.promote.mutationOptions({
      onSuccess: async (created) => {
        await refresh();
        router.push(`/changes/${created.number}`);
      },
    }),
  );
  const failed = setStaged.error ?? promote.error;
  const released = state === "released" || state === "rolled-out";
  if (!staged && !promotedFrom && !(mayEdit && stageable)) return null;
  return (
    <section aria-label="Staged" className="space-y-2 rounded-lg bg-white p-4 ring-1 ring-slate-200" data-testid="staged-panel">
      <div className="flex flex-wrap items-center gap-3 text-sm">
        {staged ? <Badge tone="amber">staged</Badge> : <Badge tone="slate">enforced when released</Badge>}
        <span className="text-slate-700">
          {staged
            ? "Released audit-only: Calico clusters get it as staged policies (evaluated, logged, not enforced); Cilium and plain NetworkPolicy clusters get nothing of it. The graph and decisions keep the release in force."
            : "Its release is enforced on every cluster."}
        </span>
        {mayEdit && stageable ? (
          <Button
            variant="secondary"
            disabled={setStaged.isPending}
            onClick={() => setStaged.mutate({ number, contentHash, staged: !staged })}
            title="Approvals given so far are voided: what is approved includes whether it is staged"
          >
            {staged ? "Mark enforced" : "Mark staged"}
          </Button>
        ) : null}
        {staged && released ? (
          <Button disabled={promote.isPending} onClick={() => promote.mutate({ number })}>
            Promote to enforced
          </Button>
        ) : null}
      </div>
      {promotedFrom ? (
        <p className="text-sm text-slate-700">
          Promotes staged change{" "}
          <Link href={`/changes/${promotedFrom}`} className="text-brand-700 hover:underline">
            #{promotedFrom}
          </Link>{" "}
          to enforcement.
        </p>
      ) : null}
      {promotions.length > 0 ? (
        <p className="text-sm text-slate-700">
          Promoted in{" "}
          {promotions.map((p, i) => (
            <span key={p.number}>
              {i > 0 ? ", " : ""}
              <Link href={`/changes/${p.number}`} className="text-brand-700 hover:underline">
                #{p.number}
              </Link>{" "}
              ({p.state})
            </span>
          ))}
          .
        </p>
      ) : null}
      {setStaged.data && setStaged.data.voided > 0 ? (
        <Notice tone="warning">
          {setStaged.data.voided} approval(s) voided: they were given for the change before it was{" "}
          {setStaged.data.staged ? "staged" : "enforced"}.
        </Notice>
      ) : null}
      {failed ? <Notice tone="error">{describeError(failed).message}</Notice> : null}
    </section>
  );
}
