import "server-only";
// What the Alerts tab reads: the rules, firing and recent alerts, and silences.
// Alerts name paths of every tenant, so they are for readers of the whole
// organisation; a reader limited to some tenants is refused.
import { desc, eq, isNull, sql } from "drizzle-orm";
import { alertRules, alerts, alertSilences } from "@/db/schema";
import { hasRole, readableTenantIds } from "@/server/auth/authorize";
import { serverNow } from "@/server/clock";
import type { ServiceContext } from "@/server/context";
import { Forbidden } from "@/server/errors";
import { listAlertsInput } from "./schemas";

export async function listAlerts({ ctx, input: raw }: { ctx: ServiceContext; input: { limit?: number } }) {
  if (readableTenantIds(ctx.actor) !== undefined)
    throw new Forbidden("Alerts cover every tenant's traffic: they need a role across the organisation.");
  const { limit } = listAlertsInput.parse(raw);
  const now = serverNow();
  const [rules, rows, silences] = await Promise.all([
    ctx.db.select().from(alertRules).orderBy(alertRules.name),
    ctx.db
      .select({ alert: alerts, rule: alertRules.name })
      .from(alerts)
      .innerJoin(alertRules, eq(alertRules.id, alerts.ruleId))
      .orderBy(sql`${alerts.resolvedAt} is not null`, desc(alerts.firedAt))
      .limit(limit),
    ctx.db.select().from(alertSilences).orderBy(desc(alertSilences.createdAt)).limit(limit),
  ]);
  const openCount = await ctx.db.$count(alerts, isNull(alerts.resolvedAt));
  return {
    now,
    /** What the reader may do here (the services check again). */
    mayEditRules: hasRole(ctx.actor, "admin"),
    maySilence: hasRole(ctx.actor, "approver"),
    rules,
    firing: openCount,
    alerts: rows.map((r) => ({ ...r.alert, rule: r.rule })),
    silences: silences.map((s) => ({ ...s, active: s.endedAt === null && s.until > now })),
  };
}
