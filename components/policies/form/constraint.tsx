"use client";

// A compliance constraint's own fields: the direction it denies, the gateway
// that is the only way through, its rationale, and the traffic it covers.
import { Input, Select } from "@/components/ui/primitives";
import { Labeled, useField } from "./field";
import { PeersAndPorts } from "./peers";

export function ConstraintSection() {
  const direction = useField(["spec", "direction"]);
  const exceptVia = useField(["spec", "exceptVia"]);
  const rationale = useField(["spec", "rationale"]);
  return (
    <section className="space-y-2 border-t border-slate-100 pt-3">
      <h3 className="text-sm font-semibold text-slate-900">Denied traffic</h3>
      <div className="grid gap-2 md:grid-cols-2">
        <Labeled label="Direction">
          <Select
            aria-label="Constraint direction"
            value={direction.text}
            disabled={direction.disabled}
            onChange={(e) => direction.set(e.target.value)}
          >
            <option>ingress</option>
            <option>egress</option>
          </Select>
        </Labeled>
        <Labeled label="Except through gateway" error={exceptVia.error}>
          <Input
            aria-label="Except via"
            list="dl-gateways"
            value={exceptVia.text}
            disabled={exceptVia.disabled}
            onChange={(e) => exceptVia.set(e.target.value || undefined)}
          />
        </Labeled>
        <Labeled label="Rationale" className="md:col-span-2" error={rationale.error}>
          <Input
            aria-label="Rationale"
            value={rationale.text}
            disabled={rationale.disabled}
            onChange={(e) => rationale.set(e.target.value)}
          />
        </Labeled>
      </div>
      <PeersAndPorts base={["spec"]} label="Constraint" />
    </section>
  );
}
