"use client";

// A silence: what it matches, for how long, and why (approvers and admins).
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { describeError } from "@/components/trpc/errors";
import { useTRPC } from "@/components/trpc/client";
import { Button, Field, Input, Notice, Select } from "@/components/ui/primitives";

export interface SilencePrefill {
  ruleId?: string;
  cluster?: string;
  source?: string;
  destination?: string;
}

const DURATIONS = [
  [60, "1 hour"],
  [240, "4 hours"],
  [1440, "1 day"],
  [10080, "7 days"],
] as const;

export function SilenceForm({
  rules,
  prefill,
  onDone,
}: {
  rules: { id: string; name: string }[];
  prefill: SilencePrefill;
  onDone: () => void;
}) {
  const trpc = useTRPC();
  const [matcher, setMatcher] = useState<SilencePrefill>(prefill);
  const [minutes, setMinutes] = useState(60);
  const [reason, setReason] = useState("");
  const create = useMutation(trpc.alerts.createSilence.mutationOptions({ onSuccess: onDone }));
  const failure = create.isError ? describeError(create.error) : null;
  const text = (key: "cluster" | "source" | "destination", label: string) => (
    <Field label={label}>
      <Input name={key} value={matcher[key] ?? ""} onChange={(e) => setMatcher({ ...matcher, [key]: e.target.value || undefined })} />
    </Field>
  );
  return (
    <form
      aria-label="New silence"
      className="grid grid-cols-1 items-end gap-3 md:grid-cols-3"
      onSubmit={(e) => {
        e.preventDefault();
        const given = Object.fromEntries(Object.entries(matcher).filter(([, v]) => v)) as SilencePrefill;
        create.mutate({ matcher: given, minutes, reason });
      }}
    >
      <Field label="Rule">
        <Select
          name="ruleId"
          value={matcher.ruleId ?? ""}
          onChange={(e) => setMatcher({ ...matcher, ruleId: e.target.value || undefined })}
        >
          <option value="">any rule</option>
          {rules.map((r) => (
            <option key={r.id} value={r.id}>
              {r.name}
            </option>
          ))}
        </Select>
      </Field>
      {text("cluster", "Cluster")}
      {text("source", "Source")}
      {text("destination", "Destination")}
      <Field label="For">
        <Select name="minutes" value={minutes} onChange={(e) => setMinutes(Number(e.target.value))}>
          {DURATIONS.map(([m, label]) => (
            <option key={m} value={m}>
              {label}
            </option>
          ))}
        </Select>
      </Field>
      <Field label="Why">
        <Input name="reason" value={reason} onChange={(e) => setReason(e.target.value)} required />
      </Field>
      <div className="md:col-span-3">
        {failure ? <Notice tone="error">{failure.message}</Notice> : null}
        <Button type="submit" disabled={create.isPending || !reason.trim()}>
          Silence
        </Button>
      </div>
    </form>
  );
}
