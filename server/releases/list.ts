import "server-only";
// Releases, newest first, and one release with its whole policy set.
import { desc, eq, lt } from "drizzle-orm";
import { changeRequests, emergencyReviews, releaseEntries, releases } from "@/db/schema";
import { mayReadTenant } from "@/server/auth/authorize";
import type { ServiceContext } from "@/server/context";
import { NotFound } from "@/server/errors";
import type { ReleaseNumberInput } from "./schemas";

/** `limit`: the newest this many (the Overview's last releases). */
export async function listReleases({ ctx, limit = 500 }: { ctx: ServiceContext; limit?: number }) {
  const rows = await ctx.db
    .select({ r: releases, tenantId: changeRequests.tenantId })
    .from(releases)
    .leftJoin(changeRequests, eq(changeRequests.id, releases.changeRequestId))
    .orderBy(desc(releases.number))
    .limit(limit);
  // The title of another tenant's change is not shown to someone scoped to other tenants.
  return rows.map(({ r, tenantId }) => ({
    number: r.number,
    title: mayReadTenant(ctx.actor, tenantId) ? r.title : "a change of another tenant",
    changeRequest: r.changeRequestNumber,
    createdBy: r.createdByLabel,
    createdAt: r.createdAt,
    policySetHash: r.policySetHash,
    emergency: r.emergencyReason !== null,
    rollbackTo: r.rollbackTo,
    staged: r.staged,
  }));
}

export async function getRelease({ ctx, input }: { ctx: ServiceContext; input: ReleaseNumberInput }) {
  const [found] = await ctx.db
    .select({ release: releases, tenantId: changeRequests.tenantId })
    .from(releases)
    .leftJoin(changeRequests, eq(changeRequests.id, releases.changeRequestId))
    .where(eq(releases.number, input.number));
  if (!found) throw new NotFound(`No release ${input.number}.`);
  const { release } = found;
  const entries = await ctx.db.select().from(releaseEntries).where(eq(releaseEntries.releaseId, release.id));
  const [previous] = await ctx.db
    .select({ number: releases.number })
    .from(releases)
    .where(lt(releases.number, release.number))
    .orderBy(desc(releases.number))
    .limit(1);
  // A tenant-scoped person sees their tenants' and the organisation-wide policies; others only as a count.
  const [review] = await ctx.db.select().from(emergencyReviews).where(eq(emergencyReviews.releaseId, release.id));
  const readable = entries.filter((e) => mayReadTenant(ctx.actor, e.tenantId));
  return {
    number: release.number,
    title: mayReadTenant(ctx.actor, found.tenantId) ? release.title : "a change of another tenant",
    changeRequest: release.changeRequestNumber,
    createdBy: release.createdByLabel,
    createdAt: release.createdAt,
    policySetHash: release.policySetHash,
    exceptionIds: release.exceptionIds,
    emergencyReason: release.emergencyReason,
    /** The review an emergency release owes (null: not an emergency release). */
    emergencyReview: review
      ? {
          open: review.acknowledgedAt === null,
          acknowledgedBy: review.acknowledgedByLabel,
          acknowledgedAt: review.acknowledgedAt,
          note: review.note,
        }
      : null,
    rollbackTo: release.rollbackTo,
    staged: release.staged,
    previous: previous?.number ?? null,
    hiddenPolicies: entries.length - readable.length,
    policies: readable
      .map((e) => ({
        name: e.name,
        kind: e.kind,
        tier: e.tier,
        version: e.version,
        contentHash: e.contentHash,
        changed: e.changed,
        previousVersion: e.previousVersion,
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}
