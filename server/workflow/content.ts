import "server-only";
// Replacing what a change request carries (an edit or a rebase): its items
// become the new ones and every standing approval is voided, visibly, since it
// was given for the old content hash. In the caller's transaction.
// Also: locking the policies a change carries while it is edited or rebased.
import { and, eq, inArray, isNull } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { changeRequestApprovals, changeRequestItems, changeRequests, policies } from "@/db/schema";
import type { ServiceContext } from "@/server/context";
import { Conflict, violatedUniqueConstraint } from "@/server/errors";
import type { HashedItem } from "@/server/changes/content-hash";
import type { ChangeRequestRow } from "./review";

export async function replaceChangeContent(
  tx: ServiceContext,
  cr: ChangeRequestRow,
  items: readonly HashedItem[],
  hash: string,
  {
    title = cr.title,
    description = cr.description,
    why = "the change was edited",
  }: { title?: string; description?: string; why?: string } = {},
): Promise<{ id: string; approverLabel: string }[]> {
  await tx.db.delete(changeRequestItems).where(eq(changeRequestItems.changeRequestId, cr.id));
  await tx.db
    .insert(changeRequestItems)
    .values(
      items.map((i) => ({
        changeRequestId: cr.id,
        policyId: i.policyId,
        fromVersion: i.fromVersion,
        toVersion: i.toVersion,
        state: cr.state,
      })),
    )
    .catch((error: unknown) => {
      if (violatedUniqueConstraint(error) !== "change_request_items_open_version") throw error;
      throw new Conflict(
        `A drafted version of ${items.map((i) => i.name).join(", ")} was proposed in another change request at the same moment. Reload to see it.`,
      );
    });
  const voided = await voidApprovals(tx, cr, hash, why);
  await tx.db
    .update(changeRequests)
    .set({ title, description, contentHash: hash, updatedAt: new Date() })
    .where(eq(changeRequests.id, cr.id));
  return voided;
}

/** Voids every standing approval of the change, visibly: it was given for `cr.contentHash`, which becomes `hash`. */
export async function voidApprovals(
  tx: ServiceContext,
  cr: ChangeRequestRow,
  hash: string,
  why: string,
): Promise<{ id: string; approverLabel: string }[]> {
  return tx.db
    .update(changeRequestApprovals)
    .set({
      voidedAt: new Date(),
      voidedReason: `${why} (content ${cr.contentHash.slice(0, 12)} → ${hash.slice(0, 12)})`,
    })
    .where(and(eq(changeRequestApprovals.changeRequestId, cr.id), isNull(changeRequestApprovals.voidedAt)))
    .returning({ id: changeRequestApprovals.id, approverLabel: changeRequestApprovals.approverLabel });
}

/**
 * Locks the policies' rows until the transaction ends (a draft save or a release of one waits) and answers each
 * one's latest version, by policy id.
 */
export async function lockLatestVersions(db: Queryable, policyIds: readonly string[]): Promise<Map<string, number>> {
  if (policyIds.length === 0) return new Map();
  const rows = await db
    .select({ id: policies.id, latestVersion: policies.latestVersion })
    .from(policies)
    .where(inArray(policies.id, [...policyIds]))
    .for("update");
  return new Map(rows.map((r) => [r.id, r.latestVersion]));
}
