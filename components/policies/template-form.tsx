"use client";

// A template's parameters → a new draft policy (created on the server, then opened in the editor).
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Button, Card, Field, Input, Notice, Select } from "@/components/ui/primitives";

export interface TemplateInfo {
  id: string;
  description: string;
  tier: string;
  parameters: { name: string; type: string; description: string; default: string | number | boolean | string[] | null }[];
}

const initial = (p: TemplateInfo["parameters"][number], tenant: string | null): string => {
  if (p.default !== null) return Array.isArray(p.default) ? p.default.join(", ") : String(p.default);
  return p.name === "tenant" && tenant ? tenant : "";
};

export function TemplateForm({ template, tenant }: { template: TemplateInfo; tenant: string | null }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [values, setValues] = useState<Record<string, string>>(() => Object.fromEntries(template.parameters.map((p) => [p.name, initial(p, tenant)])));
  const create = useMutation(trpc.policies.createFromTemplate.mutationOptions({ onSuccess: (r) => router.push(`/policies/${r.name}`) }));
  const error = create.error ? describeError(create.error) : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const typed: Record<string, string | number | boolean | string[]> = {};
    for (const p of template.parameters) {
      const v = values[p.name] ?? "";
      if (v === "" && p.default === null && p.type !== "string-list") continue; // the server names what is missing
      typed[p.name] = p.type === "integer" && /^-?\d+$/.test(v) ? Number(v) : p.type === "boolean" ? v === "true" : p.type === "string-list" ? v.split(",").map((s) => s.trim()).filter(Boolean) : v;
    }
    create.mutate({ template: template.id, values: typed });
  };
  return (
    <Card title={`Template ${template.id}`}>
      <form aria-label="Template parameters" onSubmit={submit} className="max-w-2xl space-y-4">
        <p className="text-sm text-slate-600">{template.description}</p>
        {error && !Object.keys(error.fields).some((k) => k.startsWith("values")) ? <Notice tone="error">{error.message}</Notice> : null}
        {template.parameters.map((p) => (
          <Field key={p.name} label={p.name} hint={`${p.description}${p.type === "string-list" ? " (comma-separated)" : ""}`} error={error?.fields[`values.${p.name}`]?.[0]}>
            {p.type === "boolean" ? (
              <Select value={values[p.name]} onChange={(e) => setValues({ ...values, [p.name]: e.target.value })}>
                <option>true</option>
                <option>false</option>
              </Select>
            ) : (
              <Input value={values[p.name] ?? ""} onChange={(e) => setValues({ ...values, [p.name]: e.target.value })} className="font-mono" />
            )}
          </Field>
        ))}
        {error?.fields.values ? <Notice tone="error">{error.fields.values[0]}</Notice> : null}
        <Button type="submit" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create draft"}
        </Button>
      </form>
    </Card>
  );
}
