"use client";

// Label selectors (matchLabels rows and matchExpressions) and the workload
// selector built from them: tenant, namespaces, pod labels, namespace labels.
import { Button, Input, Select } from "@/components/ui/primitives";
import { getIn, isObject, labelRows, rowsToLabels, setIn, splitList, type Json, type Path } from "../form-model";
import { ErrorText, Labeled, ListInput, listText, useField, usePolicyForm } from "./field";

type LabelKind = "pod" | "ns";

function ExpressionRow({ path, kind, title, n }: { path: Path; kind: LabelKind; title: string; n: number }) {
  const form = usePolicyForm();
  const key = useField([...path, "key"]);
  const operator = useField([...path, "operator"]);
  const values = useField([...path, "values"]);
  const expression = useField(path);
  const op = operator.text;
  return (
    <div className="grid grid-cols-[minmax(0,2fr)_8rem_minmax(0,3fr)_auto] items-start gap-1">
      <Input
        aria-label={`${title} expression ${n} key`}
        list={`dl-${kind}-label-keys`}
        value={key.text}
        disabled={key.disabled}
        className="font-mono text-xs"
        onChange={(e) => key.set(e.target.value)}
      />
      <Select
        aria-label={`${title} expression ${n} operator`}
        value={op}
        disabled={operator.disabled}
        className="text-xs"
        onChange={(e) => {
          const needs = e.target.value === "In" || e.target.value === "NotIn";
          const next = setIn(form.doc, [...path, "operator"], e.target.value);
          form.replace(setIn(next, [...path, "values"], needs ? ((values.value as Json | undefined) ?? []) : undefined));
        }}
      >
        {["In", "NotIn", "Exists", "DoesNotExist"].map((o) => (
          <option key={o}>{o}</option>
        ))}
      </Select>
      {op === "In" || op === "NotIn" ? (
        <Input
          aria-label={`${title} expression ${n} values`}
          placeholder="a, b"
          value={listText(values.value)}
          disabled={values.disabled}
          className="font-mono text-xs"
          onChange={(e) => values.set(splitList(e.target.value))}
        />
      ) : (
        <span />
      )}
      <Button
        variant="ghost"
        type="button"
        aria-label={`Remove ${title} expression ${n}`}
        disabled={expression.disabled}
        onClick={() => expression.set(undefined)}
      >
        ×
      </Button>
    </div>
  );
}

/** matchLabels rows and matchExpressions of one label selector. */
export function LabelSelectorEditor({ path, kind, title, caption }: { path: Path; kind: LabelKind; title: string; caption: string }) {
  const selector = useField(path);
  const matchLabels = useField([...path, "matchLabels"]);
  const sel = selector.value;
  const rows = labelRows(isObject(sel) ? sel.matchLabels : undefined);
  const exprs = isObject(sel) && Array.isArray(sel.matchExpressions) ? sel.matchExpressions : [];
  const setRows = (next: { key: string; value: string }[]) => matchLabels.set(rowsToLabels(next));
  const disabled = selector.disabled;
  return (
    <div className="space-y-1">
      <div className="text-xs font-medium text-slate-600">{caption}</div>
      {rows.length === 0 && exprs.length === 0 ? (
        <p className="text-xs text-slate-500">{kind === "pod" ? "every pod" : "every namespace"}</p>
      ) : null}
      {rows.map((r, i) => (
        <div key={i} className="grid grid-cols-[minmax(0,2fr)_auto_minmax(0,3fr)_auto] items-start gap-1">
          <Input
            aria-label={`${title} key ${i + 1}`}
            list={`dl-${kind}-label-keys`}
            value={r.key}
            disabled={disabled}
            className="font-mono text-xs"
            onChange={(e) => setRows(rows.map((x, j) => (j === i ? { ...x, key: e.target.value } : x)))}
          />
          <span className="pt-1.5 text-slate-400">=</span>
          <Input
            aria-label={`${title} value ${i + 1}`}
            list={`dl-${kind}-${r.key}`}
            value={r.value}
            disabled={disabled}
            className="font-mono text-xs"
            onChange={(e) => setRows(rows.map((x, j) => (j === i ? { ...x, value: e.target.value } : x)))}
          />
          <Button
            variant="ghost"
            type="button"
            aria-label={`Remove ${title} label ${i + 1}`}
            disabled={disabled}
            onClick={() => setRows(rows.filter((_, j) => j !== i))}
          >
            ×
          </Button>
        </div>
      ))}
      <ErrorText message={matchLabels.error} />
      {exprs.map((_, i) => (
        <ExpressionRow key={`e${i}`} path={[...path, "matchExpressions", i]} kind={kind} title={title} n={i + 1} />
      ))}
      <div className="flex gap-2">
        <Button
          variant="ghost"
          type="button"
          className="text-xs"
          disabled={disabled || rows.some((r) => r.key === "")}
          onClick={() => setRows([...rows, { key: "", value: "" }])}
        >
          + label
        </Button>
        <Button
          variant="ghost"
          type="button"
          className="text-xs"
          disabled={disabled}
          onClick={() => selector.set(setIn(sel, ["matchExpressions", exprs.length], { key: "", operator: "In", values: [] }))}
        >
          + expression
        </Button>
      </div>
    </div>
  );
}

/** A workload selector: tenant, namespaces, pod labels, and namespace labels when wanted. */
export function WorkloadSelectorEditor({ path, title }: { path: Path; title: string }) {
  const { inventory, doc } = usePolicyForm();
  const tenant = useField([...path, "tenant"]);
  const namespaces = useField([...path, "namespaces"]);
  const nsSelector = useField([...path, "namespaceSelector"]);
  const hasNsLabels = isObject(getIn(doc, path)) && nsSelector.value !== undefined;
  return (
    <div className="space-y-2">
      <div className="grid grid-cols-2 gap-2">
        <Labeled label="Tenant" error={tenant.error}>
          <Select
            aria-label={`${title} tenant`}
            value={tenant.text}
            disabled={tenant.disabled}
            onChange={(e) => tenant.set(e.target.value || undefined)}
          >
            <option value="">any tenant</option>
            {(inventory?.tenants ?? (tenant.text ? [tenant.text] : [])).map((t) => (
              <option key={t}>{t}</option>
            ))}
          </Select>
        </Labeled>
        <Labeled label="Namespaces" error={namespaces.error}>
          <ListInput
            path={[...path, "namespaces"]}
            label={`${title} namespaces`}
            list="dl-namespaces"
            placeholder="any (comma-separated)"
          />
        </Labeled>
      </div>
      <LabelSelectorEditor path={[...path, "podSelector"]} kind="pod" title={`${title} pod labels`} caption="Pod labels" />
      {hasNsLabels ? (
        <LabelSelectorEditor
          path={[...path, "namespaceSelector"]}
          kind="ns"
          title={`${title} namespace labels`}
          caption="Namespace labels"
        />
      ) : (
        <Button
          variant="ghost"
          type="button"
          className="px-1 py-0 text-xs"
          disabled={nsSelector.disabled}
          onClick={() => nsSelector.set({ matchLabels: {} })}
        >
          + namespace labels
        </Button>
      )}
    </div>
  );
}
