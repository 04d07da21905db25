import "server-only";
// What the editor's pickers offer: tenants, clusters and regions, namespaces,
// services, gateways, known external hosts and the label keys and values in
// use (autocomplete).
import { asc, eq } from "drizzle-orm";
import { clusters, externalDestinations, namespaces, services, tenants, workloads } from "@/db/schema";
import { visibilityOf } from "@/server/auth/visibility";
import type { ServiceContext } from "@/server/context";

function collect(into: Map<string, Set<string>>, labels: Record<string, string>) {
  for (const [k, v] of Object.entries(labels)) {
    if (!into.has(k)) into.set(k, new Set());
    into.get(k)!.add(v);
  }
}
const asRecord = (m: Map<string, Set<string>>) =>
  Object.fromEntries([...m.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, vs]) => [k, [...vs].sort()]));

export async function editorInventory({ ctx }: { ctx: ServiceContext }) {
  const tenantRows = await ctx.db.select({ name: tenants.name }).from(tenants).orderBy(asc(tenants.name));
  const clusterRows = await ctx.db.select({ name: clusters.name, region: clusters.region }).from(clusters).orderBy(asc(clusters.name));
  const nsRows = await ctx.db
    .select({ name: namespaces.name, labels: namespaces.labels, tenant: tenants.name })
    .from(namespaces)
    .leftJoin(tenants, eq(tenants.id, namespaces.tenantId));
  // Other tenants' workloads (and the labels that name them) are not offered; namespaces and services are addresses, and are.
  const visibility = await visibilityOf(ctx.db, ctx.actor);
  const wlRows = (
    await ctx.db
      .select({ name: workloads.name, namespace: namespaces.name, labels: workloads.labels })
      .from(workloads)
      .innerJoin(namespaces, eq(namespaces.id, workloads.namespaceId))
  ).filter((w) => !visibility.hiddenNamespaces.has(w.namespace));
  const svcRows = await ctx.db
    .select({ name: services.name, namespace: namespaces.name })
    .from(services)
    .innerJoin(namespaces, eq(namespaces.id, services.namespaceId));
  const externalRows = await ctx.db.select({ dnsName: externalDestinations.dnsName }).from(externalDestinations);
  const podLabels = new Map<string, Set<string>>();
  const nsLabels = new Map<string, Set<string>>();
  wlRows.forEach((w) => collect(podLabels, w.labels));
  nsRows.forEach((n) => collect(nsLabels, { "kubernetes.io/metadata.name": n.name, ...n.labels }));
  const uniq = (xs: string[]) => [...new Set(xs)].sort();
  return {
    tenants: tenantRows.map((t) => t.name),
    clusters: clusterRows,
    regions: uniq(clusterRows.map((c) => c.region)),
    namespaces: uniq(nsRows.map((n) => n.name)),
    /** The tenant owning each namespace name (null: a platform namespace). */
    namespaceTenants: Object.fromEntries(nsRows.map((n) => [n.name, n.tenant])) as Record<string, string | null>,
    workloads: uniq(wlRows.map((w) => `${w.namespace}/${w.name}`)),
    services: uniq(svcRows.map((s) => `${s.namespace}/${s.name}`)),
    gateways: uniq(wlRows.filter((w) => /egress/.test(w.name)).map((w) => w.name)),
    /** DNS names of the registered external destinations. */
    externalHosts: uniq(externalRows.flatMap((e) => (e.dnsName ? [e.dnsName] : []))),
    podLabels: asRecord(podLabels),
    namespaceLabels: asRecord(nsLabels),
  };
}
