"use client";

// The request form: the narrow flow, the justification, the ticket and the window,
// with the engine's live answer beside it (the pod pairs it would open, the
// compliance constraints that forbid it, the admins' limits it breaks).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import type { ExceptionFlow } from "@/db/schema/exceptions";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Badge, Button, Card, Field, Input, Notice, Select } from "@/components/ui/primitives";
import { useDebounced } from "@/components/ui/use-debounced";
import { MAX_JUSTIFICATION } from "@/lib/exceptions/vocabulary";
import type { ExceptionUsage } from "@/server/exceptions/usage";
import { instantOfLocal, labelsText, localInputValue, parseLabels } from "./flow-text";
import { UsageSummary } from "./usage";

type DestinationKind = ExceptionFlow["destination"]["kind"];

export interface RequestDraft {
  flow?: Partial<ExceptionFlow> & { source?: ExceptionFlow["source"]; destination?: ExceptionFlow["destination"] };
  title?: string;
  justification?: string;
  ticket?: string;
  startsAt?: number;
  expiresAt?: number;
  renews?: number;
  /** The renewed exception's use so far, shown so the committee sees whether it is still needed. */
  renewsUsage?: ExceptionUsage;
}

const DAY = 86_400_000;

export function RequestForm({ draft, nowMs, onRequested }: { draft: RequestDraft; nowMs: number; onRequested(number: number): void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const d = draft.flow?.destination;
  const [title, setTitle] = useState(draft.title ?? "");
  const [direction, setDirection] = useState<"egress" | "ingress">(draft.flow?.direction ?? "egress");
  const [sourceNs, setSourceNs] = useState(draft.flow?.source?.namespace ?? "");
  const [sourceLabels, setSourceLabels] = useState(labelsText(draft.flow?.source?.labels ?? {}));
  const [destKind, setDestKind] = useState<DestinationKind>(d?.kind ?? "workload");
  const [destNs, setDestNs] = useState(d?.kind === "workload" ? d.namespace : "");
  const [destLabels, setDestLabels] = useState(d?.kind === "workload" ? labelsText(d.labels) : "");
  const [destValue, setDestValue] = useState(
    d?.kind === "service" ? d.service : d?.kind === "cidr" ? d.cidr : d?.kind === "dns" ? d.dns : "",
  );
  const [ports, setPorts] = useState(draft.flow?.ports?.map((p) => `${p.port}/${p.protocol}`).join(", ") ?? "");
  const [clusters, setClusters] = useState(draft.flow?.clusters?.join(", ") ?? "");
  const [justification, setJustification] = useState(draft.justification ?? "");
  const [ticket, setTicket] = useState(draft.ticket ?? "");
  const [startsAt, setStartsAt] = useState(localInputValue(draft.startsAt ?? nowMs));
  const [expiresAt, setExpiresAt] = useState(localInputValue(draft.expiresAt ?? nowMs + 7 * DAY));

  // The drawn path arrives after the first render (its labels come from the server).
  useEffect(() => {
    if (draft.flow?.source) {
      setSourceNs(draft.flow.source.namespace);
      setSourceLabels(labelsText(draft.flow.source.labels));
    }
    const dd = draft.flow?.destination;
    if (dd) {
      setDestKind(dd.kind);
      if (dd.kind === "workload") {
        setDestNs(dd.namespace);
        setDestLabels(labelsText(dd.labels));
      } else setDestValue(dd.kind === "service" ? dd.service : dd.kind === "cidr" ? dd.cidr : dd.dns);
    }
    if (draft.flow?.ports) setPorts(draft.flow.ports.map((p) => `${p.port}/${p.protocol}`).join(", "));
  }, [draft.flow]);

  const parsed = useMemo(() => {
    const problems: string[] = [];
    const src = parseLabels(sourceLabels);
    const dst = parseLabels(destLabels);
    if (!src) problems.push("Source labels: write key=value, separated by commas.");
    if (destKind === "workload" && !dst) problems.push("Destination labels: write key=value, separated by commas.");
    const portList = ports
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean)
      .map((p) => {
        const m = /^(\d+)(?:-(\d+))?(?:\/(TCP|UDP|SCTP))?$/i.exec(p);
        if (!m) {
          problems.push(`Ports: "${p}" is not a port such as 443/TCP or 8000-8010/TCP.`);
          return null;
        }
        return {
          port: Number(m[1]),
          ...(m[2] ? { endPort: Number(m[2]) } : {}),
          protocol: (m[3]?.toUpperCase() ?? "TCP") as "TCP" | "UDP" | "SCTP",
        };
      })
      .filter((p): p is NonNullable<typeof p> => p !== null);
    const destination: ExceptionFlow["destination"] =
      destKind === "workload"
        ? { kind: "workload", namespace: destNs.trim(), labels: dst ?? {} }
        : destKind === "service"
          ? { kind: "service", service: destValue.trim() }
          : destKind === "cidr"
            ? { kind: "cidr", cidr: destValue.trim() }
            : { kind: "dns", dns: destValue.trim() };
    const clusterList = clusters
      .split(",")
      .map((c) => c.trim())
      .filter(Boolean);
    const flow: ExceptionFlow = {
      direction,
      source: { namespace: sourceNs.trim(), labels: src ?? {} },
      destination,
      ports: portList,
      ...(clusterList.length > 0 ? { clusters: clusterList } : {}),
    };
    return { flow, problems };
  }, [direction, sourceNs, sourceLabels, destKind, destNs, destLabels, destValue, ports, clusters]);

  const window = { startsAt: instantOfLocal(startsAt), expiresAt: instantOfLocal(expiresAt) };
  const previewInput = useDebounced({ flow: parsed.flow, ...window, ...(draft.renews ? { renews: draft.renews } : {}) }, 400);
  const ready = parsed.problems.length === 0 && previewInput.flow.source.namespace !== "" && previewInput.flow.ports.length > 0;
  const preview = useQuery({ ...trpc.exceptions.preview.queryOptions(previewInput), enabled: ready, retry: false });
  const request = useMutation(
    trpc.exceptions.request.mutationOptions({
      onSuccess: async (r) => {
        await queryClient.invalidateQueries({ queryKey: trpc.exceptions.list.queryKey() });
        onRequested(r.number);
      },
    }),
  );
  const failure = request.error ? describeError(request.error) : null;
  const previewError = preview.error ? describeError(preview.error) : null;
  const answer = preview.data;

  return (
    <Card title={draft.renews ? `Renew E-${draft.renews}` : "Request an exception"} id="request">
      <form
        className="grid gap-6 lg:grid-cols-2"
        aria-label="Request an exception"
        onSubmit={(e) => {
          e.preventDefault();
          request.mutate({ title, flow: parsed.flow, justification, ticket, ...window, ...(draft.renews ? { renews: draft.renews } : {}) });
        }}
      >
        {draft.renews && draft.renewsUsage ? (
          <div className="lg:col-span-2" data-testid="renew-usage">
            <Notice tone={draft.renewsUsage.flows > 0 ? "info" : "warning"}>
              E-{draft.renews} so far: <UsageSummary usage={draft.renewsUsage} />
            </Notice>
          </div>
        ) : null}
        <div className="space-y-3">
          <Field label="Title">
            <Input value={title} onChange={(e) => setTitle(e.target.value)} placeholder="What this opens, in a few words" />
          </Field>
          <div className="grid grid-cols-2 gap-3">
            <Field label="Source namespace">
              <Input value={sourceNs} onChange={(e) => setSourceNs(e.target.value)} placeholder="checkout" />
            </Field>
            <Field label="Source pod labels" hint="key=value, comma-separated">
              <Input value={sourceLabels} onChange={(e) => setSourceLabels(e.target.value)} placeholder="app=cart" />
            </Field>
          </div>
          <div className="grid grid-cols-3 gap-3">
            <Field label="Direction">
              <Select value={direction} onChange={(e) => setDirection(e.target.value as "egress" | "ingress")}>
                <option value="egress">egress (from the source)</option>
                <option value="ingress">ingress (into the destination)</option>
              </Select>
            </Field>
            <Field label="Destination kind">
              <Select value={destKind} onChange={(e) => setDestKind(e.target.value as DestinationKind)}>
                <option value="workload">workload</option>
                <option value="service">service</option>
                <option value="cidr">CIDR</option>
                <option value="dns">DNS name</option>
              </Select>
            </Field>
            <Field label="Ports" hint="e.g. 443/TCP, 8000-8010/TCP">
              <Input value={ports} onChange={(e) => setPorts(e.target.value)} placeholder="443/TCP" />
            </Field>
          </div>
          {destKind === "workload" ? (
            <div className="grid grid-cols-2 gap-3">
              <Field label="Destination namespace">
                <Input value={destNs} onChange={(e) => setDestNs(e.target.value)} placeholder="payments" />
              </Field>
              <Field label="Destination pod labels" hint="key=value, comma-separated">
                <Input value={destLabels} onChange={(e) => setDestLabels(e.target.value)} placeholder="app=ledger" />
              </Field>
            </div>
          ) : (
            <Field label={destKind === "service" ? "Service (namespace/name)" : destKind === "cidr" ? "CIDR" : "DNS name"}>
              <Input
                value={destValue}
                onChange={(e) => setDestValue(e.target.value)}
                placeholder={destKind === "service" ? "payments/ledger" : destKind === "cidr" ? "203.0.113.0/24" : "api.partner.example"}
              />
            </Field>
          )}
          <Field label="Clusters" hint="comma-separated; empty: every cluster">
            <Input value={clusters} onChange={(e) => setClusters(e.target.value)} placeholder="staging-eu-1" />
          </Field>
          <div className="grid grid-cols-2 gap-3">
            <Field label="Starts (your time zone)">
              <Input type="datetime-local" value={startsAt} onChange={(e) => setStartsAt(e.target.value)} />
            </Field>
            <Field label="Expires (your time zone)">
              <Input type="datetime-local" value={expiresAt} onChange={(e) => setExpiresAt(e.target.value)} />
            </Field>
          </div>
          <Field
            label="Justification"
            hint={`${justification.length.toLocaleString("en")} / ${MAX_JUSTIFICATION.toLocaleString("en")} characters`}
          >
            <textarea
              className="block min-h-24 w-full rounded-lg px-3 py-1.5 text-sm ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-brand-500 focus:outline-none"
              value={justification}
              onChange={(e) => setJustification(e.target.value)}
              placeholder="Why this flow must be open, and why a policy change cannot wait"
            />
          </Field>
          <Field label="Ticket">
            <Input value={ticket} onChange={(e) => setTicket(e.target.value)} placeholder="SEC-1234" />
          </Field>
          {failure ? (
            <Notice tone="error">
              <p>{failure.message}</p>
              {Object.entries(failure.fields).map(([field, messages]) => (
                <p key={field} className="text-xs">
                  {field}: {messages?.join(" ")}
                </p>
              ))}
            </Notice>
          ) : null}
          <Button type="submit" disabled={request.isPending || !ready}>
            {request.isPending ? "Requesting…" : draft.renews ? "Request renewal" : "Request exception"}
          </Button>
        </div>
        <div className="space-y-3" aria-label="What it would do" data-testid="exception-preview">
          <h3 className="text-sm font-semibold text-slate-900">What it would do</h3>
          {parsed.problems.map((p) => (
            <Notice key={p} tone="warning">
              {p}
            </Notice>
          ))}
          {!ready ? <p className="text-sm text-slate-500">Name the source and at least one port to see which pod pairs it opens.</p> : null}
          {ready && preview.isPending ? <p className="text-sm text-slate-500">Asking the engine…</p> : null}
          {previewError ? (
            <Notice tone="error">
              {previewError.message}
              {Object.entries(previewError.fields).map(([field, messages]) => (
                <span key={field} className="block text-xs">
                  {field}: {messages?.join(" ")}
                </span>
              ))}
            </Notice>
          ) : null}
          {answer ? (
            <>
              {answer.problems.map((p) => (
                <Notice key={p.message} tone="error">
                  {p.message}
                </Notice>
              ))}
              {answer.warnings.map((w) => (
                <Notice key={w} tone="warning">
                  {w}
                </Notice>
              ))}
              <p className="text-xs text-slate-600">
                Approval:{" "}
                {answer.rules.map((r) => (
                  <span key={r.key} className="mr-2">
                    <Badge tone={r.key.includes("production") ? "amber" : "slate"}>{r.key}</Badge>{" "}
                    {r.requirements.map((q) => `${q.count} × ${q.function}`).join(" + ")}
                  </span>
                ))}
              </p>
              {answer.clusters.map((c) => (
                <div key={c.cluster} className="rounded-lg border border-slate-200 p-3 text-sm">
                  <p className="font-medium text-slate-900">
                    {c.cluster}: opens {c.opens.length} pod pair{c.opens.length === 1 ? "" : "s"}
                    {c.alreadyAllowed > 0 ? ` · ${c.alreadyAllowed} already allowed` : ""}
                  </p>
                  {c.forbiddenBy.length > 0 ? (
                    <p className="text-xs text-rose-700">
                      Forbidden by {[...new Set(c.forbiddenBy.map((f) => f.constraint))].join(", ")} (compliance constraints are never
                      excepted)
                    </p>
                  ) : null}
                  <ul className="mt-1 max-h-40 overflow-y-auto font-mono text-xs text-slate-700">
                    {c.opens.map((p) => (
                      <li key={`${p.from}-${p.to}-${p.port}-${p.protocol}`} data-testid="opened-pair">
                        {p.from} → {p.to} {p.port}/{p.protocol}
                      </li>
                    ))}
                  </ul>
                </div>
              ))}
            </>
          ) : null}
        </div>
      </form>
    </Card>
  );
}
