"use client";

// "Propose change": bundle drafted policies into a change request.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Button, Field, Input, Notice } from "@/components/ui/primitives";

function ProposeDialog({ preselect, onClose }: { preselect: string[]; onClose: () => void }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const drafts = useQuery(trpc.policies.drafts.queryOptions());
  const [chosen, setChosen] = useState<Set<string>>(new Set(preselect));
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const propose = useMutation(
    trpc.policies.proposeChange.mutationOptions({
      onSuccess: async (cr) => {
        await queryClient.invalidateQueries({ queryKey: trpc.changes.pathKey() });
        await queryClient.invalidateQueries({ queryKey: trpc.policies.pathKey() });
        router.push(`/changes/${cr.number}`);
      },
    }),
  );
  const error = propose.error ? describeError(propose.error) : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    propose.mutate({ title, description, policies: [...chosen] });
  };
  return (
    <div className="fixed inset-0 z-50 flex items-start justify-center bg-slate-900/40 p-8" onClick={onClose}>
      <form
        role="dialog"
        aria-modal="true"
        aria-label="Propose change"
        onSubmit={submit}
        onClick={(e) => e.stopPropagation()}
        className="w-full max-w-xl space-y-4 rounded-xl bg-white p-6 shadow-xl"
      >
        <div>
          <h2 className="text-lg font-semibold text-slate-900">Propose change</h2>
          <p className="text-sm text-slate-600">
            The selected drafts go to review as one change request, each from its released version to its latest draft.
          </p>
        </div>
        {error && Object.keys(error.fields).length === 0 ? <Notice tone="error">{error.message}</Notice> : null}
        <Field label="Title" error={error?.fields.title?.[0]}>
          <Input value={title} onChange={(e) => setTitle(e.target.value)} placeholder="What this change does" autoFocus />
        </Field>
        <Field label="Why (optional)">
          <Input value={description} onChange={(e) => setDescription(e.target.value)} />
        </Field>
        <fieldset>
          <legend className="mb-1 text-sm font-medium text-slate-700">Drafts you may propose</legend>
          {drafts.data?.length === 0 ? <p className="text-sm text-slate-500">You have no drafted policies to propose.</p> : null}
          <ul className="max-h-64 space-y-1 overflow-auto">
            {(drafts.data ?? []).map((d) => (
              <li key={d.name}>
                <label className="flex items-center gap-2 text-sm">
                  <input
                    type="checkbox"
                    checked={chosen.has(d.name)}
                    onChange={() => {
                      const next = new Set(chosen);
                      if (next.has(d.name)) next.delete(d.name);
                      else next.add(d.name);
                      setChosen(next);
                    }}
                  />
                  <span className="font-mono">{d.name}</span>
                  <span className="text-xs text-slate-500">
                    {d.releasedVersion ? `v${d.releasedVersion}` : "new"} → v{d.latestVersion} · {d.tier}
                    {d.tenant ? ` · ${d.tenant}` : ""}
                  </span>
                </label>
              </li>
            ))}
          </ul>
          {error?.fields.policies ? <p className="mt-1 text-xs text-rose-700">{error.fields.policies[0]}</p> : null}
        </fieldset>
        <div className="flex justify-end gap-2">
          <Button type="button" variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" disabled={propose.isPending || chosen.size === 0}>
            {propose.isPending ? "Proposing…" : "Propose change"}
          </Button>
        </div>
      </form>
    </div>
  );
}

/** `disabledReason`: why proposing is not possible now (shown as the button's title). */
export function ProposeChangeButton({ preselect = [], disabledReason }: { preselect?: string[]; disabledReason?: string }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button
        type="button"
        className="whitespace-nowrap"
        disabled={disabledReason !== undefined}
        title={disabledReason}
        onClick={() => setOpen(true)}
      >
        Propose change
      </Button>
      {open ? <ProposeDialog preselect={preselect} onClose={() => setOpen(false)} /> : null}
    </>
  );
}
