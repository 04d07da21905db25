"use client";

// The two acts a release page offers besides its rollout: proposing a rollback
// to this release (admins; approved like any change), and acknowledging the
// review an emergency release owes (approvers other than the releaser).
import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Button, Card, Input, Notice } from "@/components/ui/primitives";

export function RollbackForm({ number }: { number: number }) {
  const trpc = useTRPC();
  const rollback = useMutation(trpc.releases.rollback.mutationOptions());
  return (
    <Card title={`Roll back to release ${number}`}>
      <p className="mb-3 text-sm text-slate-600">
        Proposes a change request that makes a new release equal to this one. It needs approval like any change, or the emergency
        rule&apos;s approvals for the faster path (flagged, and reviewed afterwards).
      </p>
      {rollback.error ? <Notice tone="error">{describeError(rollback.error).message}</Notice> : null}
      {rollback.data ? (
        <div data-testid="rollback-proposed">
          <Notice tone="success">
            Proposed as{" "}
            <Link href={`/changes/${rollback.data.number}`} className="font-medium underline">
              change #{rollback.data.number}
            </Link>
            .
          </Notice>
        </div>
      ) : (
        <TextForm
          name="Roll back"
          label="Why roll back"
          button="Propose rollback"
          variant="danger"
          pending={rollback.isPending}
          onSubmit={(reason) => rollback.mutate({ release: number, reason })}
        />
      )}
    </Card>
  );
}

export function EmergencyReview({
  number,
  review,
  reason,
}: {
  number: number;
  reason: string;
  review: { open: boolean; acknowledgedBy: string | null; acknowledgedAt: Date | string | null; note: string | null };
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const acknowledge = useMutation(
    trpc.releases.acknowledgeEmergencyReview.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.releases.get.queryKey({ number }) }),
    }),
  );
  return (
    <div data-testid="emergency-review" className="space-y-2">
      <Notice tone="warning">
        Released through the emergency rule: {reason}.{" "}
        {review.open
          ? "Its post-emergency review is open: a committee approver other than the releaser must acknowledge it."
          : `Reviewed by ${review.acknowledgedBy}${review.acknowledgedAt ? ` on ${new Date(review.acknowledgedAt).toISOString().slice(0, 10)}` : ""}: ${review.note}`}
      </Notice>
      {review.open ? (
        <TextForm
          name="Acknowledge the emergency review"
          label="Review note"
          button="Acknowledge review"
          variant="secondary"
          pending={acknowledge.isPending}
          onSubmit={(note) => acknowledge.mutate({ number, note })}
        />
      ) : null}
      {acknowledge.error ? <Notice tone="error">{describeError(acknowledge.error).message}</Notice> : null}
    </div>
  );
}

/** One line of text and a button: the reason or note an act records. */
function TextForm(props: {
  name: string;
  label: string;
  button: string;
  variant: "danger" | "secondary";
  pending: boolean;
  onSubmit: (text: string) => void;
}) {
  const [text, setText] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    props.onSubmit(text);
  };
  return (
    <form onSubmit={submit} className="flex max-w-2xl gap-2" aria-label={props.name}>
      <Input value={text} onChange={(e) => setText(e.target.value)} placeholder={props.label} maxLength={2000} aria-label={props.label} />
      <Button type="submit" variant={props.variant} disabled={props.pending}>
        {props.button}
      </Button>
    </form>
  );
}
