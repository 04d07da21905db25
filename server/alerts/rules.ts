import "server-only";
// Alert rules are data (issue 17 item 7): admins create, edit and delete them;
// every change is audited in its own transaction.
import { eq } from "drizzle-orm";
import { alertRules, clusters, type AlertRuleRow } from "@/db/schema";
import { recordAudit } from "@/server/audit/record";
import { requireRole } from "@/server/auth/authorize";
import { withTransaction, type ServiceContext } from "@/server/context";
import { Conflict, InvalidInput, NotFound } from "@/server/errors";
import type { Queryable } from "@/db/client";
import { alertRuleIdInput, alertRuleInput, updateAlertRuleInput, type AlertRuleInput, type UpdateAlertRuleInput } from "./schemas";

const auditOf = (r: AlertRuleRow) => ({ name: r.name, kind: r.kind, params: r.params, enabled: r.enabled });

async function checkCluster(db: Queryable, cluster: string | undefined): Promise<void> {
  if (cluster === undefined) return;
  const [c] = await db.select({ id: clusters.id }).from(clusters).where(eq(clusters.name, cluster));
  if (!c) throw new InvalidInput(`No cluster named "${cluster}".`, "params.cluster");
}

async function nameTaken(db: Queryable, name: string, id?: string): Promise<void> {
  const [other] = await db.select({ id: alertRules.id }).from(alertRules).where(eq(alertRules.name, name));
  if (other && other.id !== id) throw new Conflict(`An alert rule named "${name}" exists already.`);
}

export async function createAlertRule({ ctx, input: raw }: { ctx: ServiceContext; input: AlertRuleInput }): Promise<AlertRuleRow> {
  requireRole(ctx.actor, "admin");
  const input = alertRuleInput.parse(raw);
  return withTransaction(ctx, async (tx) => {
    await checkCluster(tx.db, input.params.cluster);
    await nameTaken(tx.db, input.name);
    const [row] = await tx.db
      .insert(alertRules)
      .values({ ...input, updatedByLabel: ctx.actor.label })
      .returning();
    await recordAudit(tx, {
      action: "alert-rule.created",
      targetType: "alert-rule",
      targetId: row!.id,
      targetLabel: row!.name,
      after: auditOf(row!),
    });
    return row!;
  });
}

export async function updateAlertRule({ ctx, input: raw }: { ctx: ServiceContext; input: UpdateAlertRuleInput }): Promise<AlertRuleRow> {
  requireRole(ctx.actor, "admin");
  const { id, rule } = updateAlertRuleInput.parse(raw);
  return withTransaction(ctx, async (tx) => {
    const [before] = await tx.db.select().from(alertRules).where(eq(alertRules.id, id)).for("update");
    if (!before) throw new NotFound("No such alert rule.");
    await checkCluster(tx.db, rule.params.cluster);
    await nameTaken(tx.db, rule.name, id);
    const [row] = await tx.db
      .update(alertRules)
      .set({ ...rule, updatedByLabel: ctx.actor.label, updatedAt: new Date() })
      .where(eq(alertRules.id, id))
      .returning();
    await recordAudit(tx, {
      action: "alert-rule.updated",
      targetType: "alert-rule",
      targetId: id,
      targetLabel: row!.name,
      before: auditOf(before),
      after: auditOf(row!),
    });
    return row!;
  });
}

/** Deletes a rule and its alerts (history included). */
export async function deleteAlertRule({ ctx, input: raw }: { ctx: ServiceContext; input: { id: string } }): Promise<void> {
  requireRole(ctx.actor, "admin");
  const { id } = alertRuleIdInput.parse(raw);
  await withTransaction(ctx, async (tx) => {
    const [row] = await tx.db.delete(alertRules).where(eq(alertRules.id, id)).returning();
    if (!row) throw new NotFound("No such alert rule.");
    await recordAudit(tx, {
      action: "alert-rule.deleted",
      targetType: "alert-rule",
      targetId: id,
      targetLabel: row.name,
      before: auditOf(row),
    });
  });
}
