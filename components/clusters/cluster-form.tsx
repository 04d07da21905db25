"use client";

// Register a cluster, or edit one (its name stays): region, environment, labels, CNI, policy API, Istio.
import { useState, type FormEvent } from "react";
import { CNI_LABELS, CNIS, POLICY_API_LABELS, POLICY_APIS, type Cni, type PolicyApi } from "@/lib/clusters";
import { ENVIRONMENTS } from "@/lib/vocabulary";
import { describeError } from "@/components/trpc/errors";
import { Button, Field, Input, Notice, Select } from "@/components/ui/primitives";

export interface ClusterFormValues {
  name: string;
  region: string;
  environment: (typeof ENVIRONMENTS)[number];
  labels: Record<string, string>;
  cni: Cni | null;
  policyApi: PolicyApi;
  istio: boolean;
}

const labelsText = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");

/** `wave=1, team=core` → { wave: "1", team: "core" } (the server validates keys and values). */
function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(/[,\n]/).map((p) => p.trim()))
    if (part) {
      const i = part.indexOf("=");
      out[i < 0 ? part : part.slice(0, i).trim()] = i < 0 ? "" : part.slice(i + 1).trim();
    }
  return out;
}

export function ClusterForm({
  initial,
  submitLabel,
  pending,
  error,
  onSubmit,
}: {
  initial?: ClusterFormValues;
  submitLabel: string;
  pending: boolean;
  error: unknown;
  onSubmit: (values: ClusterFormValues) => void;
}) {
  const [name, setName] = useState(initial?.name ?? "");
  const [region, setRegion] = useState(initial?.region ?? "");
  const [environment, setEnvironment] = useState<ClusterFormValues["environment"]>(initial?.environment ?? "development");
  const [labels, setLabels] = useState(labelsText(initial?.labels ?? {}));
  const [cni, setCni] = useState<Cni | "">(initial?.cni ?? "");
  const [policyApi, setPolicyApi] = useState<PolicyApi>(initial?.policyApi ?? "anp");
  const [istio, setIstio] = useState(initial?.istio ?? false);
  const problem = error ? describeError(error) : null;
  const fieldError = (f: string) => problem?.fields[f]?.[0];
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit({ name, region, environment, labels: parseLabels(labels), cni: cni === "" ? null : cni, policyApi, istio });
  };
  return (
    <form onSubmit={submit} className="grid max-w-4xl grid-cols-3 gap-3" aria-label={submitLabel}>
      {problem ? (
        <div className="col-span-3">
          <Notice tone="error">{problem.message}</Notice>
        </div>
      ) : null}
      <Field label="Name" error={fieldError("name")} hint={initial ? "A cluster keeps its name." : "A DNS label, e.g. prod-eu-2"}>
        <Input value={name} onChange={(e) => setName(e.target.value)} disabled={!!initial} required maxLength={63} />
      </Field>
      <Field label="Region" error={fieldError("region")}>
        <Input value={region} onChange={(e) => setRegion(e.target.value)} required maxLength={64} />
      </Field>
      <Field label="Environment">
        <Select value={environment} onChange={(e) => setEnvironment(e.target.value as ClusterFormValues["environment"])}>
          {ENVIRONMENTS.map((env) => (
            <option key={env}>{env}</option>
          ))}
        </Select>
      </Field>
      <Field label="CNI">
        <Select value={cni} onChange={(e) => setCni(e.target.value as Cni | "")}>
          <option value="">not known</option>
          {CNIS.map((c) => (
            <option key={c} value={c}>
              {CNI_LABELS[c]}
            </option>
          ))}
        </Select>
      </Field>
      <Field label="Policy API">
        <Select value={policyApi} onChange={(e) => setPolicyApi(e.target.value as PolicyApi)}>
          {POLICY_APIS.map((p) => (
            <option key={p} value={p}>
              {POLICY_API_LABELS[p]}
            </option>
          ))}
        </Select>
      </Field>
      <Field label="Labels" error={fieldError("labels")} hint="key=value, comma-separated; wave=N orders the rollout">
        <Input value={labels} onChange={(e) => setLabels(e.target.value)} />
      </Field>
      <label className="flex items-center gap-2 text-sm text-slate-700">
        <input type="checkbox" checked={istio} onChange={(e) => setIstio(e.target.checked)} /> Istio present
      </label>
      <div className="col-span-2">
        <Button type="submit" disabled={pending}>
          {submitLabel}
        </Button>
      </div>
    </form>
  );
}
