import "server-only";
// A request form prefilled from a path drawn on the graph: the workloads' own
// labels from the inventory (what the engine will match), or the external
// destination as written. Unreadable or unknown workloads prefill nothing.
import { and, eq } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { namespaces, workloads } from "@/db/schema";
import { mayReadTenant } from "@/server/auth/authorize";
import type { Actor, ServiceContext } from "@/server/context";
import type { PrefillExceptionInput } from "./schemas";

type Prefilled =
  { kind: "workload"; namespace: string; labels: Record<string, string> } | { kind: "dns"; dns: string } | { kind: "cidr"; cidr: string };

async function workloadLabels(db: Queryable, actor: Actor, namespace: string, name: string) {
  const [row] = await db
    .select({ labels: workloads.labels, tenantId: namespaces.tenantId })
    .from(workloads)
    .innerJoin(namespaces, eq(namespaces.id, workloads.namespaceId))
    .where(and(eq(namespaces.name, namespace), eq(workloads.name, name)))
    .limit(1);
  if (!row || !mayReadTenant(actor, row.tenantId)) return null;
  // The pod-identifying labels only: app (and the like), not the tenant or tier every pod of the namespace shares.
  const { tenant: _t, tier: _tier, ...own } = row.labels;
  return Object.keys(own).length > 0 ? own : row.labels;
}

async function endpoint(db: Queryable, actor: Actor, text: string): Promise<Prefilled | null> {
  if (text.startsWith("dns:")) return { kind: "dns", dns: text.slice(4) };
  if (text.startsWith("cidr:")) return { kind: "cidr", cidr: text.slice(5) };
  if (text === "entity:world") return { kind: "cidr", cidr: "0.0.0.0/0" };
  const [namespace, name] = text.split("/");
  if (!namespace || !name) return null;
  const labels = await workloadLabels(db, actor, namespace, name);
  return labels ? { kind: "workload", namespace, labels } : null;
}

export async function prefillException({ ctx, input }: { ctx: ServiceContext; input: PrefillExceptionInput }) {
  const [from, to] = await Promise.all([endpoint(ctx.db, ctx.actor, input.from), endpoint(ctx.db, ctx.actor, input.to)]);
  return { source: from?.kind === "workload" ? { namespace: from.namespace, labels: from.labels } : null, destination: to };
}
