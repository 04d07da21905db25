"use client";

// The visual form: edits the document the YAML view shows, field by field.
// Every change goes through the pure operations of form-model.ts.
import type { ReactNode } from "react";
import { Button, Input, Select } from "@/components/ui/primitives";
import { ENTITIES, PROTOCOLS, TIERS } from "@/lib/vocabulary";
import {
  PEER_KINDS,
  PEER_KIND_LABEL,
  getIn,
  isAdminTier,
  isObject,
  labelRows,
  moveItem,
  newPeer,
  newPort,
  newRule,
  parsePort,
  peerKind,
  rowsToLabels,
  ruleActions,
  setIn,
  splitList,
  type Json,
  type Path,
  type PeerKind,
} from "./form-model";

export interface Inventory {
  tenants: string[];
  clusters: { name: string; region: string }[];
  regions: string[];
  namespaces: string[];
  workloads: string[];
  services: string[];
  gateways: string[];
  podLabels: Record<string, string[]>;
  namespaceLabels: Record<string, string[]>;
}

interface Ctx {
  doc: Json;
  set: (path: Path, value: Json | undefined) => void;
  replace: (doc: Json) => void;
  errorAt: (path: Path) => string | undefined;
  inventory: Inventory | undefined;
  disabled: boolean;
}

const str = (v: unknown) => (typeof v === "string" ? v : v === undefined || v === null ? "" : String(v));
const list = (v: unknown) => (Array.isArray(v) ? v.map(str).join(", ") : "");

function ErrorText({ message }: { message: string | undefined }) {
  return message ? (
    <span role="alert" className="mt-0.5 block text-xs text-rose-700">
      {message}
    </span>
  ) : null;
}

/** A comma-separated list typed in one field; an empty list removes the field. */
function ListInput({ ctx, path, label, placeholder, list: datalist }: { ctx: Ctx; path: Path; label: string; placeholder: string; list?: string }) {
  return (
    <Input
      aria-label={label}
      list={datalist}
      placeholder={placeholder}
      value={list(getIn(ctx.doc, path))}
      disabled={ctx.disabled}
      className="font-mono text-xs"
      onChange={(e) => {
        const xs = splitList(e.target.value);
        ctx.set(path, xs.length > 0 ? xs : undefined);
      }}
    />
  );
}

function Labeled({ label, children, error, className }: { label: string; children: ReactNode; error?: string; className?: string }) {
  return (
    <label className={`block text-xs ${className ?? ""}`}>
      <span className="mb-0.5 block font-medium text-slate-600">{label}</span>
      {children}
      <ErrorText message={error} />
    </label>
  );
}

function Datalists({ inventory }: { inventory: Inventory | undefined }) {
  if (!inventory) return null;
  const opts = (id: string, values: readonly string[]) => (
    <datalist id={id} key={id}>
      {values.map((v) => (
        <option key={v} value={v} />
      ))}
    </datalist>
  );
  return (
    <>
      {opts("dl-namespaces", inventory.namespaces)}
      {opts("dl-services", inventory.services)}
      {opts("dl-gateways", inventory.gateways)}
      {opts("dl-pod-label-keys", Object.keys(inventory.podLabels))}
      {opts("dl-ns-label-keys", Object.keys(inventory.namespaceLabels))}
      {Object.entries(inventory.podLabels).map(([k, vs]) => opts(`dl-pod-${k}`, vs))}
      {Object.entries(inventory.namespaceLabels).map(([k, vs]) => opts(`dl-ns-${k}`, vs))}
    </>
  );
}

/** matchLabels rows and matchExpressions of one label selector. */
function LabelSelectorEditor({ ctx, path, kind, title, caption }: { ctx: Ctx; path: Path; kind: "pod" | "ns"; title: string; caption: string }) {
  const sel = getIn(ctx.doc, path);
  const rows = labelRows(isObject(sel) ? sel.matchLabels : undefined);
  const exprs = isObject(sel) && Array.isArray(sel.matchExpressions) ? sel.matchExpressions : [];
  const setRows = (next: { key: string; value: string }[]) => ctx.set([...path, "matchLabels"], rowsToLabels(next));
  return (
    <div className="space-y-1">
      <div className="text-xs font-medium text-slate-600">{caption}</div>
      {rows.length === 0 && exprs.length === 0 ? <p className="text-xs text-slate-500">{kind === "pod" ? "every pod" : "every namespace"}</p> : null}
      {rows.map((r, i) => (
        <div key={i} className="grid grid-cols-[minmax(0,2fr)_auto_minmax(0,3fr)_auto] items-start gap-1">
          <Input
            aria-label={`${title} key ${i + 1}`}
            list={`dl-${kind}-label-keys`}
            value={r.key}
            disabled={ctx.disabled}
            className="font-mono text-xs"
            onChange={(e) => setRows(rows.map((x, j) => (j === i ? { ...x, key: e.target.value } : x)))}
          />
          <span className="pt-1.5 text-slate-400">=</span>
          <Input
            aria-label={`${title} value ${i + 1}`}
            list={`dl-${kind}-${r.key}`}
            value={r.value}
            disabled={ctx.disabled}
            className="font-mono text-xs"
            onChange={(e) => setRows(rows.map((x, j) => (j === i ? { ...x, value: e.target.value } : x)))}
          />
          <Button variant="ghost" type="button" aria-label={`Remove ${title} label ${i + 1}`} disabled={ctx.disabled} onClick={() => setRows(rows.filter((_, j) => j !== i))}>
            ×
          </Button>
        </div>
      ))}
      <ErrorText message={ctx.errorAt([...path, "matchLabels"])} />
      {exprs.map((x, i) => {
        const p = [...path, "matchExpressions", i];
        const op = str(isObject(x) ? x.operator : "");
        return (
          <div key={`e${i}`} className="grid grid-cols-[minmax(0,2fr)_8rem_minmax(0,3fr)_auto] items-start gap-1">
            <Input aria-label={`${title} expression ${i + 1} key`} list={`dl-${kind}-label-keys`} value={str(getIn(ctx.doc, [...p, "key"]))} disabled={ctx.disabled} className="font-mono text-xs" onChange={(e) => ctx.set([...p, "key"], e.target.value)} />
            <Select
              aria-label={`${title} expression ${i + 1} operator`}
              value={op}
              disabled={ctx.disabled}
              className="text-xs"
              onChange={(e) => {
                const needs = e.target.value === "In" || e.target.value === "NotIn";
                let next = setIn(ctx.doc, [...p, "operator"], e.target.value);
                next = setIn(next, [...p, "values"], needs ? ((getIn(ctx.doc, [...p, "values"]) as Json) ?? []) : undefined);
                ctx.replace(next);
              }}
            >
              {["In", "NotIn", "Exists", "DoesNotExist"].map((o) => (
                <option key={o}>{o}</option>
              ))}
            </Select>
            {op === "In" || op === "NotIn" ? (
              <Input aria-label={`${title} expression ${i + 1} values`} placeholder="a, b" value={list(getIn(ctx.doc, [...p, "values"]))} disabled={ctx.disabled} className="font-mono text-xs" onChange={(e) => ctx.set([...p, "values"], splitList(e.target.value))} />
            ) : (
              <span />
            )}
            <Button variant="ghost" type="button" aria-label={`Remove ${title} expression ${i + 1}`} disabled={ctx.disabled} onClick={() => ctx.set(p, undefined)}>
              ×
            </Button>
          </div>
        );
      })}
      <div className="flex gap-2">
        <Button variant="ghost" type="button" className="text-xs" disabled={ctx.disabled || rows.some((r) => r.key === "")} onClick={() => setRows([...rows, { key: "", value: "" }])}>
          + label
        </Button>
        <Button variant="ghost" type="button" className="text-xs" disabled={ctx.disabled} onClick={() => ctx.set([...path, "matchExpressions", exprs.length], { key: "", operator: "In", values: [] })}>
          + expression
        </Button>
      </div>
    </div>
  );
}

/** A workload selector: tenant, namespaces, pod labels, and namespace labels when wanted. */
function WorkloadSelectorEditor({ ctx, path, title }: { ctx: Ctx; path: Path; title: string }) {
  const sel = getIn(ctx.doc, path);
  const tenant = str(isObject(sel) ? sel.tenant : "");
  const hasNsLabels = isObject(sel) && sel.namespaceSelector !== undefined;
  return (
    <div className="space-y-2">
      <div className="grid grid-cols-2 gap-2">
        <Labeled label="Tenant" error={ctx.errorAt([...path, "tenant"])}>
          <Select aria-label={`${title} tenant`} value={tenant} disabled={ctx.disabled} onChange={(e) => ctx.set([...path, "tenant"], e.target.value || undefined)}>
            <option value="">any tenant</option>
            {(ctx.inventory?.tenants ?? (tenant ? [tenant] : [])).map((t) => (
              <option key={t}>{t}</option>
            ))}
          </Select>
        </Labeled>
        <Labeled label="Namespaces" error={ctx.errorAt([...path, "namespaces"])}>
          <ListInput ctx={ctx} path={[...path, "namespaces"]} label={`${title} namespaces`} list="dl-namespaces" placeholder="any (comma-separated)" />
        </Labeled>
      </div>
      <LabelSelectorEditor ctx={ctx} path={[...path, "podSelector"]} kind="pod" title={`${title} pod labels`} caption="Pod labels" />
      {hasNsLabels ? (
        <LabelSelectorEditor ctx={ctx} path={[...path, "namespaceSelector"]} kind="ns" title={`${title} namespace labels`} caption="Namespace labels" />
      ) : (
        <Button variant="ghost" type="button" className="px-1 py-0 text-xs" disabled={ctx.disabled} onClick={() => ctx.set([...path, "namespaceSelector"], { matchLabels: {} })}>
          + namespace labels
        </Button>
      )}
    </div>
  );
}

function PeerEditor({ ctx, path, label, onRemove }: { ctx: Ctx; path: Path; label: string; onRemove: () => void }) {
  const peer = getIn(ctx.doc, path);
  const kind = peerKind(peer);
  return (
    <div className="rounded-md border border-slate-200 bg-slate-50/60 p-2" data-testid="peer">
      <div className="mb-1.5 flex items-center gap-2">
        <Select aria-label={`${label} kind`} value={kind ?? ""} disabled={ctx.disabled} className="w-36 text-xs" onChange={(e) => ctx.set(path, newPeer(e.target.value as PeerKind))}>
          {kind === null ? <option value="">(unknown)</option> : null}
          {PEER_KINDS.map((k) => (
            <option key={k} value={k}>
              {PEER_KIND_LABEL[k]}
            </option>
          ))}
        </Select>
        {kind === "service" ? (
          <Input aria-label={`${label} service`} list="dl-services" placeholder="namespace/service" value={str(getIn(ctx.doc, [...path, "service"]))} disabled={ctx.disabled} className="font-mono text-xs" onChange={(e) => ctx.set([...path, "service"], e.target.value)} />
        ) : kind === "dns" ? (
          <Input aria-label={`${label} DNS name`} placeholder="api.example.com or *.example.com" value={str(getIn(ctx.doc, [...path, "dns"]))} disabled={ctx.disabled} className="font-mono text-xs" onChange={(e) => ctx.set([...path, "dns"], e.target.value)} />
        ) : kind === "entity" ? (
          <Select aria-label={`${label} entity`} value={str(getIn(ctx.doc, [...path, "entity"]))} disabled={ctx.disabled} className="text-xs" onChange={(e) => ctx.set([...path, "entity"], e.target.value)}>
            {ENTITIES.map((x) => (
              <option key={x}>{x}</option>
            ))}
          </Select>
        ) : kind === "cidr" ? (
          <>
            <Input aria-label={`${label} CIDR`} placeholder="10.0.0.0/8" value={str(getIn(ctx.doc, [...path, "cidr"]))} disabled={ctx.disabled} className="font-mono text-xs" onChange={(e) => ctx.set([...path, "cidr"], e.target.value)} />
            <ListInput ctx={ctx} path={[...path, "except"]} label={`${label} except`} placeholder="except (comma-separated CIDRs)" />
          </>
        ) : (
          <span className="flex-1" />
        )}
        <Button variant="ghost" type="button" aria-label={`Remove ${label}`} disabled={ctx.disabled} onClick={onRemove}>
          ×
        </Button>
      </div>
      {(["service", "dns", "entity", "cidr"] as const).map((f) => (
        <ErrorText key={f} message={ctx.errorAt([...path, f])} />
      ))}
      <ErrorText message={ctx.errorAt(path)} />
      {Array.isArray(getIn(ctx.doc, [...path, "except"])) ? (getIn(ctx.doc, [...path, "except"]) as Json[]).map((_, j) => <ErrorText key={`x${j}`} message={ctx.errorAt([...path, "except", j])} />) : null}
      {kind === "workloads" ? <WorkloadSelectorEditor ctx={ctx} path={[...path, "workloads"]} title={label} /> : null}
    </div>
  );
}

function PeersAndPorts({ ctx, base, label }: { ctx: Ctx; base: Path; label: string }) {
  const peers = getIn(ctx.doc, [...base, "peers"]);
  const ports = getIn(ctx.doc, [...base, "ports"]);
  const peerList = Array.isArray(peers) ? peers : [];
  const portList = Array.isArray(ports) ? ports : null;
  return (
    <div className="space-y-2">
      <div className="text-xs font-semibold uppercase tracking-wide text-slate-500">Peers</div>
      <ErrorText message={ctx.errorAt([...base, "peers"])} />
      {peerList.map((_, j) => (
        <PeerEditor key={j} ctx={ctx} path={[...base, "peers", j]} label={`${label} peer ${j + 1}`} onRemove={() => ctx.set([...base, "peers", j], undefined)} />
      ))}
      <div className="flex flex-wrap gap-1">
        {PEER_KINDS.map((k) => (
          <Button key={k} variant="secondary" type="button" className="px-2 py-0.5 text-xs" disabled={ctx.disabled} onClick={() => ctx.set([...base, "peers", peerList.length], newPeer(k))}>
            + {PEER_KIND_LABEL[k]}
          </Button>
        ))}
      </div>
      <div className="pt-1 text-xs font-semibold uppercase tracking-wide text-slate-500">Ports</div>
      {portList === null ? <p className="text-xs text-slate-500">Any port.</p> : null}
      {(portList ?? []).map((_, k) => {
        const p = [...base, "ports", k];
        const pl = `${label} port ${k + 1}`;
        return (
          <div key={k}>
            <div className="flex items-start gap-1">
              <Input aria-label={pl} placeholder="port or name" value={str(getIn(ctx.doc, [...p, "port"]))} disabled={ctx.disabled} className="w-32 font-mono text-xs" onChange={(e) => ctx.set([...p, "port"], parsePort(e.target.value))} />
              <span className="pt-1.5 text-slate-400">–</span>
              <Input
                aria-label={`${pl} end`}
                placeholder="end port"
                value={str(getIn(ctx.doc, [...p, "endPort"]))}
                disabled={ctx.disabled}
                className="w-28 font-mono text-xs"
                onChange={(e) => {
                  const v = parsePort(e.target.value);
                  ctx.set([...p, "endPort"], v === "" ? undefined : v);
                }}
              />
              <Select aria-label={`${pl} protocol`} value={str(getIn(ctx.doc, [...p, "protocol"])) || "TCP"} disabled={ctx.disabled} className="w-24 text-xs" onChange={(e) => ctx.set([...p, "protocol"], e.target.value)}>
                {PROTOCOLS.map((x) => (
                  <option key={x}>{x}</option>
                ))}
              </Select>
              <Button
                variant="ghost"
                type="button"
                aria-label={`Remove ${pl}`}
                disabled={ctx.disabled}
                onClick={() => ctx.set([...base, "ports"], portList!.length === 1 ? undefined : (setIn(portList, [k], undefined) as Json))}
              >
                ×
              </Button>
            </div>
            {(["port", "endPort", "protocol"] as const).map((f) => (
              <ErrorText key={f} message={ctx.errorAt([...p, f])} />
            ))}
          </div>
        );
      })}
      <Button variant="secondary" type="button" className="px-2 py-0.5 text-xs" disabled={ctx.disabled} onClick={() => ctx.set([...base, "ports", (portList ?? []).length], newPort())}>
        + port
      </Button>
    </div>
  );
}

function RuleEditor({ ctx, index, count, tier }: { ctx: Ctx; index: number; count: number; tier: unknown }) {
  const base = ["spec", "rules", index];
  const direction = str(getIn(ctx.doc, [...base, "direction"]));
  const label = `Rule ${index + 1}`;
  return (
    <div className="rounded-lg border border-slate-200 p-3" data-testid="rule">
      <div className="mb-2 flex flex-wrap items-end gap-2">
        <Labeled label="Name" className="w-40" error={ctx.errorAt([...base, "name"])}>
          <Input aria-label={`${label} name`} value={str(getIn(ctx.doc, [...base, "name"]))} disabled={ctx.disabled} className="font-mono text-xs" onChange={(e) => ctx.set([...base, "name"], e.target.value || undefined)} />
        </Labeled>
        <Labeled label="Direction" className="w-28">
          <Select aria-label={`${label} direction`} value={direction} disabled={ctx.disabled} className="text-xs" onChange={(e) => ctx.set([...base, "direction"], e.target.value)}>
            <option value="ingress">ingress</option>
            <option value="egress">egress</option>
          </Select>
        </Labeled>
        <Labeled label="Action" className="w-24" error={ctx.errorAt([...base, "action"])}>
          <Select aria-label={`${label} action`} value={str(getIn(ctx.doc, [...base, "action"])) || "allow"} disabled={ctx.disabled} className="text-xs" onChange={(e) => ctx.set([...base, "action"], e.target.value)}>
            {ruleActions(tier).map((a) => (
              <option key={a}>{a}</option>
            ))}
          </Select>
        </Labeled>
        {direction === "egress" ? (
          <Labeled label="Via egress gateway" className="w-44" error={ctx.errorAt([...base, "via"])}>
            <Input aria-label={`${label} via`} list="dl-gateways" placeholder="direct" value={str(getIn(ctx.doc, [...base, "via"]))} disabled={ctx.disabled} className="font-mono text-xs" onChange={(e) => ctx.set([...base, "via"], e.target.value || undefined)} />
          </Labeled>
        ) : null}
        <div className="ml-auto flex gap-1">
          {isAdminTier(tier) ? (
            <>
              <Button variant="ghost" type="button" aria-label={`Move ${label} up`} disabled={ctx.disabled || index === 0} onClick={() => ctx.replace(moveItem(ctx.doc, ["spec", "rules"], index, index - 1))}>
                ↑
              </Button>
              <Button variant="ghost" type="button" aria-label={`Move ${label} down`} disabled={ctx.disabled || index === count - 1} onClick={() => ctx.replace(moveItem(ctx.doc, ["spec", "rules"], index, index + 1))}>
                ↓
              </Button>
            </>
          ) : null}
          <Button variant="danger" type="button" className="px-2 py-0.5 text-xs" disabled={ctx.disabled} onClick={() => ctx.set(base, undefined)}>
            Remove rule
          </Button>
        </div>
      </div>
      <PeersAndPorts ctx={ctx} base={base} label={label} />
    </div>
  );
}

export function PolicyForm({
  doc,
  onChange,
  errorAt,
  inventory,
  disabled,
  matched,
  isNew,
}: {
  doc: Json;
  onChange: (doc: Json) => void;
  errorAt: (path: Path) => string | undefined;
  inventory: Inventory | undefined;
  disabled: boolean;
  /** Workloads the subject selects (null while the engine is working). */
  matched: { cluster: string; namespace: string; name: string }[] | null;
  isNew: boolean;
}) {
  const ctx: Ctx = { doc, set: (path, value) => onChange(setIn(doc, path, value)), replace: onChange, errorAt, inventory, disabled };
  const kind = str(getIn(doc, ["kind"]));
  const tier = getIn(doc, ["spec", "tier"]);
  const rules = getIn(doc, ["spec", "rules"]);
  const ruleList = Array.isArray(rules) ? rules : [];
  const isolate = getIn(doc, ["spec", "isolate"]);
  const scope = (k: "regions" | "clusters") => (
    <Labeled label={`Scope: ${k}`} error={ctx.errorAt(["spec", "scope", k])}>
      <Input
        aria-label={`Scope ${k}`}
        placeholder={k === "regions" ? (inventory?.regions.join(", ") ?? "") : (inventory?.clusters.map((c) => c.name).join(", ") ?? "")}
        value={list(getIn(doc, ["spec", "scope", k]))}
        disabled={disabled}
        onChange={(e) => {
          const xs = splitList(e.target.value);
          let next = setIn(doc, ["spec", "scope", k], xs.length > 0 ? xs : undefined);
          const sc = getIn(next, ["spec", "scope"]);
          if (isObject(sc) && Object.keys(sc).length === 0) next = setIn(next, ["spec", "scope"], undefined);
          onChange(next);
        }}
      />
    </Labeled>
  );
  return (
    <form aria-label="Policy form" className="space-y-4" onSubmit={(e) => e.preventDefault()}>
      <Datalists inventory={inventory} />
      <section className="grid gap-2 md:grid-cols-2">
        <Labeled label="Name" error={errorAt(["metadata", "name"])}>
          <Input aria-label="Policy name" value={str(getIn(doc, ["metadata", "name"]))} disabled={disabled || !isNew} className="font-mono" onChange={(e) => ctx.set(["metadata", "name"], e.target.value)} />
        </Labeled>
        <Labeled label="Tenant" error={errorAt(["metadata", "tenant"])}>
          <Select aria-label="Policy tenant" value={str(getIn(doc, ["metadata", "tenant"]))} disabled={disabled} onChange={(e) => ctx.set(["metadata", "tenant"], e.target.value || undefined)}>
            <option value="">none (organisation-wide)</option>
            {(inventory?.tenants ?? []).map((t) => (
              <option key={t}>{t}</option>
            ))}
            {str(getIn(doc, ["metadata", "tenant"])) && !inventory?.tenants.includes(str(getIn(doc, ["metadata", "tenant"]))) ? <option>{str(getIn(doc, ["metadata", "tenant"]))}</option> : null}
          </Select>
        </Labeled>
        <Labeled label="Owner" error={errorAt(["metadata", "owner"])}>
          <Input aria-label="Owner" value={str(getIn(doc, ["metadata", "owner"]))} disabled={disabled} onChange={(e) => ctx.set(["metadata", "owner"], e.target.value || undefined)} />
        </Labeled>
        {kind === "Policy" ? (
          <div className={isAdminTier(tier) ? "grid grid-cols-2 gap-2" : ""}>
            <Labeled label="Tier" error={errorAt(["spec", "tier"])}>
              <Select aria-label="Tier" value={str(tier)} disabled={disabled} onChange={(e) => ctx.set(["spec", "tier"], e.target.value)}>
                {TIERS.map((t) => (
                  <option key={t}>{t}</option>
                ))}
              </Select>
            </Labeled>
            {isAdminTier(tier) ? (
              <Labeled label="Priority (lower first)" error={errorAt(["spec", "priority"])}>
                <Input aria-label="Priority" inputMode="numeric" value={str(getIn(doc, ["spec", "priority"]))} disabled={disabled} onChange={(e) => ctx.set(["spec", "priority"], e.target.value === "" ? undefined : parsePort(e.target.value))} />
              </Labeled>
            ) : null}
          </div>
        ) : null}
        <Labeled label="Description" className="md:col-span-2" error={errorAt(["metadata", "description"])}>
          <Input aria-label="Description" value={str(getIn(doc, ["metadata", "description"]))} disabled={disabled} onChange={(e) => ctx.set(["metadata", "description"], e.target.value)} />
        </Labeled>
        {scope("regions")}
        {scope("clusters")}
      </section>

      <section className="space-y-2 border-t border-slate-100 pt-3">
        <div className="flex items-baseline justify-between">
          <h3 className="text-sm font-semibold text-slate-900">Subject</h3>
          <span className="text-xs text-slate-600" data-testid="subject-count">
            {matched === null ? "…" : `selects ${matched.length} workload${matched.length === 1 ? "" : "s"}`}
          </span>
        </div>
        {matched && matched.length > 0 ? (
          <p className="font-mono text-xs text-slate-500" data-testid="subject-matches">
            {[...new Set(matched.map((m) => `${m.namespace}/${m.name}`))].slice(0, 8).join(", ")}
            {new Set(matched.map((m) => `${m.namespace}/${m.name}`)).size > 8 ? ", …" : ""} <span className="text-slate-400">in {new Set(matched.map((m) => m.cluster)).size} cluster(s)</span>
          </p>
        ) : matched ? (
          <p className="text-xs text-amber-800">Selects no workload in any cluster: check the labels.</p>
        ) : null}
        <WorkloadSelectorEditor ctx={ctx} path={["spec", "subject"]} title="Subject" />
        {kind === "Policy" && tier === "namespace" ? (
          <div className="flex items-center gap-4 text-xs text-slate-700">
            <span className="font-medium">Isolate (default deny) for</span>
            {(["ingress", "egress"] as const).map((d) => {
              const on = Array.isArray(isolate) && isolate.includes(d);
              return (
                <label key={d} className="inline-flex items-center gap-1">
                  <input
                    type="checkbox"
                    checked={on}
                    disabled={disabled}
                    onChange={() => {
                      const cur = Array.isArray(isolate) ? (isolate as string[]) : [];
                      const next = on ? cur.filter((x) => x !== d) : [...cur, d];
                      ctx.set(["spec", "isolate"], next.length > 0 ? next : undefined);
                    }}
                  />
                  {d}
                </label>
              );
            })}
            <span className="text-slate-500">(unset: the directions the rules use)</span>
          </div>
        ) : null}
      </section>

      {kind === "ComplianceConstraint" ? (
        <section className="space-y-2 border-t border-slate-100 pt-3">
          <h3 className="text-sm font-semibold text-slate-900">Denied traffic</h3>
          <div className="grid gap-2 md:grid-cols-2">
            <Labeled label="Direction">
              <Select aria-label="Constraint direction" value={str(getIn(doc, ["spec", "direction"]))} disabled={disabled} onChange={(e) => ctx.set(["spec", "direction"], e.target.value)}>
                <option>ingress</option>
                <option>egress</option>
              </Select>
            </Labeled>
            <Labeled label="Except through gateway" error={errorAt(["spec", "exceptVia"])}>
              <Input aria-label="Except via" list="dl-gateways" value={str(getIn(doc, ["spec", "exceptVia"]))} disabled={disabled} onChange={(e) => ctx.set(["spec", "exceptVia"], e.target.value || undefined)} />
            </Labeled>
            <Labeled label="Rationale" className="md:col-span-2" error={errorAt(["spec", "rationale"])}>
              <Input aria-label="Rationale" value={str(getIn(doc, ["spec", "rationale"]))} disabled={disabled} onChange={(e) => ctx.set(["spec", "rationale"], e.target.value)} />
            </Labeled>
          </div>
          <PeersAndPorts ctx={ctx} base={["spec"]} label="Constraint" />
        </section>
      ) : (
        <section className="space-y-2 border-t border-slate-100 pt-3">
          <div className="flex items-baseline justify-between">
            <h3 className="text-sm font-semibold text-slate-900">Rules</h3>
            {isAdminTier(tier) ? <span className="text-xs text-slate-500">In order: the first matching rule decides.</span> : null}
          </div>
          {ruleList.map((_, i) => (
            <RuleEditor key={i} ctx={ctx} index={i} count={ruleList.length} tier={tier} />
          ))}
          {ruleList.length === 0 ? <p className="text-xs text-slate-500">No rules: with isolation on, everything in those directions is denied.</p> : null}
          <div className="flex gap-2">
            <Button variant="secondary" type="button" disabled={disabled} onClick={() => ctx.set(["spec", "rules", ruleList.length], newRule("ingress", tier))}>
              + ingress rule
            </Button>
            <Button variant="secondary" type="button" disabled={disabled} onClick={() => ctx.set(["spec", "rules", ruleList.length], newRule("egress", tier))}>
              + egress rule
            </Button>
          </div>
        </section>
      )}
    </form>
  );
}
