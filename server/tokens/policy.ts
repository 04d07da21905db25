import "server-only";
// How long API tokens may live: the organisation's maximum (one row, admin-set)
// and the expiry a new token gets from it.
//
// The rules: no expiry asked for → DEFAULT_EXPIRY_DAYS (or the maximum, when the
// admins set it shorter); more than the maximum → refused; "never" (null) →
// allowed only when the admins set no maximum at all.
import { eq } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { tokenSettings } from "@/db/schema";
import { recordAudit } from "@/server/audit/record";
import { requireRole } from "@/server/auth/authorize";
import { withTransaction, type ServiceContext } from "@/server/context";
import { Conflict, InvalidInput } from "@/server/errors";
import type { UpdateTokenSettingsInput } from "./schemas";

export const DEFAULT_EXPIRY_DAYS = 90;
const DAY_MS = 86_400_000;

export type TokenSettings = typeof tokenSettings.$inferSelect;

export async function tokenSettingsOf(db: Queryable): Promise<TokenSettings> {
  const [row] = await db.select().from(tokenSettings).where(eq(tokenSettings.id, 1));
  if (row) return row;
  await db.insert(tokenSettings).values({ id: 1 }).onConflictDoNothing();
  const [created] = await db.select().from(tokenSettings).where(eq(tokenSettings.id, 1));
  return created!;
}

/** The expiry a token asked to live `expiresInDays` gets, or a refusal naming the limit. */
export function expiryFor(
  settings: Pick<TokenSettings, "maxExpiryDays">,
  expiresInDays: number | null | undefined,
  now = new Date(),
): Date | null {
  const max = settings.maxExpiryDays;
  if (expiresInDays === null) {
    if (max === null) return null;
    throw new InvalidInput(
      `Tokens must expire: the admin-set maximum is ${max} days. Give a number of days (at most ${max}).`,
      "expiresInDays",
    );
  }
  const days = expiresInDays ?? (max === null ? DEFAULT_EXPIRY_DAYS : Math.min(DEFAULT_EXPIRY_DAYS, max));
  if (max !== null && days > max) {
    throw new InvalidInput(`Tokens may live at most ${max} days (the admin-set maximum); ${days} days is too long.`, "expiresInDays");
  }
  return new Date(now.getTime() + days * DAY_MS);
}

export async function getTokenSettings({ ctx }: { ctx: ServiceContext }): Promise<TokenSettings> {
  requireRole(ctx.actor, "admin");
  return tokenSettingsOf(ctx.db);
}

/** Changes the maximum for tokens created from now on; existing tokens keep their expiry. */
export async function updateTokenSettings({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: UpdateTokenSettingsInput;
}): Promise<TokenSettings> {
  requireRole(ctx.actor, "admin");
  return withTransaction(ctx, async (tx) => {
    const before = await tokenSettingsOf(tx.db);
    if (before.version !== input.expectedVersion)
      throw new Conflict(`The token settings changed since you opened them (now version ${before.version}). Reload and try again.`);
    const [after] = await tx.db
      .update(tokenSettings)
      .set({ maxExpiryDays: input.maxExpiryDays, version: before.version + 1, updatedBy: ctx.actor.label, updatedAt: new Date() })
      .where(eq(tokenSettings.id, 1))
      .returning();
    await recordAudit(tx, {
      action: "token.settings_changed",
      targetType: "token_settings",
      targetId: "1",
      targetLabel: "API token limits",
      before: { maxExpiryDays: before.maxExpiryDays, version: before.version },
      after: { maxExpiryDays: after!.maxExpiryDays, version: after!.version },
    });
    return after!;
  });
}
