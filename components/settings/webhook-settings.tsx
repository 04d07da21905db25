"use client";
// Settings → outgoing webhook (admins): where events are posted, the signing
// secret (write-only), on/off, a test event, and the delivery log with every attempt.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Badge, Button, Card, Field, Input, Notice, Table, Td, type BadgeTone } from "@/components/ui/primitives";

const when = (d: Date | null) => (d ? d.toISOString().replace("T", " ").slice(0, 19) + " UTC" : "—");
const TONE: Record<string, BadgeTone> = { delivered: "green", pending: "amber", failed: "red" };

export function WebhookSettings() {
  const trpc = useTRPC();
  const me = useQuery(trpc.org.me.queryOptions());
  const isAdmin = (me.data?.grants ?? []).some((g) => g.role === "admin" && g.tenantId === null);
  if (!isAdmin) return null;
  return <WebhookSection />;
}

function WebhookSection() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const webhook = useQuery(trpc.webhooks.get.queryOptions());
  const deliveries = useQuery(trpc.webhooks.deliveries.queryOptions(undefined, { refetchInterval: 5000 }));
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.webhooks.get.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.webhooks.deliveries.queryKey() }),
    ]);
  const save = useMutation(trpc.webhooks.update.mutationOptions({ onSuccess: refresh }));
  const test = useMutation(trpc.webhooks.sendTest.mutationOptions({ onSuccess: refresh }));
  const [saved, setSaved] = useState(false);
  const failure = save.isError ? describeError(save.error) : null;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const secret = String(data.get("secret") ?? "");
    setSaved(false);
    save.mutate(
      { url: String(data.get("url") ?? ""), secret: secret || undefined, enabled: data.get("enabled") === "on" },
      { onSuccess: () => setSaved(true) },
    );
  }

  const current = webhook.data;
  return (
    <Card title="Outgoing webhook" id="webhook">
      <div className="space-y-5" data-testid="webhook-settings">
        <p className="text-sm text-slate-600">
          Approval requests, decisions and rollouts are posted as JSON with a Slack-compatible <code>text</code>, signed in the{" "}
          <code>X-Policyplane-Signature</code> header (<code>t=&lt;unix time&gt;,v1=&lt;HMAC-SHA-256 of &quot;t.body&quot;&gt;</code>).
          Delivery happens after the change is saved, with retries and backoff: a slow or failing endpoint never holds up the workflow.
        </p>
        {webhook.isSuccess ? (
          <form onSubmit={submit} className="grid items-end gap-3 md:grid-cols-[2fr_1fr_auto_auto]" aria-label="Webhook">
            <Field label="URL" error={failure?.fields.url?.[0]}>
              <Input name="url" type="url" required defaultValue={current?.url ?? ""} placeholder="https://hooks.slack.com/services/…" />
            </Field>
            <Field
              label="Signing secret"
              error={failure?.fields.secret?.[0]}
              hint={current ? `Set (fingerprint ${current.secretFingerprint}); leave empty to keep it.` : "At least 16 characters."}
            >
              <Input name="secret" type="password" autoComplete="new-password" />
            </Field>
            <label className="flex items-center gap-2 pb-2 text-sm">
              <input type="checkbox" name="enabled" defaultChecked={current?.enabled ?? true} /> Enabled
            </label>
            <div className="flex gap-2 pb-0.5">
              <Button type="submit" disabled={save.isPending}>
                {save.isPending ? "Saving…" : "Save"}
              </Button>
              <Button type="button" variant="secondary" disabled={!current?.enabled || test.isPending} onClick={() => test.mutate()}>
                Send test event
              </Button>
            </div>
          </form>
        ) : null}
        {failure && !failure.fields.url && !failure.fields.secret ? <Notice tone="error">{failure.message}</Notice> : null}
        {test.isError ? <Notice tone="error">{describeError(test.error).message}</Notice> : null}
        {saved ? <Notice tone="success">Saved. Events from now on go to this URL.</Notice> : null}
        {current ? (
          <p className="text-xs text-slate-500">
            Last changed by {current.updatedByLabel} on {when(current.updatedAt)}.
          </p>
        ) : null}
        <div>
          <h3 className="mb-2 text-sm font-semibold text-slate-900">Delivery log</h3>
          <Table
            head={["Queued", "Event", "State", "Attempts"]}
            empty={
              deliveries.isSuccess && deliveries.data.length === 0 ? (
                <p className="px-3 py-6 text-center text-sm text-slate-500">Nothing delivered yet.</p>
              ) : null
            }
          >
            {(deliveries.data ?? []).map((d) => (
              <tr key={d.id} data-testid="webhook-delivery" data-state={d.state}>
                <Td className="whitespace-nowrap tabular-nums">{when(d.createdAt)}</Td>
                <Td>
                  <span className="text-xs text-slate-500">{d.event}</span>
                  <span className="block">{d.text}</span>
                </Td>
                <Td>
                  <Badge tone={TONE[d.state] ?? "slate"}>{d.state}</Badge>
                  {d.nextAttemptAt ? <span className="block text-xs text-slate-500">next try {when(d.nextAttemptAt)}</span> : null}
                </Td>
                <Td>
                  {d.attempts.length === 0 ? (
                    <span className="text-xs text-slate-500">not tried yet</span>
                  ) : (
                    <ol className="space-y-0.5 text-xs">
                      {d.attempts.map((a) => (
                        <li key={a.attempt} className="tabular-nums">
                          #{a.attempt} {when(a.at)} · {a.status ?? "no answer"}
                          {a.error ? ` · ${a.error}` : ""} · {a.durationMs} ms
                        </li>
                      ))}
                    </ol>
                  )}
                </Td>
              </tr>
            ))}
          </Table>
        </div>
      </div>
    </Card>
  );
}
