import "server-only";
// Silences (issue 17 item 7): a matcher and an end, with who and why. A firing
// alert that a silence matches is recorded but not delivered. Approvers and
// admins set and end them; both are audited.
import { and, eq, gt, isNull } from "drizzle-orm";
import { alertRules, alertSilences, type AlertSilenceRow } from "@/db/schema";
import { recordAudit } from "@/server/audit/record";
import { requireRole } from "@/server/auth/authorize";
import { serverNow } from "@/server/clock";
import { withTransaction, type ServiceContext } from "@/server/context";
import { Conflict, InvalidInput, NotFound } from "@/server/errors";
import { createSilenceInput, endSilenceInput, type CreateSilenceInput } from "./schemas";

export async function createSilence({ ctx, input: raw }: { ctx: ServiceContext; input: CreateSilenceInput }): Promise<AlertSilenceRow> {
  requireRole(ctx.actor, "approver");
  const input = createSilenceInput.parse(raw);
  const now = serverNow();
  return withTransaction(ctx, async (tx) => {
    if (input.matcher.ruleId) {
      const [rule] = await tx.db.select({ id: alertRules.id }).from(alertRules).where(eq(alertRules.id, input.matcher.ruleId));
      if (!rule) throw new InvalidInput("No such alert rule.", "matcher.ruleId");
    }
    const [row] = await tx.db
      .insert(alertSilences)
      .values({
        matcher: input.matcher,
        reason: input.reason,
        until: new Date(now.getTime() + input.minutes * 60_000),
        createdAt: now,
        createdById: ctx.actor.type === "user" ? ctx.actor.id : null,
        createdByLabel: ctx.actor.label,
      })
      .returning();
    await recordAudit(tx, {
      action: "alert-silence.created",
      targetType: "alert-silence",
      targetId: row!.id,
      after: { matcher: row!.matcher, reason: row!.reason, until: row!.until.toISOString() },
    });
    return row!;
  });
}

export async function endSilence({ ctx, input: raw }: { ctx: ServiceContext; input: { id: string } }): Promise<AlertSilenceRow> {
  requireRole(ctx.actor, "approver");
  const { id } = endSilenceInput.parse(raw);
  const now = serverNow();
  return withTransaction(ctx, async (tx) => {
    const [row] = await tx.db
      .update(alertSilences)
      .set({ endedAt: now, endedByLabel: ctx.actor.label })
      .where(and(eq(alertSilences.id, id), isNull(alertSilences.endedAt), gt(alertSilences.until, now)))
      .returning();
    if (!row) {
      const [exists] = await tx.db.select({ id: alertSilences.id }).from(alertSilences).where(eq(alertSilences.id, id));
      if (!exists) throw new NotFound("No such silence.");
      throw new Conflict("This silence has ended already.");
    }
    await recordAudit(tx, {
      action: "alert-silence.ended",
      targetType: "alert-silence",
      targetId: id,
      before: { until: row.until.toISOString() },
      after: { endedAt: now.toISOString() },
    });
    return row;
  });
}
