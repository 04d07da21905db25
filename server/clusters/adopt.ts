import "server-only";
// From what a cluster runs to a change request: a drift (an object applied or
// edited by hand) adopted as Policyplane policy, or the whole observed state of a
// brownfield cluster imported. The objects are read back as policies of their
// namespace's tenant (./import.ts) and proposed as a draft change request, so the
// usual review decides whether the cluster's version becomes the rule.
import { and, eq } from "drizzle-orm";
import { stringify } from "yaml";
import { clusterDrifts, clusterObserved, namespaces, tenants } from "@/db/schema";
import type { ObservedObject } from "@/db/schema/clusters";
import { recordAudit } from "@/server/audit/record";
import { withTransaction, type ServiceContext } from "@/server/context";
import { requireSomeAuthorRole } from "@/server/drafts/access";
import { Conflict, InvalidInput, NotFound } from "@/server/errors";
import { createChangeRequest } from "@/server/workflow/create";
import { importObserved, type ImportResult } from "./import";
import { findCluster } from "./observed";
import type { AdoptDriftInput, ClusterNameInput } from "./schemas";

/** Each namespace of the cluster with its tenant's name (the owner imported policies get). */
async function tenantsOf(ctx: ServiceContext, clusterId: string) {
  const rows = await ctx.db
    .select({ namespace: namespaces.name, tenant: tenants.name })
    .from(namespaces)
    .innerJoin(tenants, eq(tenants.id, namespaces.tenantId))
    .where(eq(namespaces.clusterId, clusterId));
  const map = new Map(rows.map((r) => [r.namespace, r.tenant]));
  return (ns: string) => map.get(ns) ?? null;
}

const notImportedText = (r: ImportResult) => r.notImported.map((n) => `${n.object}: ${n.reason}`).join("; ");

async function propose(
  ctx: ServiceContext,
  cluster: { id: string; name: string },
  imported: ImportResult,
  title: string,
  description: string,
  audit: { action: string; after: Record<string, unknown> },
) {
  if (imported.documents.length === 0)
    throw new InvalidInput(`Nothing can be adopted: ${notImportedText(imported) || "no NetworkPolicy among the objects"}.`, "objects");
  return withTransaction(ctx, async (tx) => {
    const created = await createChangeRequest({
      ctx: tx,
      input: {
        title,
        description:
          description +
          (imported.notImported.length > 0 ? `\n\nNot imported (no exact Policyplane form yet): ${notImportedText(imported)}.` : ""),
        documents: imported.documents.map((d) => stringify(d, { lineWidth: 0 })),
        draft: true,
      },
    });
    await recordAudit(tx, {
      action: audit.action,
      targetType: "cluster",
      targetId: cluster.id,
      targetLabel: `cluster ${cluster.name}`,
      after: { ...audit.after, changeRequest: created.number, policies: imported.documents.map((d) => d.metadata.name) },
    });
    return {
      number: created.number,
      state: created.state,
      policies: imported.documents.map((d) => d.metadata.name),
      notImported: imported.notImported,
    };
  });
}

/**
 * Adopts an unmanaged or modified drift: the object as the cluster runs it becomes a policy in a
 * draft change request. A missing object has nothing to adopt (remediate by applying the desired one).
 */
export async function adoptDrift({ ctx, input }: { ctx: ServiceContext; input: AdoptDriftInput }) {
  requireSomeAuthorRole(ctx);
  const cluster = await findCluster(ctx.db, input.name);
  const [drift] = await ctx.db
    .select()
    .from(clusterDrifts)
    .where(and(eq(clusterDrifts.id, input.driftId), eq(clusterDrifts.clusterId, cluster.id)));
  if (!drift)
    throw new NotFound(`Cluster ${cluster.name} has no drift ${input.driftId} (it may have been resolved by a newer observed state).`);
  if (!drift.observed)
    throw new Conflict(
      `${drift.kind} ${drift.namespace ?? ""}/${drift.name} is missing from the cluster: there is nothing to adopt; apply the desired manifests instead.`,
    );
  const imported = importObserved([drift.observed], await tenantsOf(ctx, cluster.id), { cluster: cluster.name });
  const what = `${drift.kind} ${drift.namespace ? `${drift.namespace}/` : ""}${drift.name}`;
  return propose(
    ctx,
    cluster,
    imported,
    `Adopt ${drift.type} ${what} from ${cluster.name}`,
    drift.type === "modified"
      ? `The cluster runs a hand-edited ${what}; this proposes its version. The policy that renders the desired one (${String((drift.desired?.metadata as { annotations?: Record<string, string> } | undefined)?.annotations?.["policyplane.io/source"] ?? "unknown")}) still renders its own: edit or retire it in this change.`
      : `${what} was applied to ${cluster.name} by hand; this proposes it as a Policyplane policy.`,
    { action: "cluster.drift_adopted", after: { drift: drift.objectKey, type: drift.type } },
  );
}

/** Imports a brownfield cluster: every NetworkPolicy, CiliumNetworkPolicy, AdminNetworkPolicy and BaselineAdminNetworkPolicy of its observed state that has an exact Policyplane form as a policy, in one draft change request. */
export async function importCluster({ ctx, input }: { ctx: ServiceContext; input: ClusterNameInput }) {
  requireSomeAuthorRole(ctx);
  const cluster = await findCluster(ctx.db, input.name);
  const [observed] = await ctx.db
    .select({ objects: clusterObserved.objects })
    .from(clusterObserved)
    .where(eq(clusterObserved.clusterId, cluster.id));
  if (!observed) throw new Conflict(`Cluster ${cluster.name} has reported no observed state yet: upload it or run the agent first.`);
  const managed = (o: ObservedObject) =>
    (o.metadata.labels as Record<string, string> | undefined)?.["app.kubernetes.io/managed-by"] === "policyplane";
  const imported = importObserved(
    observed.objects.filter((o) => !managed(o)),
    await tenantsOf(ctx, cluster.id),
    { cluster: cluster.name },
  );
  return propose(
    ctx,
    cluster,
    imported,
    `Import ${cluster.name}'s network policies`,
    `The NetworkPolicies, CiliumNetworkPolicies, AdminNetworkPolicies and BaselineAdminNetworkPolicy ${cluster.name} enforces today, as Policyplane policies: namespaced ones of their namespaces' tenants, the admin ones in the cluster and baseline tiers scoped to ${cluster.name}.`,
    { action: "cluster.imported", after: {} },
  );
}
