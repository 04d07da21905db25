"use client";

// An admin's form for a new alert rule: its kind, window and filters.
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { describeError } from "@/components/trpc/errors";
import { useTRPC } from "@/components/trpc/client";
import { Button, Field, Input, Notice, Options, Select } from "@/components/ui/primitives";
import { ALERT_RULE_KIND_LABELS, ALERT_RULE_KINDS, SEVERITIES, type AlertRuleKind, type Severity } from "@/lib/flows";
import { CRITICALITIES } from "@/lib/vocabulary";

type Criticality = (typeof CRITICALITIES)[number];
type Counted = "violation" | "near-miss" | "enforcement-gap";

export function AlertRuleForm({ onDone }: { onDone: () => void }) {
  const trpc = useTRPC();
  const [name, setName] = useState("");
  const [kind, setKind] = useState<AlertRuleKind>("threshold");
  const [windowMinutes, setWindow] = useState(15);
  const [threshold, setThreshold] = useState(10);
  const [flowClass, setFlowClass] = useState<Counted>("violation");
  const [criticality, setCriticality] = useState<Criticality | "">("");
  const [minSeverity, setMinSeverity] = useState<Severity | "">("");
  const [cluster, setCluster] = useState("");
  const create = useMutation(trpc.alerts.createRule.mutationOptions({ onSuccess: onDone }));
  const failure = create.isError ? describeError(create.error) : null;
  return (
    <form
      aria-label="New alert rule"
      className="grid grid-cols-1 items-end gap-3 md:grid-cols-4"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate({
          name,
          kind,
          params: {
            windowMinutes,
            ...(kind === "threshold" ? { threshold, flowClass } : {}),
            ...(criticality ? { destinationCriticality: criticality } : {}),
            ...(minSeverity ? { minSeverity } : {}),
            ...(cluster.trim() ? { cluster: cluster.trim() } : {}),
          },
        });
      }}
    >
      <Field label="Name">
        <Input name="name" value={name} onChange={(e) => setName(e.target.value)} required />
      </Field>
      <Field label="Kind">
        <Select name="kind" value={kind} onChange={(e) => setKind(e.target.value as AlertRuleKind)}>
          <Options values={ALERT_RULE_KINDS} label={(k) => ALERT_RULE_KIND_LABELS[k]} />
        </Select>
      </Field>
      <Field label="Window (minutes)">
        <Input name="windowMinutes" type="number" min={1} value={windowMinutes} onChange={(e) => setWindow(Number(e.target.value))} />
      </Field>
      {kind === "threshold" ? (
        <>
          <Field label="More than (flows)">
            <Input name="threshold" type="number" min={0} value={threshold} onChange={(e) => setThreshold(Number(e.target.value))} />
          </Field>
          <Field label="Of class">
            <Select name="flowClass" value={flowClass} onChange={(e) => setFlowClass(e.target.value as Counted)}>
              <option value="violation">violations</option>
              <option value="near-miss">near-misses</option>
              <option value="enforcement-gap">enforcement gaps</option>
            </Select>
          </Field>
        </>
      ) : null}
      <Field label="Destination criticality">
        <Select name="destinationCriticality" value={criticality} onChange={(e) => setCriticality(e.target.value as Criticality | "")}>
          <option value="">any</option>
          <Options values={CRITICALITIES} />
        </Select>
      </Field>
      <Field label="At least severity">
        <Select name="minSeverity" value={minSeverity} onChange={(e) => setMinSeverity(e.target.value as Severity | "")}>
          <option value="">any</option>
          <Options values={SEVERITIES} />
        </Select>
      </Field>
      <Field label="Cluster (optional)">
        <Input name="cluster" value={cluster} onChange={(e) => setCluster(e.target.value)} />
      </Field>
      <div className="md:col-span-4">
        {failure ? <Notice tone="error">{failure.message}</Notice> : null}
        <Button type="submit" disabled={create.isPending || !name.trim()}>
          Add rule
        </Button>
      </div>
    </form>
  );
}
