"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Badge, Button, Card, Field, Input, Notice, Table, Td } from "@/components/ui/primitives";

const when = (d: Date | null) => (d ? d.toISOString().replace("T", " ").slice(0, 16) : "—");

/**
 * The platform default (secure by default): what it is, which namespaces it covers, its version
 * and history. Everyone reads it (it decides what every cluster enforces); an admin changes it.
 */
export function PlatformDefaultSection() {
  const trpc = useTRPC();
  const setting = useQuery(trpc.settings.platformDefault.queryOptions());
  const me = useQuery(trpc.org.me.queryOptions());
  const isAdmin = (me.data?.grants ?? []).some((g) => g.role === "admin" && g.tenantId === null);
  const [editing, setEditing] = useState(false);
  const current = setting.data?.current;
  return (
    <Card
      title="Platform default (secure by default)"
      actions={
        current ? (
          <span data-testid="platform-default-version" className="text-xs text-slate-500">
            version {current.version}
          </span>
        ) : null
      }
    >
      <div data-testid="platform-default" className="space-y-3 text-sm">
        {setting.isError ? <Notice tone="error">{describeError(setting.error).message}</Notice> : null}
        {current ? (
          <>
            <p>
              <Badge tone={current.enabled ? "blue" : "amber"}>{current.enabled ? "on" : "off"}</Badge>{" "}
              {current.enabled
                ? "When no policy decides a flow for a pod, the platform denies it, in both directions. Every cluster gets this as its last baseline object (a BaselineAdminNetworkPolicy rule, or a ClusterNetworkPolicy in tier Baseline at priority 1000)."
                : "Off: what no policy decides is allowed, as in plain Kubernetes."}
            </p>
            <p data-testid="platform-default-scope">
              <strong>Scope:</strong>{" "}
              {current.excludeNamespaces.length === 0 ? (
                "every namespace, system namespaces (kube-system, …) included."
              ) : (
                <>
                  every namespace except{" "}
                  {current.excludeNamespaces.map((n) => (
                    <code key={n} className="mx-0.5 rounded bg-slate-100 px-1">
                      {n}
                    </code>
                  ))}
                  .
                </>
              )}
            </p>
            <p className="text-xs text-slate-500">
              Set by {current.authorLabel || "—"} on {when(current.createdAt)}
              {current.message ? `: ${current.message}` : ""}. The graph, lint, the editor and the compiled objects read this setting.
              {isAdmin
                ? " A change takes effect at once and is written to the audit trail (the approval workflow does not exist yet)."
                : " Only administrators change it."}
            </p>
            {isAdmin && !editing ? (
              <Button variant="secondary" onClick={() => setEditing(true)}>
                Change the platform default
              </Button>
            ) : null}
            {isAdmin && editing ? <PlatformDefaultForm current={current} onDone={() => setEditing(false)} /> : null}
            <Table head={["Version", "State", "Not covered", "By", "When", "Why"]}>
              {(setting.data?.history ?? []).map((h) => (
                <tr key={h.version} data-testid="platform-default-history-row">
                  <Td>{h.version}</Td>
                  <Td>{h.enabled ? "on" : "off"}</Td>
                  <Td className="font-mono text-xs">{h.excludeNamespaces.join(", ") || "—"}</Td>
                  <Td className="text-xs">{h.authorLabel}</Td>
                  <Td className="text-xs">{when(h.createdAt)}</Td>
                  <Td className="text-xs">{h.message}</Td>
                </tr>
              ))}
            </Table>
          </>
        ) : null}
      </div>
    </Card>
  );
}

function PlatformDefaultForm({
  current,
  onDone,
}: {
  current: { version: number; enabled: boolean; excludeNamespaces: readonly string[] };
  onDone: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const update = useMutation(
    trpc.settings.updatePlatformDefault.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.settings.platformDefault.queryKey() });
        onDone();
      },
    }),
  );
  const failure = update.error ? describeError(update.error) : null;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const excluded = String(data.get("excludeNamespaces") ?? "")
      .split(/[\s,]+/)
      .filter(Boolean);
    update.mutate({
      enabled: data.get("enabled") === "on",
      excludeNamespaces: excluded,
      message: String(data.get("message") ?? ""),
      expectedVersion: current.version,
    });
  }

  return (
    <form onSubmit={submit} aria-label="Change the platform default" className="grid gap-3 rounded-lg bg-slate-50 p-3">
      <label className="flex items-center gap-2">
        <input type="checkbox" name="enabled" defaultChecked={current.enabled} /> Secure by default (deny what no policy decides)
      </label>
      <Field
        label="Namespaces not covered"
        hint="Namespace names, separated by commas or spaces; empty = every namespace"
        error={failure?.fields.excludeNamespaces?.[0]}
      >
        <Input name="excludeNamespaces" defaultValue={current.excludeNamespaces.join(", ")} />
      </Field>
      <Field label="Why" error={failure?.fields.message?.[0]}>
        <Input name="message" required minLength={5} />
      </Field>
      {failure && Object.keys(failure.fields).length === 0 ? <Notice tone="error">{failure.message}</Notice> : null}
      <div className="flex gap-2">
        <Button type="submit" disabled={update.isPending}>
          Save as version {current.version + 1}
        </Button>
        <Button type="button" variant="ghost" onClick={onDone}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
