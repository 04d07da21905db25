import "server-only";
// "Who am I": the signed-in person, their grants (with tenant names), what the
// console may offer them, and the sign-in methods joined to their account.
import { eq } from "drizzle-orm";
import { account, tenants, user } from "@/db/schema";
import { highestRole, mayDraftSomewhere } from "@/server/auth/authorize";
import type { ServiceContext } from "@/server/context";

export async function getMe({ ctx }: { ctx: ServiceContext }) {
  const { db, actor } = ctx;
  const [me] = await db
    .select({ name: user.name, email: user.email })
    .from(user)
    .where(eq(user.id, actor.id ?? ""));
  const tenantNames = new Map((await db.select({ id: tenants.id, name: tenants.name }).from(tenants)).map((t) => [t.id, t.name]));
  const grants = actor.grants.map((g) => ({ ...g, tenantName: g.tenantId ? (tenantNames.get(g.tenantId) ?? "unknown tenant") : null }));
  /** Sign-in methods joined to this account ("credential" is the password). */
  const signInMethods = (
    await db
      .select({ providerId: account.providerId })
      .from(account)
      .where(eq(account.userId, actor.id ?? ""))
  )
    .map((a) => a.providerId)
    .sort();
  return { ...me, grants, highestRole: highestRole(actor.grants), mayDraft: mayDraftSomewhere(actor.grants), signInMethods };
}
