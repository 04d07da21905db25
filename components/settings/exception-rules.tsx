"use client";

// Settings → Exception approval rules (issue 14 item 2): separate data from the change rules, one
// security approver by default and two when the flow touches production. Everyone reads them; an
// admin edits them with a preview of the unsaved rules (the rules an exception would hit and who
// could approve it today) and saves them; the server validates, versions and audits the change.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Button, Card, Field, Input, Notice, Select } from "@/components/ui/primitives";
import { useDebounced } from "@/components/ui/use-debounced";
import type { ExceptionApprovalRule } from "@/db/schema/exceptions";
import { RequirementsEditor } from "./requirements-editor";
import { RulesPreviewList } from "./rules-preview-list";

const APPLIES: Record<ExceptionApprovalRule["appliesTo"], string> = {
  all: "every exception",
  production: "exceptions touching a production cluster",
};

export function ExceptionRulesSection() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const settings = useQuery(trpc.exceptions.settings.queryOptions());
  const me = useQuery(trpc.org.me.queryOptions());
  const isAdmin = (me.data?.grants ?? []).some((g) => g.role === "admin" && g.tenantId === null);
  const [rules, setRules] = useState<ExceptionApprovalRule[] | null>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (settings.data && rules === null) setRules(settings.data.rules);
  }, [settings.data, rules]);
  const save = useMutation(
    trpc.exceptions.updateSettings.mutationOptions({
      onSuccess: async (after) => {
        setRules(after.rules);
        setSaved(true);
        await queryClient.invalidateQueries({ queryKey: trpc.exceptions.settings.queryKey() });
      },
    }),
  );
  if (settings.error) return <Notice tone="error">{describeError(settings.error).message}</Notice>;
  if (!settings.data || !rules) return null;
  const s = settings.data;
  const failure = save.error ? describeError(save.error) : null;
  const problems = failure ? Object.values(failure.fields).flatMap((m) => m ?? []) : [];
  const setRule = (i: number, patch: Partial<ExceptionApprovalRule>) => {
    setSaved(false);
    setRules(rules.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  };
  function submit(event: FormEvent) {
    event.preventDefault();
    const { id: _id, version, updatedAt: _at, updatedBy: _by, rules: _rules, ...limits } = s;
    save.mutate({ ...limits, rules: rules!, expectedVersion: version });
  }

  return (
    <Card
      title="Exception approval rules"
      actions={
        <span className="text-xs text-slate-500">
          version {s.version} · by {s.updatedBy}
        </span>
      }
    >
      <p className="mb-3 text-sm text-slate-600">
        Who must approve an exception, separate from the change rules. Every rule an exception hits must be met; the requester never counts.
      </p>
      <form onSubmit={submit} aria-label="Exception approval rules" className="space-y-3">
        {failure ? (
          <Notice tone="error">
            <span data-testid="exception-rules-error">{problems.length ? problems.join(" ") : failure.message}</span>
          </Notice>
        ) : null}
        {saved ? <Notice tone="success">Saved: version {s.version}, written to the audit trail.</Notice> : null}
        {rules.map((r, i) => (
          <fieldset key={i} className="space-y-2 rounded-lg bg-slate-50 p-3" data-testid="exception-rule" disabled={!isAdmin}>
            <div className="grid grid-cols-4 gap-3">
              <Field label="Key">
                <Input aria-label={`Rule ${i + 1} key`} value={r.key} onChange={(e) => setRule(i, { key: e.target.value })} />
              </Field>
              <div className="col-span-2">
                <Field label="Description">
                  <Input
                    aria-label={`Rule ${i + 1} description`}
                    value={r.description}
                    onChange={(e) => setRule(i, { description: e.target.value })}
                  />
                </Field>
              </div>
              <Field label="Applies to">
                <Select
                  aria-label={`Rule ${i + 1} applies to`}
                  value={r.appliesTo}
                  onChange={(e) => setRule(i, { appliesTo: e.target.value as ExceptionApprovalRule["appliesTo"] })}
                >
                  {Object.entries(APPLIES).map(([value, label]) => (
                    <option key={value} value={value}>
                      {label}
                    </option>
                  ))}
                </Select>
              </Field>
            </div>
            <RequirementsEditor requirements={r.requirements} onChange={(requirements) => setRule(i, { requirements })} />
            <div>
              <Button type="button" variant="ghost" onClick={() => setRules(rules.filter((_, j) => j !== i))}>
                Remove rule {r.key}
              </Button>
            </div>
          </fieldset>
        ))}
        {isAdmin ? (
          <div className="flex gap-2">
            <Button
              type="button"
              variant="secondary"
              onClick={() =>
                setRules([
                  ...rules,
                  {
                    key: "",
                    description: "",
                    appliesTo: "production",
                    requirements: [{ function: "security", count: 1, scope: "organisation" }],
                  },
                ])
              }
            >
              Add a rule
            </Button>
            <Button type="submit" disabled={save.isPending}>
              Save exception rules
            </Button>
          </div>
        ) : (
          <p className="text-xs text-slate-500">Only an admin can change these rules.</p>
        )}
      </form>
      {isAdmin ? <ExceptionRulesPreview rules={rules} /> : null}
    </Card>
  );
}

/** What the rules being edited would ask of an exception, inside or outside production, before saving. */
function ExceptionRulesPreview({ rules }: { rules: ExceptionApprovalRule[] }) {
  const trpc = useTRPC();
  const tenants = useQuery(trpc.org.tenants.queryOptions());
  const [production, setProduction] = useState(true);
  const [tenant, setTenant] = useState("");
  const input = useDebounced({ rules, production, tenant: tenant || null }, 300);
  const preview = useQuery({ ...trpc.exceptions.previewRules.queryOptions(input), retry: false });
  return (
    <div className="mt-4 space-y-3 border-t border-slate-100 pt-4" data-testid="exception-rules-preview">
      <h3 className="font-medium text-slate-900">Preview: what would an exception need under these (unsaved) rules?</h3>
      <div className="flex items-end gap-4">
        <label className="text-sm">
          <input type="checkbox" checked={production} onChange={(e) => setProduction(e.target.checked)} /> touches a production cluster
        </label>
        <Field label="Source tenant">
          <Select aria-label="Source tenant" value={tenant} onChange={(e) => setTenant(e.target.value)}>
            <option value="">no tenant</option>
            {(tenants.data ?? []).map((t) => (
              <option key={t.id}>{t.name}</option>
            ))}
          </Select>
        </Field>
      </div>
      {preview.isError ? <Notice tone="warning">{describeError(preview.error).message}</Notice> : null}
      {preview.data ? (
        <div data-testid="exception-rules-preview-result" className="text-sm">
          <p className="text-slate-700">For {preview.data.subject}:</p>
          <div className="mt-1">
            <RulesPreviewList rules={preview.data.rules} withDescription />
          </div>
        </div>
      ) : null}
    </div>
  );
}
