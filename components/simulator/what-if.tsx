"use client";
// The Simulator's what-if: type one flow, see what the current release and a proposal (the pending
// drafts or an open change request) decide, side by side with the engine's rationale.
import { useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/components/trpc/client";
import { Badge, Button, Card, Field, Input, Notice, Select } from "@/components/ui/primitives";
import { ChangeOptions, ClusterField, useSimulatorChoices } from "./form-fields";

type Protocol = "TCP" | "UDP" | "SCTP";
interface Flow {
  cluster: string;
  overlay?: string;
  from: string;
  to: string;
  port: number;
  protocol: Protocol;
}

interface Effect {
  layer: string;
  tier?: string;
  verdict: string;
  policy?: { kind: string; namespace?: string; name: string };
  rule?: { direction: string; index: number; name?: string };
  reason: string;
}
interface Direction {
  applicable: boolean;
  verdict: string;
  effects: Effect[];
}

function Answer({
  title,
  answer,
}: {
  title: string;
  answer: { verdict: "allow" | "deny"; path: string; rationale: Record<string, unknown> };
}) {
  const directions = (["egress", "ingress"] as const).map((d) => [d, answer.rationale[d] as Direction | undefined] as const);
  return (
    <Card
      title={
        <span className="flex items-center gap-2">
          {title}
          <Badge tone={answer.verdict === "allow" ? "green" : "red"}>{answer.verdict}</Badge>
        </span>
      }
    >
      <p className="font-mono text-xs break-words text-slate-700" data-testid={`${title.toLowerCase()}-path`}>
        {answer.path}
      </p>
      {directions.map(([name, d]) =>
        d && d.applicable ? (
          <div key={name} className="mt-3">
            <h3 className="text-xs font-semibold tracking-wide text-slate-500 uppercase">
              {name}: {d.verdict}
            </h3>
            <ol className="mt-1 space-y-1 text-sm text-slate-700">
              {d.effects.map((e, i) => (
                <li key={i}>
                  <span className="font-medium">
                    [{e.tier ?? e.layer}] {e.verdict}
                  </span>
                  {e.policy ? ` · ${e.policy.namespace ? `${e.policy.namespace}/` : ""}${e.policy.name}` : ""}
                  {e.rule ? ` · rule ${e.rule.name ?? e.rule.index}` : ""}
                  <span className="text-slate-500"> — {e.reason}</span>
                </li>
              ))}
            </ol>
          </div>
        ) : null,
      )}
    </Card>
  );
}

const CHANGE_NOTICE = {
  "newly-denied": { text: "allow → deny: this proposal would deny the flow", tone: "error" },
  "newly-allowed": { text: "deny → allow: this proposal would allow the flow", tone: "warning" },
  "unchanged-allow": { text: "unchanged: allowed by both", tone: "success" },
  "unchanged-deny": { text: "unchanged: denied by both", tone: "info" },
} as const;

export function WhatIf() {
  const trpc = useTRPC();
  const [form, setForm] = useState({ cluster: "", overlay: "drafts", from: "", to: "", port: "443", protocol: "TCP" as Protocol });
  const [asked, setAsked] = useState<Flow | null>(null);
  const result = useQuery({
    ...trpc.graph.whatIf.queryOptions(asked ?? { cluster: "", from: "", to: "", port: 1 }),
    enabled: asked !== null,
    retry: false,
  });

  const choices = useSimulatorChoices(form.cluster);
  const { cluster } = choices;
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [key]: e.target.value }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setAsked({
      cluster,
      ...(form.overlay ? { overlay: form.overlay } : {}),
      from: form.from.trim(),
      to: form.to.trim(),
      port: Number(form.port),
      protocol: form.protocol,
    });
  };

  return (
    <div className="space-y-4">
      <Card title="What if: one flow, the release and a proposal side by side">
        <form className="grid gap-3 md:grid-cols-6" onSubmit={submit} aria-label="What-if flow">
          <ClusterField choices={choices} onChange={set("cluster")} />
          <Field label="Compare the release with">
            <Select value={form.overlay} onChange={set("overlay")} aria-label="Proposal">
              <option value="">nothing (the release only)</option>
              <option value="drafts">the pending drafts</option>
              <ChangeOptions choices={choices} valueOf={(c) => c.id} />
            </Select>
          </Field>
          <Field label="From" hint="namespace/workload (or pod), or an IP address">
            <Input
              value={form.from}
              onChange={set("from")}
              list="what-if-workloads"
              placeholder="payments/payments-api"
              aria-label="From"
              required
            />
          </Field>
          <Field label="To" hint="namespace/workload, an IP address or a DNS name">
            <Input value={form.to} onChange={set("to")} list="what-if-destinations" placeholder="api.stripe.com" aria-label="To" required />
          </Field>
          <Field label="Port">
            <Input type="number" min={1} max={65535} value={form.port} onChange={set("port")} aria-label="Port" required />
          </Field>
          <Field label="Protocol">
            <Select value={form.protocol} onChange={set("protocol")} aria-label="Protocol">
              <option>TCP</option>
              <option>UDP</option>
              <option>SCTP</option>
            </Select>
          </Field>
          <datalist id="what-if-workloads">
            {(choices.inventory?.workloads ?? []).map((w) => (
              <option key={w} value={w} />
            ))}
          </datalist>
          <datalist id="what-if-destinations">
            {[...(choices.inventory?.workloads ?? []), ...(choices.inventory?.externalHosts ?? [])].map((w) => (
              <option key={w} value={w} />
            ))}
          </datalist>
          <div className="md:col-span-6">
            <Button type="submit" disabled={!cluster || result.isFetching}>
              {result.isFetching ? "Deciding…" : "Decide"}
            </Button>
          </div>
        </form>
      </Card>
      {result.error ? <Notice tone="error">{result.error.message}</Notice> : null}
      {result.data ? (
        <>
          {result.data.change ? (
            <Notice tone={CHANGE_NOTICE[result.data.change].tone}>
              <span data-testid="what-if-change">{CHANGE_NOTICE[result.data.change].text}</span> (cluster {result.data.cluster}, at{" "}
              {new Date(result.data.time).toLocaleString()})
            </Notice>
          ) : null}
          <div className="grid gap-4 md:grid-cols-2">
            <Answer title="Release" answer={result.data.release} />
            {result.data.proposal ? (
              <Answer title="Proposal" answer={result.data.proposal} />
            ) : (
              <Card title="Proposal">
                <p className="text-sm text-slate-600">Choose the pending drafts or a change request to compare.</p>
              </Card>
            )}
          </div>
        </>
      ) : null}
    </div>
  );
}
