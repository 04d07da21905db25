"use client";

// Settings → Approval rules (issue 13 item 3): the rules every change request is checked against,
// as data. Everyone reads them; an admin creates, edits, enables or disables and deletes them, and
// previews which rules a change request (or a described change) hits. The server refuses a rule no
// one can ever satisfy and says why; this form only shows that answer.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { requirementLabel } from "@/components/changes/requirement-label";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Badge, Button, Card, Field, Input, Notice, Select, Table, Td } from "@/components/ui/primitives";
import { TIERS, type Tier } from "@/lib/vocabulary";
import { RequirementsEditor, type Requirement } from "./requirements-editor";
import { RulesPreviewList } from "./rules-preview-list";

type Kind = "Policy" | "ComplianceConstraint";
interface RuleMatch {
  tiers?: Tier[];
  kinds?: Kind[];
  loosensConstraint?: boolean;
  emergency?: boolean;
}
interface RuleDraft {
  id?: string;
  version?: number;
  key: string;
  description: string;
  match: RuleMatch;
  requirements: Requirement[];
  enabled: boolean;
}

const KINDS: readonly Kind[] = ["Policy", "ComplianceConstraint"];

export function describeMatch(match: RuleMatch): string {
  if (match.emergency) return "the emergency path (an admin's emergency release)";
  const parts = [
    match.tiers ? `tier ${match.tiers.join(" or ")}` : null,
    match.kinds
      ? match.kinds.length === 1 && match.kinds[0] === "ComplianceConstraint"
        ? "compliance constraints"
        : match.kinds.join(" or ")
      : null,
    match.loosensConstraint ? "loosening a compliance constraint" : null,
  ].filter(Boolean);
  return parts.length ? parts.join(", ") : "nothing";
}

export function ApprovalRulesSection() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const rules = useQuery(trpc.approvalRules.list.queryOptions());
  const me = useQuery(trpc.org.me.queryOptions());
  const isAdmin = (me.data?.grants ?? []).some((g) => g.role === "admin" && g.tenantId === null);
  const [editing, setEditing] = useState<RuleDraft | null>(null);
  const invalidate = async () => {
    await queryClient.invalidateQueries({ queryKey: trpc.approvalRules.pathKey() });
    await queryClient.invalidateQueries({ queryKey: trpc.workflow.pathKey() });
  };
  const setEnabled = useMutation(trpc.approvalRules.setEnabled.mutationOptions({ onSettled: invalidate }));
  const remove = useMutation(trpc.approvalRules.delete.mutationOptions({ onSettled: invalidate }));
  const failed = setEnabled.error ?? remove.error;

  return (
    <Card
      title="Approval rules"
      id="approval-rules"
      actions={
        isAdmin && !editing ? (
          <Button
            variant="secondary"
            onClick={() =>
              setEditing({
                key: "",
                description: "",
                match: { tiers: ["cluster"] },
                requirements: [{ function: "security", count: 1, scope: "organisation" }],
                enabled: true,
              })
            }
          >
            New rule
          </Button>
        ) : null
      }
    >
      <div className="space-y-4 text-sm" data-testid="approval-rules">
        <p className="text-slate-600">
          Every change request needs the approvals of each enabled rule its edits match; one person counts once per rule, and authors never
          approve their own change. A rule no one in the organisation could satisfy is refused when saved.
        </p>
        {rules.isError ? <Notice tone="error">{describeError(rules.error).message}</Notice> : null}
        {failed ? <Notice tone="error">{describeError(failed).message}</Notice> : null}
        <Table head={["Rule", "Matches", "Asks for", "State", ""]}>
          {(rules.data ?? []).map((r) => (
            <tr key={r.id} data-testid="approval-rule-row">
              <Td>
                <div className="font-mono text-xs text-slate-900">{r.key}</div>
                <div className="mt-0.5 max-w-sm text-xs text-slate-500">{r.description}</div>
              </Td>
              <Td className="text-xs">{describeMatch(r.match)}</Td>
              <Td className="text-xs">
                <ul>
                  {r.requirements.map((q) => (
                    <li key={`${q.function}-${q.scope}`}>{requirementLabel(q)}</li>
                  ))}
                </ul>
                {r.unsatisfiable && r.enabled ? (
                  <div className="mt-1 text-amber-700" data-testid="rule-unsatisfiable">
                    ⚠ {r.unsatisfiable}
                  </div>
                ) : null}
              </Td>
              <Td>
                <Badge tone={r.enabled ? "green" : "slate"}>{r.enabled ? "enabled" : "disabled"}</Badge>
                <div className="mt-1 text-xs text-slate-400">
                  v{r.version} · {r.updatedBy}
                </div>
              </Td>
              <Td className="whitespace-nowrap text-right">
                {isAdmin ? (
                  <>
                    <Button variant="ghost" onClick={() => setEditing({ ...r, description: r.description })} aria-label={`Edit ${r.key}`}>
                      Edit
                    </Button>
                    <Button
                      variant="ghost"
                      disabled={setEnabled.isPending}
                      onClick={() => setEnabled.mutate({ id: r.id, enabled: !r.enabled, expectedVersion: r.version })}
                    >
                      {r.enabled ? "Disable" : "Enable"}
                    </Button>
                    <Button
                      variant="ghost"
                      className="text-rose-700"
                      onClick={() => {
                        if (window.confirm(`Delete rule ${r.key}? Open change requests stop needing its approvals.`))
                          remove.mutate({ id: r.id, expectedVersion: r.version });
                      }}
                    >
                      Delete
                    </Button>
                  </>
                ) : null}
              </Td>
            </tr>
          ))}
        </Table>
        {editing ? <RuleForm draft={editing} onDone={() => setEditing(null)} onSaved={invalidate} /> : null}
        {isAdmin ? <RulePreview /> : null}
      </div>
    </Card>
  );
}

function RuleForm({ draft, onDone, onSaved }: { draft: RuleDraft; onDone: () => void; onSaved: () => Promise<void> }) {
  const trpc = useTRPC();
  const [rule, setRule] = useState<RuleDraft>(draft);
  const options = {
    onSuccess: async () => {
      await onSaved();
      onDone();
    },
  };
  const create = useMutation(trpc.approvalRules.create.mutationOptions(options));
  const update = useMutation(trpc.approvalRules.update.mutationOptions(options));
  const saving = rule.id ? update : create;
  const failure = saving.error ? describeError(saving.error) : null;
  // The key's error shows under its field; every other one (requirements, match) in the notice, word for word.
  const problems = failure ? Object.entries(failure.fields).flatMap(([field, messages]) => (field === "key" ? [] : (messages ?? []))) : [];
  const match = rule.match;
  const setMatch = (next: RuleMatch) => setRule({ ...rule, match: next });
  const toggle = <T,>(list: T[] | undefined, value: T, on: boolean): T[] | undefined => {
    const next = on ? [...(list ?? []), value] : (list ?? []).filter((v) => v !== value);
    return next.length ? next : undefined;
  };

  function submit(event: FormEvent) {
    event.preventDefault();
    const fields = {
      key: rule.key,
      description: rule.description,
      match: rule.match,
      requirements: rule.requirements,
      enabled: rule.enabled,
    };
    if (rule.id) update.mutate({ ...fields, id: rule.id, expectedVersion: rule.version! });
    else create.mutate(fields);
  }

  return (
    <form onSubmit={submit} className="space-y-3 rounded-lg bg-slate-50 p-4" aria-label={rule.id ? `Edit rule ${draft.key}` : "New rule"}>
      <h3 className="font-medium text-slate-900">{rule.id ? `Edit rule ${draft.key}` : "New approval rule"}</h3>
      {failure ? (
        <Notice tone="error">
          <span data-testid="rule-error">{problems.length ? problems.join(" ") : failure.message}</span>
        </Notice>
      ) : null}
      <div className="grid grid-cols-3 gap-3">
        <Field label="Key" error={failure?.fields.key?.[0]}>
          <Input value={rule.key} onChange={(e) => setRule({ ...rule, key: e.target.value })} placeholder="e.g. cluster-tier" />
        </Field>
        <div className="col-span-2">
          <Field label="Description">
            <Input value={rule.description} onChange={(e) => setRule({ ...rule, description: e.target.value })} />
          </Field>
        </div>
      </div>
      <fieldset className="space-y-2">
        <legend className="text-xs font-medium text-slate-700">Matches</legend>
        <label className="mr-4 text-xs">
          <input
            type="checkbox"
            checked={match.emergency === true}
            onChange={(e) => setMatch(e.target.checked ? { emergency: true } : { tiers: ["cluster"] })}
          />{" "}
          the emergency path (instead of edits)
        </label>
        {!match.emergency ? (
          <div className="flex flex-wrap gap-4 text-xs">
            <span className="text-slate-500">Tiers:</span>
            {TIERS.map((t) => (
              <label key={t}>
                <input
                  type="checkbox"
                  checked={match.tiers?.includes(t) ?? false}
                  onChange={(e) => setMatch({ ...match, tiers: toggle(match.tiers, t, e.target.checked) })}
                />{" "}
                {t}
              </label>
            ))}
            <span className="ml-4 text-slate-500">Kinds:</span>
            {KINDS.map((k) => (
              <label key={k}>
                <input
                  type="checkbox"
                  checked={match.kinds?.includes(k) ?? false}
                  onChange={(e) => setMatch({ ...match, kinds: toggle(match.kinds, k, e.target.checked) })}
                />{" "}
                {k}
              </label>
            ))}
            <label className="ml-4">
              <input
                type="checkbox"
                checked={match.loosensConstraint === true}
                onChange={(e) => setMatch({ ...match, loosensConstraint: e.target.checked || undefined })}
              />{" "}
              only edits loosening a compliance constraint
            </label>
          </div>
        ) : null}
      </fieldset>
      <fieldset className="space-y-2">
        <legend className="text-xs font-medium text-slate-700">Asks for</legend>
        <RequirementsEditor requirements={rule.requirements} onChange={(requirements) => setRule({ ...rule, requirements })} />
      </fieldset>
      <label className="block text-xs">
        <input type="checkbox" checked={rule.enabled} onChange={(e) => setRule({ ...rule, enabled: e.target.checked })} /> enabled
      </label>
      <div className="flex gap-2">
        <Button type="submit" disabled={saving.isPending}>
          Save rule
        </Button>
        <Button type="button" variant="ghost" onClick={onDone}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

/** Which rules a change would hit: pick a change request, or describe a change. */
function RulePreview() {
  const trpc = useTRPC();
  const changes = useQuery(trpc.changes.list.queryOptions());
  const tenants = useQuery(trpc.org.tenants.queryOptions());
  const [number, setNumber] = useState<string>("");
  const [tier, setTier] = useState<Tier>("namespace");
  const [kind, setKind] = useState<Kind>("Policy");
  const [tenant, setTenant] = useState<string>("");
  const [loosens, setLoosens] = useState(false);
  const input = number
    ? { number: Number(number) }
    : { change: { tier, kind, tenant: tenant || null, loosensConstraint: loosens && kind === "ComplianceConstraint" } };
  const preview = useQuery(trpc.approvalRules.preview.queryOptions(input));
  const open = (changes.data ?? []).filter((c) => ["draft", "in-review", "changes-requested", "approved"].includes(c.state));

  return (
    <div className="space-y-3 border-t border-slate-100 pt-4" data-testid="rule-preview">
      <h3 className="font-medium text-slate-900">Preview: which rules would a change hit?</h3>
      <div className="grid grid-cols-5 items-end gap-3">
        <Field label="Change request">
          <Select value={number} onChange={(e) => setNumber(e.target.value)}>
            <option value="">— describe a change —</option>
            {open.map((c) => (
              <option key={c.number} value={c.number}>
                #{c.number} {c.title}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Tier">
          <Select value={tier} disabled={!!number} onChange={(e) => setTier(e.target.value as Tier)}>
            {TIERS.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </Select>
        </Field>
        <Field label="Kind">
          <Select value={kind} disabled={!!number} onChange={(e) => setKind(e.target.value as Kind)}>
            {KINDS.map((k) => (
              <option key={k}>{k}</option>
            ))}
          </Select>
        </Field>
        <Field label="Tenant">
          <Select value={tenant} disabled={!!number} onChange={(e) => setTenant(e.target.value)}>
            <option value="">no tenant</option>
            {(tenants.data ?? []).map((t) => (
              <option key={t.id}>{t.name}</option>
            ))}
          </Select>
        </Field>
        <label className="pb-2 text-xs">
          <input
            type="checkbox"
            checked={loosens}
            disabled={!!number || kind !== "ComplianceConstraint"}
            onChange={(e) => setLoosens(e.target.checked)}
          />{" "}
          loosens the constraint
        </label>
      </div>
      {preview.isError ? <Notice tone="error">{describeError(preview.error).message}</Notice> : null}
      {preview.data ? (
        <div data-testid="rule-preview-result" className="space-y-2">
          <p className="text-slate-700">
            For {preview.data.subject}:{" "}
            {preview.data.rules.length === 0 ? <strong>no rule matches; it could never be approved.</strong> : null}
          </p>
          {preview.data.uncovered.length > 0 && preview.data.rules.length > 0 ? (
            <Notice tone="warning">No rule covers {preview.data.uncovered.join(", ")}.</Notice>
          ) : null}
          <RulesPreviewList rules={preview.data.rules} />
        </div>
      ) : null}
    </div>
  );
}
