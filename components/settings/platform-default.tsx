"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Badge, Button, Card, Field, Input, Notice, Table, Td } from "@/components/ui/primitives";

const when = (d: Date | null) => (d ? d.toISOString().replace("T", " ").slice(0, 16) : "—");

/**
 * The platform default (secure by default): what it is, which namespaces it covers, its version
 * and history. Everyone reads it (it decides what every cluster enforces); an admin proposes a
 * change, which is a change request: it takes effect when the committee has approved it and it is released.
 */
export function PlatformDefaultSection() {
  const trpc = useTRPC();
  const setting = useQuery(trpc.settings.platformDefault.queryOptions());
  const me = useQuery(trpc.org.me.queryOptions());
  const isAdmin = (me.data?.grants ?? []).some((g) => g.role === "admin" && g.tenantId === null);
  const [editing, setEditing] = useState(false);
  const current = setting.data?.current;
  const proposed = setting.data?.proposed ?? null;
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
              {current.message ? `: ${current.message}` : ""}. The graph, lint, the editor and the compiled objects read this setting. A
              change is a change request: it takes effect only when the committee has approved it (one approver of every committee function
              when it loosens the default) and it is released.
              {isAdmin ? "" : " Administrators propose changes."}
            </p>
            {proposed ? (
              <Notice tone="info">
                <span data-testid="platform-default-proposed">
                  <Link href={`/changes/${proposed.number}`} className="font-medium text-brand-700 hover:underline">
                    Change request #{proposed.number}
                  </Link>{" "}
                  ({proposed.state}) proposes: {proposed.title.replace(/^Platform default: /, "")}.
                </span>
              </Notice>
            ) : null}
            {isAdmin && !editing && !proposed ? (
              <Button variant="secondary" onClick={() => setEditing(true)}>
                Propose a change
              </Button>
            ) : null}
            {isAdmin && editing ? <PlatformDefaultForm current={current} onDone={() => setEditing(false)} /> : null}
            <Table head={["Version", "State", "Not covered", "Release", "By", "When", "Why"]}>
              {(setting.data?.history ?? []).map((h) => (
                <tr key={h.version} data-testid="platform-default-history-row">
                  <Td>{h.version}</Td>
                  <Td>{h.enabled ? "on" : "off"}</Td>
                  <Td className="font-mono text-xs">{h.excludeNamespaces.join(", ") || "—"}</Td>
                  <Td className="text-xs">
                    {h.releaseNumber ? (
                      <Link href={`/releases/${h.releaseNumber}`} className="text-brand-700 hover:underline">
                        {h.releaseNumber}
                      </Link>
                    ) : (
                      "—"
                    )}
                  </Td>
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
  const router = useRouter();
  const update = useMutation(
    trpc.settings.proposePlatformDefault.mutationOptions({
      onSuccess: async ({ number }) => {
        await queryClient.invalidateQueries({ queryKey: trpc.settings.platformDefault.queryKey() });
        onDone();
        router.push(`/changes/${number}`);
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
    <form onSubmit={submit} aria-label="Propose a platform default change" className="grid gap-3 rounded-lg bg-slate-50 p-3">
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
      {failure && !failure.fields.excludeNamespaces && !failure.fields.message ? (
        <Notice tone="error">{failure.fields.enabled?.[0] ?? failure.message}</Notice>
      ) : null}
      <div className="flex gap-2">
        <Button type="submit" disabled={update.isPending}>
          Propose for approval
        </Button>
        <Button type="button" variant="ghost" onClick={onDone}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
