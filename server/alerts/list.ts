import "server-only";
// What the Alerts tab reads: the rules, firing and recent alerts, and silences.
// A reader of the whole organisation sees every alert. A reader limited to some
// tenants sees the alerts about their tenants' workloads (an alert records the
// tenants of the path's source and destination, or of a threshold's destination),
// the silences that held those back, and the rules read-only: rules are
// organisation-wide definitions and name no tenant's traffic.
import { and, desc, eq, inArray, isNull, or, sql, type SQL } from "drizzle-orm";
import { alertRules, alerts, alertSilences, tenants } from "@/db/schema";
import { hasRole, readableTenantIds } from "@/server/auth/authorize";
import { serverNow } from "@/server/clock";
import type { ServiceContext } from "@/server/context";
import { listAlertsInput } from "./schemas";

export async function listAlerts({ ctx, input: raw }: { ctx: ServiceContext; input: { limit?: number } }) {
  const { limit } = listAlertsInput.parse(raw);
  const now = serverNow();
  const readable = readableTenantIds(ctx.actor);
  // undefined: every alert; else only those about a readable tenant (none readable: none).
  const visible: SQL | undefined =
    readable === undefined
      ? undefined
      : readable.length === 0
        ? sql`false`
        : or(inArray(alerts.sourceTenantId, readable), inArray(alerts.destinationTenantId, readable));
  const [rules, rows, openCount, scopeTenants] = await Promise.all([
    ctx.db.select().from(alertRules).orderBy(alertRules.name),
    ctx.db
      .select({ alert: alerts, rule: alertRules.name })
      .from(alerts)
      .innerJoin(alertRules, eq(alertRules.id, alerts.ruleId))
      .where(visible)
      .orderBy(sql`${alerts.resolvedAt} is not null`, desc(alerts.firedAt))
      .limit(limit),
    ctx.db.$count(alerts, and(isNull(alerts.resolvedAt), visible)),
    readable === undefined || readable.length === 0
      ? Promise.resolve([])
      : ctx.db.select({ name: tenants.name }).from(tenants).where(inArray(tenants.id, readable)).orderBy(tenants.name),
  ]);
  // A limited reader sees the silences behind the alerts shown (a matcher may name other tenants' paths).
  const silencedBy = [...new Set(rows.map((r) => r.alert.silencedById).filter((id): id is string => id !== null))];
  const silences =
    readable === undefined
      ? await ctx.db.select().from(alertSilences).orderBy(desc(alertSilences.createdAt)).limit(limit)
      : silencedBy.length === 0
        ? []
        : await ctx.db.select().from(alertSilences).where(inArray(alertSilences.id, silencedBy)).orderBy(desc(alertSilences.createdAt));
  return {
    now,
    /** Whose alerts these are: every tenant's, or only those about the named tenants' workloads. */
    scope:
      readable === undefined ? { kind: "organisation" as const } : { kind: "tenants" as const, tenants: scopeTenants.map((t) => t.name) },
    /** What the reader may do here (the services check again). */
    mayEditRules: hasRole(ctx.actor, "admin"),
    maySilence: hasRole(ctx.actor, "approver"),
    rules,
    firing: openCount,
    alerts: rows.map((r) => ({ ...r.alert, rule: r.rule })),
    silences: silences.map((s) => ({ ...s, active: s.endedAt === null && s.until > now })),
  };
}
