"use client";

// Violations → Alerts (issue 17 item 7): alerts firing and recent, the silences
// that hold some back, and the rules (admins edit them). A reader limited to some
// tenants sees the alerts about their workloads (the server filters them). Alerts
// are evaluated by the server every ALERT_EVALUATE_SECONDS and after each flow
// batch; this page refreshes every 15 s.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { describeError } from "@/components/trpc/errors";
import { useTRPC } from "@/components/trpc/client";
import { Badge, Button, Card, Notice, Table, Td } from "@/components/ui/primitives";
import { ALERT_RULE_KIND_LABELS } from "@/lib/flows";
import { AlertRuleForm } from "./alert-rule-form";
import { SilenceForm, type SilencePrefill } from "./silence-form";
import { SEVERITY_TONES } from "./violations-dashboard";

const when = (d: Date | string) => new Date(d).toISOString().slice(0, 16).replace("T", " ");

function describeParams(p: {
  windowMinutes: number;
  threshold?: number;
  flowClass?: string;
  destinationCriticality?: string;
  minSeverity?: string;
  cluster?: string;
}) {
  return [
    `${p.windowMinutes} min`,
    p.threshold !== undefined ? `> ${p.threshold} ${p.flowClass ?? "violation"} flows` : null,
    p.destinationCriticality ? `to ${p.destinationCriticality} destinations` : null,
    p.minSeverity ? `severity ≥ ${p.minSeverity}` : null,
    p.cluster ? `in ${p.cluster}` : null,
  ]
    .filter(Boolean)
    .join(", ");
}

/** A card whose "New …" button (for those who may) opens a form above its table. */
function FormCard({
  title,
  newLabel,
  may,
  form,
  onNew,
  children,
}: {
  title: string;
  newLabel: string;
  may: boolean;
  /** The open form, or null. */
  form: ReactNode;
  onNew(): void;
  children: ReactNode;
}) {
  return (
    <Card
      title={title}
      actions={
        may && !form ? (
          <Button variant="secondary" onClick={onNew}>
            {newLabel}
          </Button>
        ) : null
      }
    >
      {form ? <div className="mb-4">{form}</div> : null}
      {children}
    </Card>
  );
}

export function AlertsScreen() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const list = useQuery({ ...trpc.alerts.list.queryOptions({}), refetchInterval: 15_000 });
  const [silencing, setSilencing] = useState<SilencePrefill | null>(null);
  const [addingRule, setAddingRule] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.alerts.list.queryKey() });
  const endSilence = useMutation(trpc.alerts.endSilence.mutationOptions({ onSuccess: refresh }));
  const updateRule = useMutation(trpc.alerts.updateRule.mutationOptions({ onSuccess: refresh }));
  const deleteRule = useMutation(trpc.alerts.deleteRule.mutationOptions({ onSuccess: refresh }));
  if (list.isError) return <Notice tone="error">{describeError(list.error).message}</Notice>;
  if (!list.data) return <p className="text-sm text-slate-500">Loading alerts…</p>;
  const data = list.data;
  const mutationError = [endSilence, updateRule, deleteRule].find((m) => m.isError)?.error;

  return (
    <div className="space-y-6">
      {mutationError ? <Notice tone="error">{describeError(mutationError).message}</Notice> : null}
      {data.scope.kind === "tenants" ? (
        <Notice>
          Your role covers {data.scope.tenants.length > 0 ? data.scope.tenants.join(", ") : "no tenant"}: these are the alerts about their
          workloads (a path from or to them, or a threshold on one of their services), and the silences that held them back. Rules apply to
          the whole organisation and are shown read-only.
        </Notice>
      ) : null}
      <Card title={`Alerts (${data.firing} firing)`}>
        <Table
          head={["Severity", "Rule", "What", "Fired", "Last seen", "State", ""]}
          empty={data.alerts.length === 0 ? <p className="px-3 py-4 text-sm text-slate-500">No alert has fired.</p> : null}
        >
          {data.alerts.map((a) => (
            <tr key={a.id} data-testid="alert">
              <Td>
                <Badge tone={SEVERITY_TONES[a.severity]}>{a.severity}</Badge>
              </Td>
              <Td>{a.rule}</Td>
              <Td className="max-w-md text-xs">{a.summary}</Td>
              <Td className="text-xs">{when(a.firedAt)}</Td>
              <Td className="text-xs">{when(a.lastSeenAt)}</Td>
              <Td>
                {a.resolvedAt ? <Badge>resolved</Badge> : <Badge tone="red">firing</Badge>}{" "}
                {a.silencedById ? <Badge tone="violet">silenced</Badge> : null}
              </Td>
              <Td>
                {data.maySilence && !a.resolvedAt ? (
                  <Button
                    variant="ghost"
                    onClick={() =>
                      setSilencing({
                        ruleId: a.ruleId,
                        cluster: a.cluster,
                        destination: a.destination,
                        ...(a.source ? { source: a.source } : {}),
                      })
                    }
                  >
                    Silence…
                  </Button>
                ) : null}
              </Td>
            </tr>
          ))}
        </Table>
      </Card>

      <FormCard
        title="Silences"
        newLabel="New silence"
        may={data.maySilence}
        onNew={() => setSilencing({})}
        form={
          silencing ? (
            <SilenceForm
              key={JSON.stringify(silencing)}
              rules={data.rules}
              prefill={silencing}
              onDone={() => {
                setSilencing(null);
                void refresh();
              }}
            />
          ) : null
        }
      >
        <Table
          head={["Matches", "Why", "By", "Until", "State", ""]}
          empty={data.silences.length === 0 ? <p className="px-3 py-4 text-sm text-slate-500">No silences.</p> : null}
        >
          {data.silences.map((s) => (
            <tr key={s.id} data-testid="silence">
              <Td className="font-mono text-xs">
                {Object.entries(s.matcher)
                  .map(([k, v]) => `${k}=${k === "ruleId" ? (data.rules.find((r) => r.id === v)?.name ?? v) : v}`)
                  .join(" ")}
              </Td>
              <Td className="max-w-xs text-xs">{s.reason}</Td>
              <Td className="text-xs">{s.createdByLabel}</Td>
              <Td className="text-xs">{when(s.endedAt ?? s.until)}</Td>
              <Td>
                {s.active ? <Badge tone="violet">active</Badge> : <Badge>{s.endedAt ? `ended by ${s.endedByLabel}` : "expired"}</Badge>}
              </Td>
              <Td>
                {data.maySilence && s.active ? (
                  <Button variant="ghost" onClick={() => endSilence.mutate({ id: s.id })}>
                    End
                  </Button>
                ) : null}
              </Td>
            </tr>
          ))}
        </Table>
      </FormCard>

      <FormCard
        title="Rules"
        newLabel="New rule"
        may={data.mayEditRules}
        onNew={() => setAddingRule(true)}
        form={
          addingRule ? (
            <AlertRuleForm
              onDone={() => {
                setAddingRule(false);
                void refresh();
              }}
            />
          ) : null
        }
      >
        <Table
          head={["Name", "Kind", "Parameters", "Enabled", "Changed by", ""]}
          empty={
            data.rules.length === 0 ? (
              <p className="px-3 py-4 text-sm text-slate-500">No alert rules yet{data.mayEditRules ? "" : ": an admin adds them"}.</p>
            ) : null
          }
        >
          {data.rules.map((r) => (
            <tr key={r.id} data-testid="alert-rule">
              <Td>{r.name}</Td>
              <Td className="text-xs">{ALERT_RULE_KIND_LABELS[r.kind]}</Td>
              <Td className="text-xs">{describeParams(r.params)}</Td>
              <Td>{r.enabled ? <Badge tone="green">on</Badge> : <Badge>off</Badge>}</Td>
              <Td className="text-xs">{r.updatedByLabel}</Td>
              <Td>
                {data.mayEditRules ? (
                  <span className="flex gap-1">
                    <Button
                      variant="ghost"
                      onClick={() =>
                        updateRule.mutate({ id: r.id, rule: { name: r.name, kind: r.kind, params: r.params, enabled: !r.enabled } })
                      }
                    >
                      {r.enabled ? "Disable" : "Enable"}
                    </Button>
                    <Button variant="danger" onClick={() => deleteRule.mutate({ id: r.id })}>
                      Delete
                    </Button>
                  </span>
                ) : null}
              </Td>
            </tr>
          ))}
        </Table>
      </FormCard>
    </div>
  );
}
