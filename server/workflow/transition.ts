import "server-only";
// Moving a change request to its next state: the row, its audit event and its
// notifications in the caller's transaction (a failed audit write rolls the move back).
import { eq } from "drizzle-orm";
import { changeRequests, type ChangeRequestState } from "@/db/schema";
import { recordAudit } from "@/server/audit/record";
import type { ServiceContext } from "@/server/context";
import { notify } from "@/server/notifications/notify";
import type { ChangeRequestRow } from "./review";
import type { ChangeAction } from "./states";

export async function moveChange(
  tx: ServiceContext,
  cr: ChangeRequestRow,
  action: ChangeAction | "hold-as-draft",
  next: ChangeRequestState,
  details: Record<string, unknown> = {},
): Promise<void> {
  if (next !== cr.state) await tx.db.update(changeRequests).set({ state: next, updatedAt: new Date() }).where(eq(changeRequests.id, cr.id));
  await recordAudit(tx, {
    action: `change.${action}`,
    targetType: "change_request",
    targetId: cr.id,
    targetLabel: `#${cr.number} ${cr.title}`,
    tenantId: cr.tenantId,
    before: { state: cr.state, contentHash: cr.contentHash },
    after: { state: next, ...details },
  });
  await notify(tx, { type: "change.moved", cr, action, next, details });
}

/** Whether the actor wrote this change request (its author, by user id). */
export function isAuthor(actor: ServiceContext["actor"], cr: ChangeRequestRow): boolean {
  return actor.type === "user" && cr.authorId === actor.id;
}
