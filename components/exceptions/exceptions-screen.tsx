"use client";

// The Exceptions page: the request form (prefilled from a path drawn on the graph
// or from an exception being renewed), the selected exception, the active ones
// with their countdown, and the history. Time is the server's clock.
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Button, Notice } from "@/components/ui/primitives";
import { useServerNow } from "@/components/ui/use-server-now";
import { ExceptionDetail } from "./exception-detail";
import { ExceptionLimits } from "./exception-limits";
import { ActiveExceptions, ExceptionHistory } from "./exceptions-list";
import { RequestForm, type RequestDraft } from "./request-form";

export function ExceptionsScreen({ number, from, to }: { number?: number; from?: string; to?: string }) {
  const trpc = useTRPC();
  const list = useQuery(trpc.exceptions.list.queryOptions({}));
  const prefill = useQuery({ ...trpc.exceptions.prefill.queryOptions({ from: from ?? "", to: to ?? "" }), enabled: Boolean(from && to) });
  const nowMs = useServerNow(list.data?.now);
  const [draft, setDraft] = useState<RequestDraft | null>(from && to ? {} : null);
  const [requested, setRequested] = useState<number | null>(null);
  const [formKey, setFormKey] = useState(0);

  useEffect(() => {
    const p = prefill.data;
    if (!p) return;
    setDraft({
      flow: {
        ...(p.source ? { source: p.source } : {}),
        ...(p.destination ? { destination: p.destination } : {}),
      },
      title: from && to ? `${from} → ${to}` : "",
    });
  }, [prefill.data, from, to]);

  if (list.isError) return <Notice tone="error">{describeError(list.error).message}</Notice>;
  const data = list.data;
  const selected = requested ?? number;
  return (
    <div className="space-y-6">
      {requested ? (
        <Notice tone="success">
          Exception E-{requested} was requested. The committee is notified; it counts only once approved, from its start to its expiry.
        </Notice>
      ) : null}
      {data?.mayRequest ? (
        draft ? (
          <RequestForm
            key={formKey}
            draft={draft}
            nowMs={nowMs}
            onRequested={(n) => {
              setRequested(n);
              setDraft(null);
            }}
          />
        ) : (
          <Button
            onClick={() => {
              setDraft({});
              setFormKey((k) => k + 1);
            }}
          >
            Request an exception
          </Button>
        )
      ) : null}
      {selected ? (
        <ExceptionDetail
          number={selected}
          nowMs={nowMs}
          onRenew={(d) => {
            setDraft(d);
            setFormKey((k) => k + 1);
            document.getElementById("request")?.scrollIntoView();
          }}
        />
      ) : null}
      {data ? (
        <>
          <ActiveExceptions items={data.exceptions} nowMs={nowMs} />
          <ExceptionHistory items={data.exceptions} />
          <ExceptionLimits isAdmin={data.isAdmin} />
        </>
      ) : (
        <p className="text-sm text-slate-500">Loading exceptions…</p>
      )}
    </div>
  );
}
