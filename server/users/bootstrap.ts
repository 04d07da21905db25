import "server-only";
// The way into a real installation: while no global admin exists, `policyplane
// admin create --email …` makes one and prints a one-time link to set their
// password. The link's token is kept only as a SHA-256 (in better-auth's
// verification table, under an identifier better-auth never reads), expires
// after 24 hours and works once.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { and, eq, gt, isNull } from "drizzle-orm";
import { hashPassword } from "better-auth/crypto";
import { account, memberships, user, verification } from "@/db/schema";
import { recordAudit } from "@/server/audit/record";
import { userActor } from "@/server/auth/auth-audit";
import { withTransaction, type AnonymousContext, type ServiceContext } from "@/server/context";
import { Conflict, InvalidInput } from "@/server/errors";
import { lockGlobalAdmins } from "@/server/settings/users";
import type { CreateFirstAdminInput, SetPasswordInput } from "./schemas";

export const SET_PASSWORD_LINK_HOURS = 24;
const IDENTIFIER_PREFIX = "policyplane-set-password:";
const identifierOf = (token: string) => `${IDENTIFIER_PREFIX}${createHash("sha256").update(token).digest("hex")}`;

export interface FirstAdmin {
  userId: string;
  /** The one-time token: shown once, stored only hashed. */
  token: string;
  expiresAt: Date;
}

/** Makes `email` the first global admin; refuses (CONFLICT) once any global admin exists. */
export async function createFirstAdmin({
  ctx,
  input,
  now = new Date(),
}: {
  ctx: ServiceContext;
  input: CreateFirstAdminInput;
  now?: Date;
}): Promise<FirstAdmin> {
  const email = input.email.trim().toLowerCase();
  return withTransaction(ctx, async (tx) => {
    await lockGlobalAdmins(tx);
    const admins = await tx.db
      .select({ id: memberships.id })
      .from(memberships)
      .where(and(eq(memberships.role, "admin"), isNull(memberships.tenantId)))
      .limit(1);
    if (admins.length > 0)
      throw new Conflict("An admin already exists: this command only creates the first one. Ask an admin to add people in Settings.");
    const [existing] = await tx.db.select({ id: user.id }).from(user).where(eq(user.email, email));
    const userId = existing?.id ?? randomUUID();
    if (!existing)
      await tx.db
        .insert(user)
        .values({ id: userId, name: input.name?.trim() || email, email, emailVerified: true, createdAt: now, updatedAt: now });
    await tx.db.insert(memberships).values({ userId, tenantId: null, role: "admin", committeeFunction: null });
    const token = randomBytes(32).toString("base64url");
    const expiresAt = new Date(now.getTime() + SET_PASSWORD_LINK_HOURS * 3600_000);
    await tx.db
      .insert(verification)
      .values({ id: randomUUID(), identifier: identifierOf(token), value: userId, expiresAt, createdAt: now, updatedAt: now });
    await recordAudit(tx, {
      action: "admin.bootstrapped",
      targetType: "user",
      targetId: userId,
      targetLabel: email,
      after: { email, createdUser: !existing, role: "admin", tenant: "global", setPasswordLinkExpiresAt: expiresAt.toISOString() },
    });
    return { userId, token, expiresAt };
  });
}

/** Sets the password of the link's person (creating their password sign-in if they had none) and spends the link. */
export async function setPasswordWithToken({
  ctx,
  input,
  now = new Date(),
}: {
  ctx: AnonymousContext;
  input: SetPasswordInput;
  now?: Date;
}): Promise<{ email: string }> {
  const { db } = ctx;
  const invalid = () =>
    new InvalidInput(
      "This link is not valid: it was already used, has expired (after 24 hours) or was mistyped. Ask an admin for a new one.",
      "token",
    );
  const [found] = await db
    .select()
    .from(verification)
    .where(and(eq(verification.identifier, identifierOf(input.token)), gt(verification.expiresAt, now)));
  if (!found) throw invalid();
  const actor = await userActor(db, found.value);
  return withTransaction({ db, actor, requestId: ctx.requestId }, async (tx) => {
    // Spent under the transaction: of two uses racing, one deletes the row and the other finds nothing.
    const spent = await tx.db.delete(verification).where(eq(verification.id, found.id)).returning({ userId: verification.value });
    if (spent.length === 0) throw invalid();
    const password = await hashPassword(input.password);
    const [credential] = await tx.db
      .select({ id: account.id })
      .from(account)
      .where(and(eq(account.userId, found.value), eq(account.providerId, "credential")));
    if (credential) await tx.db.update(account).set({ password, updatedAt: now }).where(eq(account.id, credential.id));
    else
      await tx.db.insert(account).values({
        id: randomUUID(),
        accountId: found.value,
        providerId: "credential",
        userId: found.value,
        password,
        createdAt: now,
        updatedAt: now,
      });
    await recordAudit(tx, {
      action: "user.password_set",
      targetType: "user",
      targetId: found.value,
      targetLabel: actor.label,
      after: { via: "one-time link" },
    });
    return { email: actor.label };
  });
}
