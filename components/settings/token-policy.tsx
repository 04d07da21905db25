"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Button, Field, Input, Notice } from "@/components/ui/primitives";

export const whenUtc = (d: Date) => `${d.toISOString().replace("T", " ").slice(0, 16)} UTC`;

function useInvalidateSettings() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: trpc.settings.pathKey() });
}

/** The longest a new token may live; "no maximum" is the only way to allow tokens that never expire. */
export function TokenLimitForm() {
  const trpc = useTRPC();
  const settings = useQuery(trpc.settings.tokenSettings.queryOptions());
  const invalidate = useInvalidateSettings();
  const update = useMutation(trpc.settings.updateTokenSettings.mutationOptions({ onSuccess: invalidate }));
  const failure = update.error ? describeError(update.error) : null;
  const current = settings.data;
  if (!current) return settings.isError ? <Notice tone="error">{describeError(settings.error).message}</Notice> : null;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const unlimited = data.get("unlimited") === "on";
    update.mutate({ maxExpiryDays: unlimited ? null : Number(data.get("maxExpiryDays")), expectedVersion: current!.version });
  }

  return (
    <form
      key={current.version}
      onSubmit={submit}
      aria-label="Token limits"
      data-testid="token-limits"
      className="mb-5 flex flex-wrap items-end gap-3 rounded-md bg-slate-50 px-3 py-3 text-sm"
      noValidate
    >
      <p className="w-full text-slate-600">
        New tokens expire after 90 days unless asked otherwise
        {current.maxExpiryDays === null
          ? "; there is no maximum, so a token may also never expire."
          : `, and may live at most ${current.maxExpiryDays} days; tokens that never expire are refused.`}
      </p>
      <Field label="Longest a token may live (days)" error={failure?.fields.maxExpiryDays?.[0]}>
        <Input name="maxExpiryDays" type="number" min={1} max={3650} defaultValue={current.maxExpiryDays ?? 365} className="w-32" />
      </Field>
      <label className="flex items-center gap-1.5 pb-2 text-slate-700">
        <input type="checkbox" name="unlimited" defaultChecked={current.maxExpiryDays === null} />
        No maximum (allows tokens that never expire)
      </label>
      <Button type="submit" variant="secondary" disabled={update.isPending}>
        Save limit
      </Button>
      <span className="pb-2 text-xs text-slate-500">
        version {current.version} · by {current.updatedBy}
      </span>
      {failure && Object.keys(failure.fields).length === 0 ? <Notice tone="error">{failure.message}</Notice> : null}
    </form>
  );
}

/** "Rotate…": a replacement token now, the old one still working for a grace period. */
export function RotateTokenControl({
  tokenId,
  tokenName,
  onRotated,
}: {
  tokenId: string;
  tokenName: string;
  onRotated: (fresh: { name: string; token: string; oldValidUntil: Date }) => void;
}) {
  const trpc = useTRPC();
  const invalidate = useInvalidateSettings();
  const [open, setOpen] = useState(false);
  const rotate = useMutation(trpc.settings.rotateToken.mutationOptions({ onSuccess: invalidate }));
  const failure = rotate.error ? describeError(rotate.error) : null;
  if (!open)
    return (
      <Button variant="secondary" onClick={() => setOpen(true)}>
        Rotate…
      </Button>
    );

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const hours = String(new FormData(event.currentTarget).get("graceHours") ?? "");
    rotate.mutate(
      { tokenId, graceHours: hours === "" ? undefined : Number(hours) },
      {
        onSuccess: ({ token, oldValidUntil }) => {
          setOpen(false);
          onRotated({ name: tokenName, token, oldValidUntil });
        },
      },
    );
  }

  return (
    <form onSubmit={submit} aria-label={`Rotate ${tokenName}`} className="flex items-end gap-2" noValidate>
      <Field
        label="Old one works for (hours)"
        error={failure?.fields.graceHours?.[0] ?? (failure && !failure.fields.graceHours ? failure.message : undefined)}
      >
        <Input name="graceHours" type="number" min={0} max={720} defaultValue={24} className="w-24" />
      </Field>
      <Button type="submit" disabled={rotate.isPending}>
        Rotate
      </Button>
      <Button variant="ghost" type="button" onClick={() => setOpen(false)}>
        Cancel
      </Button>
    </form>
  );
}
