import "server-only";
import { asc, count, countDistinct, eq } from "drizzle-orm";
import { account, clusters, namespaces, tenants, user, workloads } from "@/db/schema";
import { highestRole, mayDraftSomewhere } from "@/server/auth/authorize";
import { protectedProcedure, router, sessionProcedure } from "../init";

export const orgRouter = router({
  me: sessionProcedure.query(async ({ ctx }) => {
    const [me] = await ctx.db.select({ name: user.name, email: user.email }).from(user).where(eq(user.id, ctx.actor.id ?? ""));
    const tenantNames = new Map((await ctx.db.select({ id: tenants.id, name: tenants.name }).from(tenants)).map((t) => [t.id, t.name]));
    const grants = ctx.actor.grants.map((g) => ({ ...g, tenantName: g.tenantId ? (tenantNames.get(g.tenantId) ?? "unknown tenant") : null }));
    /** Sign-in methods joined to this account ("credential" is the password). */
    const signInMethods = (await ctx.db.select({ providerId: account.providerId }).from(account).where(eq(account.userId, ctx.actor.id ?? ""))).map((a) => a.providerId).sort();
    return { ...me, grants, highestRole: highestRole(ctx.actor.grants), mayDraft: mayDraftSomewhere(ctx.actor.grants), signInMethods };
  }),
  tenants: protectedProcedure.query(({ ctx }) =>
    ctx.db.select({ id: tenants.id, name: tenants.name, displayName: tenants.displayName, ownerTeam: tenants.ownerTeam }).from(tenants).orderBy(asc(tenants.name)),
  ),
  clusters: protectedProcedure.query(({ ctx }) =>
    ctx.db
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
      .orderBy(asc(clusters.name)),
  ),
});
