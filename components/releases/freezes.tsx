"use client";

// Change windows: the freezes in force or to come, and (for admins) a form to add one.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { ENVIRONMENTS } from "@/lib/vocabulary";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Badge, Button, Card, Field, Input, Notice, Select, Table, Td } from "@/components/ui/primitives";

const when = (at: Date | string) => new Date(at).toISOString().slice(0, 16).replace("T", " ");

export function Freezes({ admin }: { admin: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const freezes = useQuery(trpc.releases.freezes.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.releases.freezes.queryKey() });
  const create = useMutation(trpc.releases.createFreeze.mutationOptions({ onSuccess: refresh }));
  const end = useMutation(trpc.releases.endFreeze.mutationOptions({ onSuccess: refresh }));
  const [environment, setEnvironment] = useState<(typeof ENVIRONMENTS)[number]>("production");
  const [startsAt, setStartsAt] = useState("");
  const [endsAt, setEndsAt] = useState("");
  const [reason, setReason] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({ environment, startsAt: new Date(startsAt || Date.now()), endsAt: new Date(endsAt), reason });
  };
  const error = create.error ?? end.error;
  return (
    <Card title="Change windows">
      <p className="mb-3 text-sm text-slate-600">While an environment that has clusters is frozen, no change request is released.</p>
      {error ? <Notice tone="error">{describeError(error).message}</Notice> : null}
      <Table
        head={["Environment", "From", "Until", "Why", "By", ""]}
        empty={freezes.data?.length === 0 ? <p className="px-3 py-4 text-sm text-slate-500">No freeze in force or planned.</p> : null}
      >
        {(freezes.data ?? []).map((f) => (
          <tr key={f.id} data-testid="freeze-row">
            <Td>
              {f.environment} {f.active ? <Badge tone="red">frozen now</Badge> : <Badge tone="amber">planned</Badge>}
            </Td>
            <Td className="text-xs">{when(f.startsAt)}</Td>
            <Td className="text-xs">{when(f.endsAt)}</Td>
            <Td className="text-xs">{f.reason}</Td>
            <Td className="text-xs">{f.createdBy}</Td>
            <Td>
              {admin ? (
                <Button variant="ghost" disabled={end.isPending} onClick={() => end.mutate({ id: f.id })}>
                  End
                </Button>
              ) : null}
            </Td>
          </tr>
        ))}
      </Table>
      {admin ? (
        <form onSubmit={submit} className="mt-4 grid max-w-3xl grid-cols-2 gap-3" aria-label="New freeze">
          <Field label="Environment">
            <Select value={environment} onChange={(e) => setEnvironment(e.target.value as (typeof ENVIRONMENTS)[number])}>
              {ENVIRONMENTS.map((env) => (
                <option key={env}>{env}</option>
              ))}
            </Select>
          </Field>
          <Field label="Why">
            <Input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} />
          </Field>
          <Field label="From (empty: now)">
            <Input type="datetime-local" value={startsAt} onChange={(e) => setStartsAt(e.target.value)} />
          </Field>
          <Field label="Until">
            <Input type="datetime-local" value={endsAt} onChange={(e) => setEndsAt(e.target.value)} required />
          </Field>
          <div>
            <Button type="submit" disabled={create.isPending}>
              Freeze
            </Button>
          </div>
        </form>
      ) : null}
    </Card>
  );
}
