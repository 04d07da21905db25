import "server-only";
// The organisation's exception limits and approval rules (one row), read with
// defaults on first use, changed by admins only.
import { eq } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { exceptionSettings, type ExceptionApprovalRule } from "@/db/schema";
import { recordAudit } from "@/server/audit/record";
import { requireRole } from "@/server/auth/authorize";
import { withTransaction, type ServiceContext } from "@/server/context";
import { Conflict } from "@/server/errors";
import type { UpdateExceptionSettingsInput } from "./schemas";

export type ExceptionSettings = typeof exceptionSettings.$inferSelect;

/** Separate from the change rules: one security approver, two for production. */
export const DEFAULT_EXCEPTION_RULES: ExceptionApprovalRule[] = [
  {
    key: "exception",
    description: "Every exception: one security approver",
    appliesTo: "all",
    requirements: [{ function: "security", count: 1, scope: "organisation" }],
  },
  {
    key: "exception-production",
    description: "Exceptions touching a production cluster: two security approvers",
    appliesTo: "production",
    requirements: [{ function: "security", count: 2, scope: "organisation" }],
  },
];

export async function exceptionSettingsOf(db: Queryable): Promise<ExceptionSettings> {
  const [row] = await db.select().from(exceptionSettings).where(eq(exceptionSettings.id, 1));
  if (row) return row;
  await db.insert(exceptionSettings).values({ id: 1, rules: DEFAULT_EXCEPTION_RULES }).onConflictDoNothing();
  const [created] = await db.select().from(exceptionSettings).where(eq(exceptionSettings.id, 1));
  return created!;
}

export async function getExceptionSettings({ ctx }: { ctx: ServiceContext }): Promise<ExceptionSettings> {
  return exceptionSettingsOf(ctx.db);
}

export async function updateExceptionSettings({ ctx, input }: { ctx: ServiceContext; input: UpdateExceptionSettingsInput }) {
  requireRole(ctx.actor, "admin");
  return withTransaction(ctx, async (tx) => {
    const before = await exceptionSettingsOf(tx.db);
    if (before.version !== input.expectedVersion)
      throw new Conflict(`The exception settings changed since you opened them (now version ${before.version}). Reload and try again.`);
    const { expectedVersion: _, ...fields } = input;
    const [after] = await tx.db
      .update(exceptionSettings)
      .set({ ...fields, version: before.version + 1, updatedBy: ctx.actor.label, updatedAt: new Date() })
      .where(eq(exceptionSettings.id, 1))
      .returning();
    await recordAudit(tx, {
      action: "exception.settings_changed",
      targetType: "exception_settings",
      targetId: "1",
      targetLabel: "Exception limits and rules",
      before: { ...before, updatedAt: undefined },
      after: { ...after!, updatedAt: undefined },
    });
    return after!;
  });
}
