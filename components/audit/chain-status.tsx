"use client";
// The chain's verdict on the Audit page: what was re-hashed now, what rests on an
// earlier verification (and when that was), and "Verify everything" for a full walk.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { describeError } from "@/components/trpc/errors";
import { useTRPC } from "@/components/trpc/client";
import { Button, Notice } from "@/components/ui/primitives";
import { formatCount } from "@/lib/format";

export const formatTime = (d: Date) => d.toISOString().replace("T", " ").slice(0, 19) + " UTC";
const n = formatCount;

interface Summary {
  seq: number;
  kind: "full" | "incremental";
  fromSeq: number;
  verifiedAt: Date;
  verifiedBy: string;
}

function Basis({ resumedFrom, lastFull }: { resumedFrom: Summary | null; lastFull: Summary | null }) {
  return (
    <span data-testid="chain-basis" className="block text-xs opacity-80">
      {resumedFrom ? (
        <>
          Events #1–#{n(resumedFrom.seq)} rest on the verification of {formatTime(resumedFrom.verifiedAt)} by {resumedFrom.verifiedBy}
          {resumedFrom.kind === "incremental" ? " (itself incremental)" : ""}.{" "}
        </>
      ) : null}
      {lastFull
        ? `Last full verification: events #1–#${n(lastFull.seq)} at ${formatTime(lastFull.verifiedAt)} by ${lastFull.verifiedBy}.`
        : "No full verification on record."}{" "}
      An event rewritten before the verified position is found by a full verification (this button, or npm run audit:verify).
    </span>
  );
}

export function ChainStatus() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const verify = useQuery(trpc.audit.verify.queryOptions(undefined, { staleTime: 0 }));
  const everything = useMutation(
    trpc.audit.verifyAll.mutationOptions({
      onSuccess: (data) => queryClient.setQueryData(trpc.audit.verify.queryKey(), data),
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.audit.list.infiniteQueryKey() }),
    }),
  );
  if (verify.isPending) return <Notice>Verifying the hash chain…</Notice>;
  if (verify.isError) return <Notice tone="error">Could not verify the audit chain: {describeError(verify.error).message}</Notice>;
  const result = verify.data;
  const busy = verify.isFetching || everything.isPending;
  return (
    <div data-testid="chain-status" data-ok={String(result.ok)} data-mode={result.mode}>
      <Notice tone={result.ok ? "success" : "error"}>
        <div className="flex items-center justify-between gap-4">
          <span>
            {result.ok ? (
              <>
                <strong>Chain intact.</strong>{" "}
                {result.mode === "full"
                  ? `All ${n(result.checked)} events re-hashed from #1`
                  : result.checked > 0
                    ? `Events #${n(result.headSeq - result.checked + 1)}–#${n(result.headSeq)} (${n(result.checked)} new) re-hashed`
                    : `No new events since #${n(result.headSeq)}`}
                ; head #{n(result.headSeq)} <code className="font-mono text-xs">{result.headHash.slice(0, 16)}…</code>
                {result.checkpoint
                  ? `; the head exported at ${formatTime(new Date(result.checkpoint.at))} (#${result.checkpoint.seq}) is in the chain`
                  : "; no checkpoint exported yet"}
                .
              </>
            ) : (
              <>
                <strong>Tampering detected.</strong> {result.reason}. {result.checked} events before it verified.
              </>
            )}
            <span className="ml-2 text-xs opacity-75">checked {formatTime(result.verifiedAt)}</span>
            <Basis resumedFrom={result.resumedFrom} lastFull={result.lastFull} />
            {everything.isError ? <span className="block text-xs">{describeError(everything.error).message}</span> : null}
          </span>
          <div className="flex shrink-0 gap-2">
            <Button variant="secondary" onClick={() => verify.refetch()} disabled={busy}>
              {verify.isFetching ? "Verifying…" : "Verify new events"}
            </Button>
            <Button variant="secondary" onClick={() => everything.mutate()} disabled={busy}>
              {everything.isPending ? "Re-hashing every event…" : "Verify everything"}
            </Button>
          </div>
        </div>
      </Notice>
    </div>
  );
}
