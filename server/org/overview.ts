import "server-only";
// Figures for the Overview page; every number is a query.
import { count, eq, isNotNull } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { clusters, externalDestinations, namespaces, policies, tenants, workloads } from "@/db/schema";

export async function overviewCounts(db: Queryable) {
  const [clusterCount] = await db.select({ n: count() }).from(clusters);
  const [tenantCount] = await db.select({ n: count() }).from(tenants);
  const [namespaceCount] = await db.select({ n: count() }).from(namespaces);
  const [workloadCount] = await db.select({ n: count() }).from(workloads);
  const [externalCount] = await db.select({ n: count() }).from(externalDestinations);
  const byTier = await db
    .select({ tier: policies.tier, kind: policies.kind, n: count() })
    .from(policies)
    .groupBy(policies.tier, policies.kind);
  const [released] = await db.select({ n: count() }).from(policies).where(isNotNull(policies.releasedVersion));
  const perCluster = await db
    .select({ cluster: clusters.name, region: clusters.region, environment: clusters.environment, workloads: count(workloads.id) })
    .from(clusters)
    .leftJoin(namespaces, eq(namespaces.clusterId, clusters.id))
    .leftJoin(workloads, eq(workloads.namespaceId, namespaces.id))
    .groupBy(clusters.name, clusters.region, clusters.environment)
    .orderBy(clusters.name);
  return {
    clusters: clusterCount?.n ?? 0,
    tenants: tenantCount?.n ?? 0,
    namespaces: namespaceCount?.n ?? 0,
    workloads: workloadCount?.n ?? 0,
    externalDestinations: externalCount?.n ?? 0,
    releasedPolicies: released?.n ?? 0,
    policiesByTier: byTier.filter((r) => r.kind === "Policy").map((r) => ({ tier: r.tier, count: r.n })),
    constraints: byTier.filter((r) => r.kind === "ComplianceConstraint").reduce((sum, r) => sum + r.n, 0),
    perCluster,
  };
}
