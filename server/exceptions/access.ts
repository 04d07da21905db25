import "server-only";
// Who may do what with an exception, always decided on the server.
import { and, eq, inArray, isNull, or } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { exceptions, memberships, notifications, type ExceptionRow, type NotificationKind } from "@/db/schema";
import { hasRole, mayReadTenant } from "@/server/auth/authorize";
import type { Actor, ServiceContext } from "@/server/context";
import { Forbidden, NotFound } from "@/server/errors";
import { enqueueWebhook } from "@/server/webhooks/outbox";
import { mayFill } from "@/server/workflow/rules";
import type { ExceptionReview } from "./approval";

/** The exception, if the actor may read it (its source tenant's, or organisation-wide readers). */
export async function findException(db: Queryable, actor: Actor, number: number, forUpdate = false): Promise<ExceptionRow> {
  const query = db.select().from(exceptions).where(eq(exceptions.number, number));
  const [row] = forUpdate ? await query.for("update") : await query;
  if (!row || !mayReadTenant(actor, row.tenantId)) throw new NotFound(`No exception E-${number}.`);
  return row;
}

/** The open slots this actor may fill, or why they may not decide: never the requester (separation of duties). */
export function requireExceptionReviewer(actor: Actor, exception: ExceptionRow, review: ExceptionReview, verb: string) {
  if (actor.id !== null && actor.id === exception.requesterId)
    throw new Forbidden(`You requested E-${exception.number}: someone else must ${verb} it (separation of duties).`);
  const slots = review.evaluation.rules.flatMap((r) => r.required);
  const fillable = slots.filter((s) => mayFill(actor.grants, s));
  if (fillable.length === 0)
    throw new Forbidden(
      `Only an approver of ${[...new Set(slots.map((s) => s.function))].join(" or ") || "the exception rules' functions"} may ${verb} E-${exception.number}; you are signed in as ${actor.label}.`,
    );
  return fillable;
}

/** Revoking: someone who approved it, or an admin. */
export function requireRevoker(actor: Actor, exception: ExceptionRow, approverIds: readonly (string | null)[]) {
  if (hasRole(actor, "admin")) return;
  if (actor.id !== null && approverIds.includes(actor.id) && hasRole(actor, "approver", exception.tenantId)) return;
  throw new Forbidden(`Only an approver of E-${exception.number} or an admin may revoke it; you are signed in as ${actor.label}.`);
}

/** One notification per person (and the outgoing webhook), in the caller's transaction. */
/** The target every audit event about an exception names. */
export const exceptionAuditTarget = (e: Pick<ExceptionRow, "id" | "number" | "title" | "tenantId">) => ({
  targetType: "exception" as const,
  targetId: e.id,
  targetLabel: `E-${e.number} ${e.title}`,
  tenantId: e.tenantId,
});

export async function notifyPeople(
  tx: ServiceContext,
  kind: NotificationKind,
  title: string,
  exceptionNumber: number,
  userIds: readonly (string | null)[],
) {
  const href = `/exceptions?number=${exceptionNumber}`;
  const ids = [...new Set(userIds.filter((u): u is string => u !== null && u !== tx.actor.id))];
  if (ids.length > 0)
    await tx.db.insert(notifications).values(ids.map((userId) => ({ userId, kind, title, href, actorLabel: tx.actor.label })));
  await enqueueWebhook(tx.db, { event: kind, text: title, href, actor: tx.actor.label });
}

/** Organisation-wide approvers and admins of the functions the exception rules ask for. */
export async function approverIdsFor(db: Queryable, functions: readonly string[]): Promise<string[]> {
  if (functions.length === 0) return [];
  const rows = await db
    .select({ userId: memberships.userId })
    .from(memberships)
    .where(
      and(
        isNull(memberships.tenantId),
        or(eq(memberships.role, "approver"), eq(memberships.role, "admin")),
        inArray(memberships.committeeFunction, functions as never[]),
      ),
    );
  return rows.map((r) => r.userId);
}
