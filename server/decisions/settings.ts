import "server-only";
// The decision log's sampling setting (one row, admin-set, audited). The decision point reads it from an
// in-process copy refreshed at most every SETTINGS_REFRESH_MS in the background, so the hot path never
// waits on the database for it; a change made in this process applies at once, in others within that.
import { eq } from "drizzle-orm";
import type { Database, Queryable } from "@/db/client";
import { decisionLogSettings } from "@/db/schema";
import { recordAudit } from "@/server/audit/record";
import { requireRole } from "@/server/auth/authorize";
import { withTransaction, type ServiceContext } from "@/server/context";
import { Conflict } from "@/server/errors";
import { perProcess } from "@/server/lib/per-process";
import type { UpdateDecisionLogSettingsInput } from "./schemas";

export type DecisionLogSettings = typeof decisionLogSettings.$inferSelect;
export const SETTINGS_REFRESH_MS = 5_000;

export async function decisionLogSettingsOf(db: Queryable): Promise<DecisionLogSettings> {
  const [row] = await db.select().from(decisionLogSettings).where(eq(decisionLogSettings.id, 1));
  if (row) return row;
  await db.insert(decisionLogSettings).values({ id: 1 }).onConflictDoNothing();
  const [created] = await db.select().from(decisionLogSettings).where(eq(decisionLogSettings.id, 1));
  return created!;
}

export async function getDecisionLogSettings({ ctx }: { ctx: ServiceContext }): Promise<DecisionLogSettings> {
  requireRole(ctx.actor, "admin");
  return decisionLogSettingsOf(ctx.db);
}

export async function updateDecisionLogSettings({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: UpdateDecisionLogSettingsInput;
}): Promise<DecisionLogSettings> {
  requireRole(ctx.actor, "admin");
  const after = await withTransaction(ctx, async (tx) => {
    const before = await decisionLogSettingsOf(tx.db);
    if (before.version !== input.expectedVersion)
      throw new Conflict(`The decision log settings changed since you opened them (now version ${before.version}). Reload and try again.`);
    const [row] = await tx.db
      .update(decisionLogSettings)
      .set({
        sampleRate: input.sampleRate,
        alwaysLogDenies: input.alwaysLogDenies,
        retentionDays: input.retentionDays,
        version: before.version + 1,
        updatedBy: ctx.actor.label,
        updatedAt: new Date(),
      })
      .where(eq(decisionLogSettings.id, 1))
      .returning();
    const shape = (s: DecisionLogSettings) => ({
      sampleRate: s.sampleRate,
      alwaysLogDenies: s.alwaysLogDenies,
      retentionDays: s.retentionDays,
      version: s.version,
    });
    await recordAudit(tx, {
      action: "decision_log.settings_changed",
      targetType: "decision_log_settings",
      targetId: "1",
      targetLabel: "Decision log",
      before: shape(before),
      after: shape(row!),
    });
    return row!;
  });
  cached().value = after;
  cached().readAt = Date.now();
  return after;
}

interface Cached {
  value: DecisionLogSettings | null;
  readAt: number;
  refreshing: boolean;
}
const cached = perProcess("DecisionLogSettings", (): Cached => ({ value: null, readAt: 0, refreshing: false }));

/**
 * The settings as this process last read them, starting a background refresh when they are older than
 * SETTINGS_REFRESH_MS. null until the first read finished: nothing is logged before then.
 */
export function currentDecisionLogSettings(getDb: () => Promise<Database>, now = Date.now()): DecisionLogSettings | null {
  const c = cached();
  if (!c.refreshing && now - c.readAt >= SETTINGS_REFRESH_MS) {
    c.refreshing = true;
    getDb()
      .then((db) => decisionLogSettingsOf(db))
      .then((value) => {
        c.value = value;
      })
      .catch(() => {
        // The database is unreachable: keep the last known setting; the decision point reports the outage.
      })
      .finally(() => {
        c.readAt = Date.now();
        c.refreshing = false;
      });
  }
  return c.value;
}

/** Forget the cached settings (tests: a fresh process). */
export function resetDecisionLogSettingsCache(): void {
  cached.reset();
}

/** Reads the settings now and waits for it (tests, and a process that wants them before its first decision). */
export async function loadDecisionLogSettings(db: Queryable): Promise<DecisionLogSettings> {
  const value = await decisionLogSettingsOf(db);
  Object.assign(cached(), { value, readAt: Date.now() });
  return value;
}
