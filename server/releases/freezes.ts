import "server-only";
// Change windows (issue 13 §9): admins freeze an environment for a period;
// releasing while any environment that has clusters is frozen is refused.
// (The emergency rule that may override a freeze is not built yet.)
import { and, asc, eq, gt, inArray, lte } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { changeFreezes, clusters } from "@/db/schema";
import { recordAudit } from "@/server/audit/record";
import { requireRole } from "@/server/auth/authorize";
import { withTransaction, type ServiceContext } from "@/server/context";
import { Conflict, NotFound } from "@/server/errors";
import type { CreateFreezeInput, EndFreezeInput } from "./schemas";

export async function listFreezes({ ctx }: { ctx: ServiceContext }) {
  const rows = await ctx.db.select().from(changeFreezes).where(gt(changeFreezes.endsAt, new Date())).orderBy(asc(changeFreezes.startsAt));
  return rows.map((f) => ({
    id: f.id,
    environment: f.environment,
    startsAt: f.startsAt,
    endsAt: f.endsAt,
    reason: f.reason,
    createdBy: f.createdByLabel,
    active: f.startsAt <= new Date(),
  }));
}

export async function createFreeze({ ctx, input }: { ctx: ServiceContext; input: CreateFreezeInput }) {
  requireRole(ctx.actor, "admin");
  return withTransaction(ctx, async (tx) => {
    const [row] = await tx.db
      .insert(changeFreezes)
      .values({
        ...input,
        reason: input.reason.trim(),
        createdById: ctx.actor.type === "user" ? ctx.actor.id : null,
        createdByLabel: ctx.actor.label,
      })
      .returning();
    await recordAudit(tx, {
      action: "freeze.created",
      targetType: "change_freeze",
      targetId: row!.id,
      targetLabel: `${input.environment} freeze`,
      after: { environment: input.environment, startsAt: input.startsAt, endsAt: input.endsAt, reason: row!.reason },
    });
    return { id: row!.id };
  });
}

/** Ends a freeze now (or drops one that has not started). */
export async function endFreeze({ ctx, input }: { ctx: ServiceContext; input: EndFreezeInput }) {
  requireRole(ctx.actor, "admin");
  return withTransaction(ctx, async (tx) => {
    const [row] = await tx.db.select().from(changeFreezes).where(eq(changeFreezes.id, input.id)).for("update");
    if (!row) throw new NotFound("No such freeze.");
    const now = new Date();
    if (row.endsAt <= now) throw new Conflict("This freeze has already ended.");
    const endsAt = row.startsAt > now ? new Date(row.startsAt.getTime() + 1) : now;
    await tx.db.update(changeFreezes).set({ endsAt }).where(eq(changeFreezes.id, row.id));
    await recordAudit(tx, {
      action: "freeze.ended",
      targetType: "change_freeze",
      targetId: row.id,
      targetLabel: `${row.environment} freeze`,
      before: { endsAt: row.endsAt },
      after: { endsAt },
    });
    return { id: row.id };
  });
}

/** A CONFLICT when a freeze is in force now for an environment that has clusters (every release reaches every cluster). */
export async function requireNoFreeze(db: Queryable, what: string): Promise<void> {
  const environments = [...new Set((await db.select({ environment: clusters.environment }).from(clusters)).map((c) => c.environment))];
  if (environments.length === 0) return;
  const now = new Date();
  const [active] = await db
    .select()
    .from(changeFreezes)
    .where(and(inArray(changeFreezes.environment, environments), lte(changeFreezes.startsAt, now), gt(changeFreezes.endsAt, now)))
    .orderBy(asc(changeFreezes.endsAt))
    .limit(1);
  if (active)
    throw new Conflict(
      `${what} cannot be released now: ${active.environment} is frozen until ${active.endsAt.toISOString()} (${active.reason}).`,
    );
}
