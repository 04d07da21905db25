import "server-only";
// Machine API tokens for cluster agents and CI: `ppt_<prefix>_<secret>`. Only a
// SHA-256 of the whole token is stored; the token is shown once, at creation.
import { randomBytes } from "node:crypto";
import { desc, eq } from "drizzle-orm";
import { apiTokens, clusters, tenants, tokenRotations } from "@/db/schema";
import { recordAudit } from "@/server/audit/record";
import { requireRole } from "@/server/auth/authorize";
import { withTransaction, type Actor, type AnonymousContext, type ServiceContext } from "@/server/context";
import { Conflict, NotFound, Unauthenticated } from "@/server/errors";
import { sha256Hex } from "@/server/lib/canonical";
import { forgetToken } from "./cache";
import { expiryFor, tokenSettingsOf } from "./policy";
import type { CreateApiTokenInput, RevokeApiTokenInput, RotateApiTokenInput } from "./schemas";

const LAST_USED_RESOLUTION_MS = 60_000;
const TOKEN_PATTERN = /^ppt_([a-z0-9]{8})_([A-Za-z0-9_-]{43})$/;

type TokenShape = Pick<CreateApiTokenInput, "name" | "role" | "tenantId" | "scopes"> & { clusterId: string | null };

/** Inserts a token and its "created" audit event, inside the caller's transaction. */
async function insertToken(
  tx: ServiceContext,
  shape: TokenShape,
  expiresAt: Date | null,
): Promise<{ id: string; token: string; prefix: string }> {
  const prefix = randomBytes(6)
    .toString("base64url")
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "x")
    .slice(0, 8);
  const token = `ppt_${prefix}_${randomBytes(32).toString("base64url")}`;
  const [row] = await tx.db
    .insert(apiTokens)
    .values({
      name: shape.name,
      prefix,
      secretHash: sha256Hex(token),
      role: shape.role,
      tenantId: shape.tenantId,
      scopes: shape.scopes,
      clusterId: shape.clusterId,
      createdBy: tx.actor.type === "user" ? tx.actor.id : null,
      expiresAt,
    })
    .returning({ id: apiTokens.id });
  await recordAudit(tx, {
    action: "token.created",
    targetType: "api_token",
    targetId: row!.id,
    targetLabel: `${shape.name} (ppt_${prefix}_…)`,
    tenantId: shape.tenantId,
    after: { name: shape.name, role: shape.role, tenantId: shape.tenantId, scopes: shape.scopes, clusterId: shape.clusterId, expiresAt },
  });
  return { id: row!.id, token, prefix };
}

export async function createApiToken({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: CreateApiTokenInput;
}): Promise<{ id: string; token: string; expiresAt: Date | null }> {
  requireRole(ctx.actor, "admin");
  return withTransaction(ctx, async (tx) => {
    if (input.tenantId) {
      const [tenant] = await tx.db.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, input.tenantId));
      if (!tenant) throw new NotFound("That tenant does not exist.");
    }
    if (input.clusterId) {
      const [cluster] = await tx.db.select({ id: clusters.id }).from(clusters).where(eq(clusters.id, input.clusterId));
      if (!cluster) throw new NotFound("That cluster does not exist.");
    }
    const expiresAt = expiryFor(await tokenSettingsOf(tx.db), input.expiresInDays);
    const { id, token } = await insertToken(tx, { ...input, clusterId: input.clusterId ?? null }, expiresAt);
    return { id, token, expiresAt };
  });
}

/**
 * A new token with the same name, role, tenant, scopes and cluster; the old one
 * keeps working for the grace period (never longer than it would have anyway).
 */
export async function rotateApiToken({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: RotateApiTokenInput;
}): Promise<{ id: string; token: string; expiresAt: Date | null; oldValidUntil: Date }> {
  requireRole(ctx.actor, "admin");
  const graceHours = input.graceHours ?? 24;
  const rotated = await withTransaction(ctx, async (tx) => {
    const [old] = await tx.db.select().from(apiTokens).where(eq(apiTokens.id, input.tokenId)).for("update");
    if (!old) throw new NotFound("No API token with that id.");
    const label = `${old.name} (ppt_${old.prefix}_…)`;
    if (old.revokedAt) throw new Conflict(`Token ${label} is revoked; create a new token instead of rotating it.`);
    const now = new Date();
    if (old.expiresAt && old.expiresAt <= now) throw new Conflict(`Token ${label} has expired; create a new token instead of rotating it.`);
    const [earlier] = await tx.db.select().from(tokenRotations).where(eq(tokenRotations.oldTokenId, old.id));
    if (earlier) throw new Conflict(`Token ${label} was already rotated; rotate its replacement instead.`);
    const expiresAt = expiryFor(await tokenSettingsOf(tx.db), input.expiresInDays, now);
    const graceEnd = new Date(now.getTime() + graceHours * 3_600_000);
    const oldValidUntil = old.expiresAt && old.expiresAt < graceEnd ? old.expiresAt : graceEnd;
    const fresh = await insertToken(tx, old, expiresAt);
    await tx.db.update(apiTokens).set({ expiresAt: oldValidUntil }).where(eq(apiTokens.id, old.id));
    await tx.db
      .insert(tokenRotations)
      .values({ oldTokenId: old.id, newTokenId: fresh.id, oldValidUntil, rotatedBy: ctx.actor.label, rotatedAt: now });
    await recordAudit(tx, {
      action: "token.rotated",
      targetType: "api_token",
      targetId: old.id,
      targetLabel: label,
      tenantId: old.tenantId,
      before: { expiresAt: old.expiresAt },
      after: { expiresAt: oldValidUntil, graceHours, replacedBy: fresh.id, replacement: `ppt_${fresh.prefix}_…` },
    });
    return { id: fresh.id, token: fresh.token, expiresAt, oldValidUntil };
  });
  // The old token's expiry moved up to the end of the grace period: cached copies must learn it.
  forgetToken(input.tokenId);
  return rotated;
}

export async function revokeApiToken({ ctx, input }: { ctx: ServiceContext; input: RevokeApiTokenInput }): Promise<void> {
  const id = input.tokenId;
  requireRole(ctx.actor, "admin");
  await withTransaction(ctx, async (tx) => {
    const [row] = await tx.db.select().from(apiTokens).where(eq(apiTokens.id, id));
    if (!row) throw new NotFound("No API token with that id.");
    if (row.revokedAt) throw new Conflict(`Token "${row.name}" was already revoked.`);
    const revokedAt = new Date();
    await tx.db.update(apiTokens).set({ revokedAt }).where(eq(apiTokens.id, id));
    await recordAudit(tx, {
      action: "token.revoked",
      targetType: "api_token",
      targetId: id,
      targetLabel: `${row.name} (ppt_${row.prefix}_…)`,
      tenantId: row.tenantId,
      before: { revokedAt: null },
      after: { revokedAt },
    });
  });
  // At once on this replica; other replicas within TOKEN_RECHECK_MS (server/tokens/cache.ts).
  forgetToken(id);
}

export async function listApiTokens({ ctx }: { ctx: ServiceContext }) {
  requireRole(ctx.actor, "admin");
  return ctx.db
    .select({
      id: apiTokens.id,
      name: apiTokens.name,
      prefix: apiTokens.prefix,
      role: apiTokens.role,
      tenantId: apiTokens.tenantId,
      scopes: apiTokens.scopes,
      clusterId: apiTokens.clusterId,
      createdAt: apiTokens.createdAt,
      expiresAt: apiTokens.expiresAt,
      lastUsedAt: apiTokens.lastUsedAt,
      revokedAt: apiTokens.revokedAt,
      rotatedToId: tokenRotations.newTokenId,
      rotatedAt: tokenRotations.rotatedAt,
      oldValidUntil: tokenRotations.oldValidUntil,
    })
    .from(apiTokens)
    .leftJoin(tokenRotations, eq(tokenRotations.oldTokenId, apiTokens.id))
    .orderBy(desc(apiTokens.createdAt));
}

/**
 * The actor behind a bearer token. Every failure (malformed, unknown, forged,
 * revoked, expired) gives the same answer, so a caller learns nothing from it.
 */
export async function authenticateApiToken({ ctx, input }: { ctx: AnonymousContext; input: { token: string } }): Promise<Actor> {
  return (await verifyApiToken({ ctx, input })).actor;
}

/** As authenticateApiToken, with the token's expiry (for caches that must not outlive it). */
export async function verifyApiToken({
  ctx,
  input,
}: {
  ctx: AnonymousContext;
  input: { token: string };
}): Promise<{ actor: Actor; expiresAt: Date | null }> {
  const { db } = ctx;
  const presented = input.token;
  const rejected = new Unauthenticated("Invalid, expired or revoked API token.");
  if (!TOKEN_PATTERN.test(presented)) throw rejected;
  const [row] = await db
    .select()
    .from(apiTokens)
    .where(eq(apiTokens.secretHash, sha256Hex(presented)));
  if (!row || row.revokedAt || (row.expiresAt && row.expiresAt.getTime() <= Date.now())) throw rejected;
  // "Last used" to the minute: one write per token per minute, not one per API call.
  const now = new Date();
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.id));
  }
  return {
    actor: {
      type: "token",
      id: row.id,
      label: `token:${row.name}`,
      grants: [{ tenantId: row.tenantId, role: row.role, committeeFunction: null }],
      scopes: row.scopes,
      clusterId: row.clusterId,
    },
    expiresAt: row.expiresAt,
  };
}
