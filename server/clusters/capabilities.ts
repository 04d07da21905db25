import "server-only";
// Capabilities a cluster's agent reports (CNI, admin policy API, Istio). They
// replace what an admin set: the agent sees the cluster. A detected admin policy
// API also moves the cluster's compile target (its `policyplane.io/target`
// label), so releases render what the cluster can take.
import { eq } from "drizzle-orm";
import { clusterProfiles, clusters } from "@/db/schema";
import type { AdminPolicyApi } from "@/lib/clusters";
import { recordAudit } from "@/server/audit/record";
import { requireRole } from "@/server/auth/authorize";
import { withTransaction, type ServiceContext } from "@/server/context";
import { Conflict, NotFound } from "@/server/errors";
import { TARGET_LABEL, targetOf } from "@/server/releases/waves";
import { requireClusterScope } from "@/server/tokens/scopes";
import type { ReportCapabilitiesInput } from "./schemas";

/** The compile target an admin policy API calls for (none: keep the cluster's target; nothing admin-tier applies). */
const TARGET_OF_API: Record<AdminPolicyApi, "anp" | "cnp-v1alpha2" | null> = { v1alpha1: "anp", v1alpha2: "cnp-v1alpha2", none: null };

export async function reportCapabilities({ ctx, input }: { ctx: ServiceContext; input: ReportCapabilitiesInput }) {
  requireRole(ctx.actor, "admin");
  return withTransaction(ctx, async (tx) => {
    const [row] = await tx.db.select().from(clusters).where(eq(clusters.name, input.name)).for("update");
    if (!row) throw new NotFound(`No cluster named "${input.name}".`);
    requireClusterScope(ctx.actor, "observed-state", row);
    const [profile] = await tx.db.select().from(clusterProfiles).where(eq(clusterProfiles.clusterId, row.id));
    if (profile?.retiredAt) throw new Conflict(`Cluster ${row.name} is retired; it takes no capabilities.`);
    const before = {
      cni: profile?.cni ?? null,
      adminPolicyApi: profile?.adminPolicyApi ?? null,
      istio: profile?.istio ?? false,
      policyApi: targetOf(row.labels),
    };
    const policyApi = TARGET_OF_API[input.adminPolicyApi] ?? before.policyApi;
    const after = { cni: input.cni, adminPolicyApi: input.adminPolicyApi, istio: input.istio, policyApi };
    // An agent reports at every sync: an unchanged report writes nothing (no row, no audit line).
    if (JSON.stringify(before) === JSON.stringify(after)) return { cluster: row.name, ...after, changed: false };
    const now = new Date();
    if (policyApi !== before.policyApi)
      await tx.db
        .update(clusters)
        .set({ labels: { ...row.labels, [TARGET_LABEL]: policyApi } })
        .where(eq(clusters.id, row.id));
    const set = { cni: input.cni, adminPolicyApi: input.adminPolicyApi, istio: input.istio, capabilitiesReportedAt: now };
    await tx.db
      .insert(clusterProfiles)
      .values({ clusterId: row.id, ...set })
      .onConflictDoUpdate({ target: clusterProfiles.clusterId, set: { ...set, updatedAt: now } });
    await recordAudit(tx, {
      action: "cluster.capabilities_reported",
      targetType: "cluster",
      targetId: row.id,
      targetLabel: `cluster ${row.name}`,
      before,
      after,
    });
    return { cluster: row.name, ...after, changed: true };
  });
}
