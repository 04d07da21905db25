"use client";

// A policy's rules, in order: name, direction, action, gateway, peers and ports.
// In the admin tiers order matters (the first matching rule decides), so rules move.
import { Button, Input, Select } from "@/components/ui/primitives";
import { isAdminTier, moveItem, newRule, ruleActions, type Path } from "../form-model";
import { Labeled, useField, usePolicyForm } from "./field";
import { PeersAndPorts } from "./peers";

function RuleEditor({ index, count, tier }: { index: number; count: number; tier: unknown }) {
  const form = usePolicyForm();
  const base: Path = ["spec", "rules", index];
  const rule = useField(base);
  const name = useField([...base, "name"]);
  const direction = useField([...base, "direction"]);
  const action = useField([...base, "action"]);
  const via = useField([...base, "via"]);
  const label = `Rule ${index + 1}`;
  const disabled = form.disabled;
  const move = (to: number) => form.replace(moveItem(form.doc, ["spec", "rules"], index, to));
  return (
    <div className="rounded-lg border border-slate-200 p-3" data-testid="rule">
      <div className="mb-2 flex flex-wrap items-end gap-2">
        <Labeled label="Name" className="w-40" error={name.error}>
          <Input
            aria-label={`${label} name`}
            value={name.text}
            disabled={disabled}
            className="font-mono text-xs"
            onChange={(e) => name.set(e.target.value || undefined)}
          />
        </Labeled>
        <Labeled label="Direction" className="w-28">
          <Select
            aria-label={`${label} direction`}
            value={direction.text}
            disabled={disabled}
            className="text-xs"
            onChange={(e) => direction.set(e.target.value)}
          >
            <option value="ingress">ingress</option>
            <option value="egress">egress</option>
          </Select>
        </Labeled>
        <Labeled label="Action" className="w-24" error={action.error}>
          <Select
            aria-label={`${label} action`}
            value={action.text || "allow"}
            disabled={disabled}
            className="text-xs"
            onChange={(e) => action.set(e.target.value)}
          >
            {ruleActions(tier).map((a) => (
              <option key={a}>{a}</option>
            ))}
          </Select>
        </Labeled>
        {direction.text === "egress" ? (
          <Labeled label="Via egress gateway" className="w-44" error={via.error}>
            <Input
              aria-label={`${label} via`}
              list="dl-gateways"
              placeholder="direct"
              value={via.text}
              disabled={disabled}
              className="font-mono text-xs"
              onChange={(e) => via.set(e.target.value || undefined)}
            />
          </Labeled>
        ) : null}
        <div className="ml-auto flex gap-1">
          {isAdminTier(tier) ? (
            <>
              <Button
                variant="ghost"
                type="button"
                aria-label={`Move ${label} up`}
                disabled={disabled || index === 0}
                onClick={() => move(index - 1)}
              >
                ↑
              </Button>
              <Button
                variant="ghost"
                type="button"
                aria-label={`Move ${label} down`}
                disabled={disabled || index === count - 1}
                onClick={() => move(index + 1)}
              >
                ↓
              </Button>
            </>
          ) : null}
          <Button variant="danger" type="button" className="px-2 py-0.5 text-xs" disabled={disabled} onClick={() => rule.set(undefined)}>
            Remove rule
          </Button>
        </div>
      </div>
      <PeersAndPorts base={base} label={label} />
    </div>
  );
}

export function RulesSection() {
  const tier = useField(["spec", "tier"]).value;
  const rules = useField(["spec", "rules"]);
  const ruleList = Array.isArray(rules.value) ? rules.value : [];
  const add = (direction: "ingress" | "egress") => rules.set([...ruleList, newRule(direction, tier)]);
  return (
    <section className="space-y-2 border-t border-slate-100 pt-3">
      <div className="flex items-baseline justify-between">
        <h3 className="text-sm font-semibold text-slate-900">Rules</h3>
        {isAdminTier(tier) ? <span className="text-xs text-slate-500">In order: the first matching rule decides.</span> : null}
      </div>
      {ruleList.map((_, i) => (
        <RuleEditor key={i} index={i} count={ruleList.length} tier={tier} />
      ))}
      {ruleList.length === 0 ? (
        <p className="text-xs text-slate-500">No rules: with isolation on, everything in those directions is denied.</p>
      ) : null}
      <div className="flex gap-2">
        <Button variant="secondary" type="button" disabled={rules.disabled} onClick={() => add("ingress")}>
          + ingress rule
        </Button>
        <Button variant="secondary" type="button" disabled={rules.disabled} onClick={() => add("egress")}>
          + egress rule
        </Button>
      </div>
    </section>
  );
}
