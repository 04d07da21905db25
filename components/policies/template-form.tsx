"use client";

// A template's parameters → a new draft policy (created on the server, then
// opened in the editor). Parameters pick from the inventory; the policy's name
// and the compliance constraints it would break show live, before anything is
// written; a default a constraint forbids is replaced by one it allows.
import { keepPreviousData, useMutation, useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useMemo, useState, type FormEvent } from "react";
import { useTRPC } from "@/components/trpc/client";
import { useDebounced } from "@/components/ui/use-debounced";
import { describeError } from "@/components/trpc/errors";
import { Button, Card, Field, Input, Notice, Select } from "@/components/ui/primitives";

export interface TemplateInfo {
  id: string;
  description: string;
  tier: string;
  parameters: { name: string; type: string; description: string; default: string | number | boolean | string[] | null }[];
}

type Parameter = TemplateInfo["parameters"][number];
type Values = Record<string, string | number | boolean | string[]>;

const initial = (p: Parameter, tenant: string | null): string => {
  if (p.default !== null) return Array.isArray(p.default) ? p.default.join(", ") : String(p.default);
  return p.name === "tenant" && tenant ? tenant : "";
};

/** The typed values the server takes (empty required fields left out: the server names what is missing). */
function typedValues(parameters: Parameter[], values: Record<string, string>): Values {
  const typed: Values = {};
  for (const p of parameters) {
    const v = values[p.name] ?? "";
    if (v === "" && p.default === null && p.type !== "string-list") continue;
    typed[p.name] =
      p.type === "integer" && /^-?\d+$/.test(v)
        ? Number(v)
        : p.type === "boolean"
          ? v === "true"
          : p.type === "string-list"
            ? v
                .split(",")
                .map((s) => s.trim())
                .filter(Boolean)
            : v;
  }
  return typed;
}

export function TemplateForm({ template, tenant }: { template: TemplateInfo; tenant: string | null }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(template.parameters.map((p) => [p.name, initial(p, tenant)])),
  );
  /** Parameters the person changed (a default they left alone may be replaced by one the constraints allow). */
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [name, setName] = useState<string | null>(null);
  const inventory = useQuery(trpc.policies.inventory.queryOptions());
  const typed = typedValues(template.parameters, values);
  // Debounced as text: a fresh object each render would never settle.
  const settledValues = useDebounced(JSON.stringify(typed), 300);
  const previewInput = useMemo(
    () => ({ template: template.id, values: JSON.parse(settledValues) as Values }),
    [template.id, settledValues],
  );
  const preview = useQuery({ ...trpc.policies.templatePreview.queryOptions(previewInput), placeholderData: keepPreviousData });
  const suggestedGateway = preview.data?.suggestions.gateway;
  // The gateway chosen for the author, kept: the preview of the form with it suggests nothing more.
  const [chosenGateway, setChosenGateway] = useState<string | null>(null);
  useEffect(() => {
    if (!suggestedGateway || touched.has("gateway")) return;
    setValues((v) => ({ ...v, gateway: suggestedGateway }));
    setChosenGateway(suggestedGateway);
  }, [suggestedGateway, touched]);

  const create = useMutation(trpc.policies.createFromTemplate.mutationOptions({ onSuccess: (r) => router.push(`/policies/${r.name}`) }));
  const error = create.error ? describeError(create.error) : null;
  const policyName = name ?? preview.data?.name ?? "";
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({ template: template.id, values: typed, ...(policyName ? { name: policyName } : {}) });
  };
  const set = (p: string, v: string) => {
    setValues({ ...values, [p]: v });
    setTouched(new Set(touched).add(p));
  };

  // What each parameter can pick from: the inventory, narrowed by the values chosen so far.
  const inv = inventory.data;
  const namespacesOfTenant = inv ? inv.namespaces.filter((ns) => !values.tenant || inv.namespaceTenants[ns] === values.tenant) : [];
  const choices: Record<string, string[]> = inv
    ? {
        tenant: inv.tenants,
        namespace: namespacesOfTenant,
        app: inv.podLabels.app ?? [],
        service: inv.services.filter((s) => !values.namespace || !s.startsWith(`${values.namespace}/`)),
        gateway: inv.gateways,
        hosts: inv.externalHosts,
      }
    : {};
  const fieldError = (field: string) =>
    error?.fields[field]?.[0] ?? (preview.data?.problem?.field === field && touched.size > 0 ? preview.data.problem.message : undefined);

  return (
    <Card title={`Template ${template.id}`}>
      <form aria-label="Template parameters" onSubmit={submit} className="max-w-2xl space-y-4">
        <p className="text-sm text-slate-600">{template.description}</p>
        {error && !Object.keys(error.fields).some((k) => k.startsWith("values") || k === "name") ? (
          <Notice tone="error">{error.message}</Notice>
        ) : null}
        {template.parameters.map((p) => (
          <Field
            key={p.name}
            label={p.name}
            hint={`${p.description}${p.type === "string-list" ? " (comma-separated)" : ""}${choices[p.name]?.length ? " · pick from the inventory or type" : ""}`}
            error={fieldError(`values.${p.name}`)}
          >
            {p.type === "boolean" ? (
              <Select aria-label={p.name} value={values[p.name]} onChange={(e) => set(p.name, e.target.value)}>
                <option>true</option>
                <option>false</option>
              </Select>
            ) : (
              <>
                <Input
                  aria-label={p.name}
                  value={values[p.name] ?? ""}
                  onChange={(e) => set(p.name, e.target.value)}
                  className="font-mono"
                  list={choices[p.name]?.length ? `choices-${p.name}` : undefined}
                />
                {choices[p.name]?.length ? (
                  <datalist id={`choices-${p.name}`}>
                    {choices[p.name]!.map((c) => (
                      <option key={c} value={c} />
                    ))}
                  </datalist>
                ) : null}
              </>
            )}
            {p.name === "gateway" && chosenGateway && values.gateway === chosenGateway && !touched.has("gateway") ? (
              <p className="mt-1 text-xs text-slate-600" data-testid="gateway-suggestion">
                Chosen for you: the default gateway breaks a compliance constraint in scope; {chosenGateway} satisfies it.
              </p>
            ) : null}
          </Field>
        ))}
        <Field label="Policy name" hint="The name the draft is saved under; a saved policy keeps its name." error={error?.fields.name?.[0]}>
          <Input
            aria-label="Policy name"
            value={policyName}
            onChange={(e) => setName(e.target.value)}
            className="font-mono"
            placeholder="filled in from the parameters"
          />
        </Field>
        {preview.data && preview.data.conflicts.length > 0 ? (
          <div data-testid="template-conflicts">
            <Notice tone="error">
              This policy would break a compliance constraint (constraints cannot be overridden):
              <ul className="mt-1 list-disc pl-5">
                {preview.data.conflicts.map((c) => (
                  <li key={c}>{c}</li>
                ))}
              </ul>
            </Notice>
          </div>
        ) : null}
        {error?.fields.values ? <Notice tone="error">{error.fields.values[0]}</Notice> : null}
        <Button type="submit" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create draft"}
        </Button>
      </form>
    </Card>
  );
}
