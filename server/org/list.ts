import "server-only";
// The organisation's tenants and clusters, for pickers and the Clusters page.
import { asc, count, countDistinct, eq } from "drizzle-orm";
import { clusters, namespaces, tenants, workloads } from "@/db/schema";
import type { ServiceContext } from "@/server/context";

export function listTenants({ ctx }: { ctx: ServiceContext }) {
  return ctx.db
    .select({ id: tenants.id, name: tenants.name, displayName: tenants.displayName, ownerTeam: tenants.ownerTeam })
    .from(tenants)
    .orderBy(asc(tenants.name));
}

/** Every cluster with how many namespaces and workloads it runs. */
export function listClusters({ ctx }: { ctx: ServiceContext }) {
  return ctx.db
    .select({
      id: clusters.id,
      name: clusters.name,
      region: clusters.region,
      environment: clusters.environment,
      labels: clusters.labels,
      namespaces: countDistinct(namespaces.id),
      workloads: count(workloads.id),
    })
    .from(clusters)
    .leftJoin(namespaces, eq(namespaces.clusterId, clusters.id))
    .leftJoin(workloads, eq(workloads.namespaceId, namespaces.id))
    .groupBy(clusters.id)
    .orderBy(asc(clusters.name));
}
