"use client";
// What the Simulator's forms (start a replay, the what-if) share: the clusters and the open change
// requests to choose from, the cluster field and the change requests as proposal options.
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/client";
import { Field, Select } from "@/components/ui/primitives";

const OPEN_STATES = new Set(["draft", "in-review", "changes-requested", "approved"]);

/** The inventory's clusters (the chosen one, else the first) and the open change requests (unless `withChanges` is false). */
export function useSimulatorChoices(chosenCluster: string, withChanges = true) {
  const trpc = useTRPC();
  const inventory = useQuery(trpc.policies.inventory.queryOptions());
  const changes = useQuery({ ...trpc.changes.list.queryOptions(), enabled: withChanges });
  const clusters = inventory.data?.clusters ?? [];
  return {
    /** The inventory's names (workloads, external hosts) for autocomplete. */
    inventory: inventory.data,
    clusters,
    cluster: chosenCluster || clusters[0]?.name || "",
    open: (changes.data ?? []).filter((c) => OPEN_STATES.has(c.state)),
  };
}

type Choices = ReturnType<typeof useSimulatorChoices>;

export function ClusterField({
  choices,
  onChange,
  hint,
}: {
  choices: Choices;
  onChange(e: { target: { value: string } }): void;
  hint?: string;
}) {
  return (
    <Field label="Cluster" {...(hint ? { hint } : {})}>
      <Select value={choices.cluster} onChange={onChange} aria-label="Cluster">
        {choices.clusters.map((c) => (
          <option key={c.name} value={c.name}>
            {c.name}
          </option>
        ))}
      </Select>
    </Field>
  );
}

/** The open change requests as `<option>`s, valued `cr:<valueOf(change)>`. */
export function ChangeOptions({ choices, valueOf }: { choices: Choices; valueOf(c: Choices["open"][number]): string | number }) {
  return choices.open.map((c) => (
    <option key={c.id} value={`cr:${valueOf(c)}`}>
      change #{c.number}: {c.title}
    </option>
  ));
}
