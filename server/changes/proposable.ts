import "server-only";
// What proposing and editing a change request share: the drafted policies it
// may carry, and the refusal to carry a drafted version another open request
// already carries (it would be reviewed twice).
import { and, eq, inArray, ne } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { changeRequestItems, changeRequests, OPEN_CHANGE_REQUEST_STATES, policies } from "@/db/schema";
import { mayReadTenant } from "@/server/auth/authorize";
import type { Actor } from "@/server/context";
import { requireDraftRight } from "@/server/drafts/access";
import { Conflict, InvalidInput, NotFound } from "@/server/errors";
import type { HashedItem } from "./content-hash";

/**
 * The named policies, locked so a concurrent draft save waits, each going from its released
 * version to its latest draft (sorted by name). Another tenant's policy is as missing as one
 * that does not exist; a policy the actor may not draft, or one without a draft, is refused.
 */
export async function lockProposableDrafts(db: Queryable, actor: Actor, names: readonly string[]) {
  const rows = (
    await db
      .select()
      .from(policies)
      .where(inArray(policies.name, [...names]))
      .for("update")
  ).filter((r) => mayReadTenant(actor, r.tenantId));
  const missing = names.filter((n) => !rows.some((r) => r.name === n));
  if (missing.length > 0) throw new NotFound(`No policy named ${missing.join(", ")}.`);
  for (const p of rows) {
    requireDraftRight(
      actor,
      { kind: p.kind, tier: p.tier, tenantId: p.tenantId },
      `${p.kind === "Policy" ? "policy" : "constraint"} ${p.name}`,
    );
    if (p.releasedVersion !== null && p.latestVersion <= p.releasedVersion)
      throw new InvalidInput(`${p.name} has no draft: its latest version is the released one.`, "policies");
  }
  const items: HashedItem[] = rows
    .map((p) => ({ policyId: p.id, name: p.name, kind: p.kind, fromVersion: p.releasedVersion, toVersion: p.latestVersion }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return { rows, items };
}

/** Refuses items whose drafted version another open change request (not `exceptChangeId`) carries. */
export async function refuseProposedElsewhere(db: Queryable, items: readonly HashedItem[], exceptChangeId?: string): Promise<void> {
  if (items.length === 0) return;
  const open = await db
    .select({ number: changeRequests.number, policyId: changeRequestItems.policyId, toVersion: changeRequestItems.toVersion })
    .from(changeRequestItems)
    .innerJoin(changeRequests, eq(changeRequests.id, changeRequestItems.changeRequestId))
    .where(
      and(
        inArray(changeRequests.state, [...OPEN_CHANGE_REQUEST_STATES]),
        inArray(
          changeRequestItems.policyId,
          items.map((i) => i.policyId),
        ),
        exceptChangeId === undefined ? undefined : ne(changeRequests.id, exceptChangeId),
      ),
    );
  for (const i of items) {
    const dup = open.find((o) => o.policyId === i.policyId && o.toVersion === i.toVersion);
    if (dup) throw new Conflict(`Version ${i.toVersion} of ${i.name} is already proposed in change #${dup.number}.`);
  }
}
