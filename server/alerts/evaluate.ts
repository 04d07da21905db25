import "server-only";
// Alert evaluation (issue 17 item 7): every enabled rule against the flow
// aggregates of its window, by a sweeper (every 15 s by default). Safe with
// several replicas: a run holds an advisory lock, and an alert is one open row
// per rule and key (a partial unique index, inserted ON CONFLICT DO NOTHING), so
// however many runs race, each alert fires, and is delivered, once. An alert
// whose condition no longer holds is resolved. A firing alert an active silence
// matches is recorded with that silence and not delivered.
import { randomUUID } from "node:crypto";
import { and, eq, inArray, isNull, notInArray, sql, type SQL } from "drizzle-orm";
import type { Database, Queryable } from "@/db/client";
import {
  alertRules,
  alerts,
  alertSilences,
  memberships,
  notifications,
  type AlertRow,
  type AlertRuleRow,
  type AlertSilenceRow,
  type SilenceMatcher,
} from "@/db/schema";
import { serverNow } from "@/server/clock";
import { systemActor, withTransaction, type ServiceContext } from "@/server/context";
import { enqueueWebhook } from "@/server/webhooks/outbox";
import { SEVERITIES, SEVERITY_RANK, type Severity } from "@/lib/flows";

const ALERT_LOCK = 7_301_917;
export const ALERTS_HREF = "/violations/alerts";

/** A rule's condition holding for one key now. */
export interface Firing {
  key: string;
  cluster: string;
  source: string | null;
  destination: string;
  port: number | null;
  protocol: string | null;
  value: number;
  severity: Severity;
  summary: string;
  /** The tenants the alert is about (path alerts: source and destination; threshold alerts: the destination's). */
  sourceTenantId: string | null;
  destinationTenantId: string | null;
}

export interface EvaluationResult {
  fired: AlertRow[];
  resolved: number;
}

const severityRank = sql`case severity when 'critical' then 3 when 'high' then 2 when 'medium' then 1 else 0 end`;
const severityFromRank = (r: number): Severity => SEVERITIES.find((s) => SEVERITY_RANK[s] === r) ?? "low";

function filters(rule: AlertRuleRow): SQL[] {
  const p = rule.params;
  const out: SQL[] = [];
  if (p.cluster) out.push(sql`c.name = ${p.cluster}`);
  if (p.destinationCriticality) out.push(sql`fa.destination_criticality = ${p.destinationCriticality}`);
  if (p.minSeverity) {
    const allowed = SEVERITIES.filter((s) => SEVERITY_RANK[s] >= SEVERITY_RANK[p.minSeverity!]);
    out.push(
      sql`fa.severity in (${sql.join(
        allowed.map((s) => sql`${s}`),
        sql`, `,
      )})`,
    );
  }
  return out;
}

const where = (parts: SQL[]) => sql.join(parts, sql` and `);

interface PathRow {
  cluster: string;
  source: string;
  destination: string;
  port: number;
  protocol: string;
  n: number;
  rank: number;
  source_tenant_id: string | null;
  destination_tenant_id: string | null;
}

/** Which keys of a rule hold at `now`. */
export async function conditionsOf(db: Queryable, rule: AlertRuleRow, now: Date): Promise<Firing[]> {
  const since = new Date(now.getTime() - rule.params.windowMinutes * 60_000);
  const window = sql`fa.minute >= ${since.toISOString()}::timestamptz and fa.minute <= ${now.toISOString()}::timestamptz`;
  const threshold = rule.params.threshold ?? 0;
  const mins = `${rule.params.windowMinutes} min`;
  if (rule.kind === "threshold") {
    const flowClass = rule.params.flowClass ?? "violation";
    const rows = await rowsOf<Omit<PathRow, "source" | "port" | "protocol" | "source_tenant_id">>(
      db,
      sql`select c.name as cluster, fa.destination, sum(fa.count)::int as n, max(${severityRank})::int as rank,
          max(fa.destination_tenant_id::text) as destination_tenant_id
        from flow_aggregates fa join clusters c on c.id = fa.cluster_id
        where ${where([window, sql`fa.flow_class = ${flowClass}`, ...filters(rule)])}
        group by c.name, fa.destination having sum(fa.count) > ${threshold}
        order by 3 desc limit 200`,
    );
    return rows.map((r) => ({
      key: `${r.cluster}|${r.destination}`,
      cluster: r.cluster,
      source: null,
      destination: r.destination,
      port: null,
      protocol: null,
      value: Number(r.n),
      severity: severityFromRank(Number(r.rank)),
      summary: `${r.n} ${flowClass} flows to ${r.destination} in ${r.cluster} in the last ${mins} (more than ${threshold})`,
      // About the destination: its flows come from many sources, whose tenants see their own paths.
      sourceTenantId: null,
      destinationTenantId: r.destination_tenant_id,
    }));
  }
  const flowClass = rule.kind === "new-denied-path" ? "violation" : "enforcement-gap";
  // A new path: none of its aggregates (of this class) is older than the window.
  const isNew =
    rule.kind === "new-denied-path"
      ? [
          sql`not exists (select 1 from flow_aggregates e where e.cluster_id = fa.cluster_id and e.source = fa.source
              and e.destination = fa.destination and e.port = fa.port and e.protocol = fa.protocol and e.flow_class = fa.flow_class
              and e.minute < ${since.toISOString()}::timestamptz)`,
        ]
      : [];
  const rows = await rowsOf<PathRow>(
    db,
    sql`select c.name as cluster, fa.source, fa.destination, fa.port, fa.protocol, sum(fa.count)::int as n, max(${severityRank})::int as rank,
        max(fa.source_tenant_id::text) as source_tenant_id, max(fa.destination_tenant_id::text) as destination_tenant_id
      from flow_aggregates fa join clusters c on c.id = fa.cluster_id
      where ${where([window, sql`fa.flow_class = ${flowClass}`, ...filters(rule), ...isNew])}
      group by c.name, fa.source, fa.destination, fa.port, fa.protocol having sum(fa.count) > ${threshold}
      order by 6 desc limit 200`,
  );
  return rows.map((r) => ({
    key: `${r.cluster}|${r.source}|${r.destination}|${r.port}/${r.protocol}`,
    cluster: r.cluster,
    source: r.source,
    destination: r.destination,
    port: Number(r.port),
    protocol: r.protocol,
    value: Number(r.n),
    severity: severityFromRank(Number(r.rank)),
    summary:
      rule.kind === "new-denied-path"
        ? `New denied path ${r.source} → ${r.destination}:${r.port}/${r.protocol} in ${r.cluster} (${r.n} flows)`
        : `Enforcement gap ${r.source} → ${r.destination}:${r.port}/${r.protocol} in ${r.cluster}: forwarded ${r.n} flows the release denies`,
    sourceTenantId: r.source_tenant_id,
    destinationTenantId: r.destination_tenant_id,
  }));
}

/** Rows of a raw query, whichever driver answers (PGlite gives { rows }, postgres-js an array). */
async function rowsOf<T>(db: Queryable, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows?: T[] } | T[];
  return Array.isArray(result) ? result : (result.rows ?? []);
}

/** Whether a silence's every given field equals the alert's. */
export function silenceMatches(m: SilenceMatcher, ruleId: string, f: Pick<Firing, "cluster" | "source" | "destination">): boolean {
  return (
    (m.ruleId === undefined || m.ruleId === ruleId) &&
    (m.cluster === undefined || m.cluster === f.cluster) &&
    (m.source === undefined || m.source === f.source) &&
    (m.destination === undefined || m.destination === f.destination)
  );
}

/** Who hears about alerts in the console: global admins and security approvers. */
/** Who hears of an operational alert: organisation admins and security approvers. */
export async function alertAudience(db: Queryable): Promise<string[]> {
  const rows = await db
    .selectDistinct({ userId: memberships.userId })
    .from(memberships)
    .where(
      and(
        isNull(memberships.tenantId),
        sql`(${memberships.role} = 'admin' or (${memberships.role} = 'approver' and ${memberships.committeeFunction} = 'security'))`,
      ),
    );
  return rows.map((r) => r.userId);
}

/**
 * Evaluates the enabled rules at `now`: every one (the timer), or only `ruleIds` (after an ingested
 * batch, ./on-ingest.ts). Only a run over every rule resolves the alerts of rules disabled since.
 */
export async function evaluateAlerts(
  db: Database,
  now: Date = serverNow(),
  options: { ruleIds?: readonly string[] } = {},
): Promise<EvaluationResult> {
  const ctx: ServiceContext = { db, actor: systemActor("alert evaluator"), requestId: `alerts-${randomUUID()}` };
  const only = options.ruleIds;
  if (only && only.length === 0) return { fired: [], resolved: 0 };
  return withTransaction(ctx, async ({ db: tx }) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${ALERT_LOCK})`);
    const rules = await tx
      .select()
      .from(alertRules)
      .where(and(eq(alertRules.enabled, true), only ? inArray(alertRules.id, [...only]) : undefined));
    const silences: AlertSilenceRow[] = await tx
      .select()
      .from(alertSilences)
      .where(
        and(
          isNull(alertSilences.endedAt),
          sql`${alertSilences.until} > ${now.toISOString()}::timestamptz`,
          sql`${alertSilences.createdAt} <= ${now.toISOString()}::timestamptz`,
        ),
      );
    const fired: AlertRow[] = [];
    let resolved = 0;
    for (const rule of rules) {
      const holding = await conditionsOf(tx, rule, now);
      for (const f of holding) {
        const silence = silences.find((s) => silenceMatches(s.matcher, rule.id, f));
        const [row] = await tx
          .insert(alerts)
          .values({ ruleId: rule.id, ...f, silencedById: silence?.id ?? null, firedAt: now, lastSeenAt: now })
          .onConflictDoNothing({ target: [alerts.ruleId, alerts.key], where: sql`resolved_at IS NULL` })
          .returning();
        if (row) fired.push(row);
        else
          await tx
            .update(alerts)
            .set({
              lastSeenAt: now,
              value: f.value,
              summary: f.summary,
              severity: f.severity,
              sourceTenantId: f.sourceTenantId,
              destinationTenantId: f.destinationTenantId,
            })
            .where(and(eq(alerts.ruleId, rule.id), eq(alerts.key, f.key), isNull(alerts.resolvedAt)));
      }
      const keys = holding.map((f) => f.key);
      const done = await tx
        .update(alerts)
        .set({ resolvedAt: now })
        .where(and(eq(alerts.ruleId, rule.id), isNull(alerts.resolvedAt), keys.length ? notInArray(alerts.key, keys) : undefined))
        .returning({ id: alerts.id });
      resolved += done.length;
    }
    // Alerts of rules disabled since they fired resolve too.
    if (!only) {
      const enabled = rules.map((r) => r.id);
      const orphans = await tx
        .update(alerts)
        .set({ resolvedAt: now })
        .where(and(isNull(alerts.resolvedAt), enabled.length ? notInArray(alerts.ruleId, enabled) : undefined))
        .returning({ id: alerts.id });
      resolved += orphans.length;
    }

    const delivered = fired.filter((a) => a.silencedById === null);
    if (delivered.length > 0) {
      const audience = await alertAudience(tx);
      const names = new Map(rules.map((r) => [r.id, r.name]));
      const title = (a: AlertRow) => `[${a.severity}] ${names.get(a.ruleId)}: ${a.summary}`;
      const rows = delivered.flatMap((a) =>
        audience.map((userId) => ({
          userId,
          kind: "alert-fired" as const,
          title: title(a),
          href: ALERTS_HREF,
          actorLabel: ctx.actor.label,
        })),
      );
      if (rows.length > 0) await tx.insert(notifications).values(rows);
      for (const a of delivered)
        await enqueueWebhook(tx, { event: "alert-fired", text: title(a), href: ALERTS_HREF, actor: ctx.actor.label });
    }
    return { fired, resolved };
  });
}

/** Evaluates every `everyMs` in this process (0: never); returns the stop function. */
export function scheduleAlertEvaluation(db: Database, log: (message: string, error?: unknown) => void, everyMs = 15_000): () => void {
  if (everyMs === 0) return () => {};
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    evaluateAlerts(db)
      .then((r) => {
        if (r.fired.length > 0) log(`alerts: ${r.fired.length} fired, ${r.resolved} resolved`);
      })
      .catch((error: unknown) => log("could not evaluate alerts", error))
      .finally(() => {
        running = false;
      });
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
