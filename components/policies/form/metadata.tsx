"use client";

// Who the document is and where it applies: name, tenant, owner, tier and
// priority, description, and the regions or clusters in scope.
import { Input, Select } from "@/components/ui/primitives";
import { TIERS } from "@/lib/vocabulary";
import { getIn, isAdminTier, isObject, parsePort, setIn, splitList } from "../form-model";
import { Labeled, listText, useField, usePolicyForm } from "./field";

function ScopeField({ k }: { k: "regions" | "clusters" }) {
  const form = usePolicyForm();
  const field = useField(["spec", "scope", k]);
  const { inventory } = form;
  return (
    <Labeled label={`Scope: ${k}`} error={field.error}>
      <Input
        aria-label={`Scope ${k}`}
        placeholder={k === "regions" ? (inventory?.regions.join(", ") ?? "") : (inventory?.clusters.map((c) => c.name).join(", ") ?? "")}
        value={listText(field.value)}
        disabled={field.disabled}
        onChange={(e) => {
          const xs = splitList(e.target.value);
          // An empty scope goes away with its last list.
          let next = setIn(form.doc, ["spec", "scope", k], xs.length > 0 ? xs : undefined);
          const sc = getIn(next, ["spec", "scope"]);
          if (isObject(sc) && Object.keys(sc).length === 0) next = setIn(next, ["spec", "scope"], undefined);
          form.replace(next);
        }}
      />
    </Labeled>
  );
}

function TierFields() {
  const tier = useField(["spec", "tier"]);
  const priority = useField(["spec", "priority"]);
  const admin = isAdminTier(tier.value);
  return (
    <div className={admin ? "grid grid-cols-2 gap-2" : ""}>
      <Labeled label="Tier" error={tier.error}>
        <Select aria-label="Tier" value={tier.text} disabled={tier.disabled} onChange={(e) => tier.set(e.target.value)}>
          {TIERS.map((t) => (
            <option key={t}>{t}</option>
          ))}
        </Select>
      </Labeled>
      {admin ? (
        <Labeled label="Priority (lower first)" error={priority.error}>
          <Input
            aria-label="Priority"
            inputMode="numeric"
            value={priority.text}
            disabled={priority.disabled}
            onChange={(e) => priority.set(e.target.value === "" ? undefined : parsePort(e.target.value))}
          />
        </Labeled>
      ) : null}
    </div>
  );
}

export function MetadataSection({ isNew }: { isNew: boolean }) {
  const { inventory } = usePolicyForm();
  const kind = useField(["kind"]).text;
  const name = useField(["metadata", "name"]);
  const tenant = useField(["metadata", "tenant"]);
  const owner = useField(["metadata", "owner"]);
  const description = useField(["metadata", "description"]);
  return (
    <section className="grid gap-2 md:grid-cols-2">
      <Labeled label="Name" error={name.error}>
        {/* A policy keeps its name once it exists. */}
        <Input
          aria-label="Policy name"
          value={name.text}
          disabled={name.disabled || !isNew}
          className="font-mono"
          onChange={(e) => name.set(e.target.value)}
        />
      </Labeled>
      <Labeled label="Tenant" error={tenant.error}>
        <Select
          aria-label="Policy tenant"
          value={tenant.text}
          disabled={tenant.disabled}
          onChange={(e) => tenant.set(e.target.value || undefined)}
        >
          <option value="">none (organisation-wide)</option>
          {(inventory?.tenants ?? []).map((t) => (
            <option key={t}>{t}</option>
          ))}
          {tenant.text && !inventory?.tenants.includes(tenant.text) ? <option>{tenant.text}</option> : null}
        </Select>
      </Labeled>
      <Labeled label="Owner" error={owner.error}>
        <Input aria-label="Owner" value={owner.text} disabled={owner.disabled} onChange={(e) => owner.set(e.target.value || undefined)} />
      </Labeled>
      {kind === "Policy" ? <TierFields /> : null}
      <Labeled label="Description" className="md:col-span-2" error={description.error}>
        <Input
          aria-label="Description"
          value={description.text}
          disabled={description.disabled}
          onChange={(e) => description.set(e.target.value)}
        />
      </Labeled>
      <ScopeField k="regions" />
      <ScopeField k="clusters" />
    </section>
  );
}
