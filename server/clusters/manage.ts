import "server-only";
// Admins register, edit and retire clusters. A cluster's policy API is its
// `policyplane.io/target` label (what the release compiler renders for it:
// server/releases/waves.ts); the CNI and Istio live in its profile. A retired
// cluster keeps its history but no new rollout plans it and it takes no observed state.
import { eq } from "drizzle-orm";
import { clusterProfiles, clusters } from "@/db/schema";
import { recordAudit } from "@/server/audit/record";
import { requireRole } from "@/server/auth/authorize";
import { withTransaction, type ServiceContext } from "@/server/context";
import { Conflict, NotFound, isUniqueViolation } from "@/server/errors";
import { TARGET_LABEL, targetOf } from "@/server/releases/waves";
import type { ClusterNameInput, EditClusterInput, RegisterClusterInput } from "./schemas";

type Fields = Omit<RegisterClusterInput, "name">;

const labelsWith = (f: Fields) => {
  const { [TARGET_LABEL]: _ignored, ...rest } = f.labels;
  return { ...rest, [TARGET_LABEL]: f.policyApi };
};

const recorded = (f: Fields) => ({
  region: f.region,
  environment: f.environment,
  labels: labelsWith(f),
  cni: f.cni,
  policyApi: f.policyApi,
  istio: f.istio,
});

const auditTarget = (c: { id: string; name: string }) => ({ targetType: "cluster", targetId: c.id, targetLabel: `cluster ${c.name}` });

export async function registerCluster({ ctx, input }: { ctx: ServiceContext; input: RegisterClusterInput }) {
  requireRole(ctx.actor, "admin");
  try {
    return await withTransaction(ctx, async (tx) => {
      const { name, ...fields } = input;
      const [row] = await tx.db
        .insert(clusters)
        .values({ name, region: fields.region, environment: fields.environment, labels: labelsWith(fields) })
        .returning();
      await tx.db.insert(clusterProfiles).values({ clusterId: row!.id, cni: fields.cni, istio: fields.istio });
      await recordAudit(tx, { action: "cluster.registered", ...auditTarget(row!), after: recorded(fields) });
      return { name: row!.name };
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new Conflict(`A cluster named "${input.name}" is registered already.`);
    throw error;
  }
}

async function lockCluster(ctx: ServiceContext, name: string) {
  const [row] = await ctx.db.select().from(clusters).where(eq(clusters.name, name)).for("update");
  if (!row) throw new NotFound(`No cluster named "${name}".`);
  const [profile] = await ctx.db.select().from(clusterProfiles).where(eq(clusterProfiles.clusterId, row.id));
  return { row, profile };
}

export async function editCluster({ ctx, input }: { ctx: ServiceContext; input: EditClusterInput }) {
  requireRole(ctx.actor, "admin");
  return withTransaction(ctx, async (tx) => {
    const { name, ...fields } = input;
    const { row, profile } = await lockCluster(tx, name);
    if (profile?.retiredAt) throw new Conflict(`Cluster ${name} is retired; it cannot be edited.`);
    const before = {
      region: row.region,
      environment: row.environment,
      labels: row.labels,
      cni: profile?.cni ?? null,
      policyApi: targetOf(row.labels),
      istio: profile?.istio ?? false,
    };
    await tx.db
      .update(clusters)
      .set({ region: fields.region, environment: fields.environment, labels: labelsWith(fields) })
      .where(eq(clusters.id, row.id));
    await tx.db
      .insert(clusterProfiles)
      .values({ clusterId: row.id, cni: fields.cni, istio: fields.istio })
      .onConflictDoUpdate({ target: clusterProfiles.clusterId, set: { cni: fields.cni, istio: fields.istio, updatedAt: new Date() } });
    await recordAudit(tx, { action: "cluster.edited", ...auditTarget(row), before, after: recorded(fields) });
    return { name };
  });
}

export async function retireCluster({ ctx, input }: { ctx: ServiceContext; input: ClusterNameInput }) {
  requireRole(ctx.actor, "admin");
  return withTransaction(ctx, async (tx) => {
    const { row, profile } = await lockCluster(tx, input.name);
    if (profile?.retiredAt) throw new Conflict(`Cluster ${input.name} was retired already (${profile.retiredAt.toISOString()}).`);
    const now = new Date();
    await tx.db
      .insert(clusterProfiles)
      .values({ clusterId: row.id, retiredAt: now })
      .onConflictDoUpdate({ target: clusterProfiles.clusterId, set: { retiredAt: now, updatedAt: now } });
    await recordAudit(tx, { action: "cluster.retired", ...auditTarget(row), after: { retiredAt: now.toISOString() } });
    return { name: input.name, retiredAt: now };
  });
}
