import "server-only";
// What the audit trail says for each of better-auth's endpoints. Every endpoint
// has an entry (a test enumerates the auth instance's endpoints against this
// table), so a better-auth upgrade that adds one fails until someone decides.
//
// better-auth writes through its own adapter calls, outside any transaction we
// hold, and runs its "after" hooks once its write is done: the events below are
// written right after the change (audit.ts's chain lock keeps them ordered), not
// in the same transaction. A failed audit write fails the request loudly.
import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { user } from "@/db/schema";
import { recordAudit } from "@/server/audit/record";
import { withTransaction } from "@/server/context";

type Body = Record<string, unknown> | undefined;

export type AuthEndpointAudit =
  /** Written by the after-hook when the endpoint succeeds; `details` never holds a secret. */
  | { action: string; details?: (body: Body) => Record<string, unknown> }
  /** The change is audited where it reaches the database (databaseHooks in auth.ts). */
  | { auditedBy: string }
  /** Turned off in this installation's configuration: the endpoint refuses. */
  | { disabled: string }
  /** Reads, or writes nothing a person decides. */
  | { read: string };

export const AUTH_ENDPOINT_AUDIT: Record<string, AuthEndpointAudit> = {
  "/update-user": { action: "user.profile_updated", details: (body) => ({ fields: Object.keys(body ?? {}).sort() }) },
  "/change-password": {
    action: "user.password_changed",
    details: (body) => ({ revokedOtherSessions: body?.revokeOtherSessions === true }),
  },
  "/unlink-account": {
    action: "account.unlinked",
    details: (body) => ({ provider: typeof body?.providerId === "string" ? body.providerId : null }),
  },
  "/refresh-token": {
    action: "account.token_refreshed",
    details: (body) => ({ provider: typeof body?.providerId === "string" ? body.providerId : null }),
  },
  "/get-access-token": {
    action: "account.token_read",
    details: (body) => ({ provider: typeof body?.providerId === "string" ? body.providerId : null }),
  },
  "/sign-in/email": { auditedBy: "auth.signed_in (session created)" },
  "/sign-in/social": { auditedBy: "auth.signed_in when the provider returns (this only starts the redirect)" },
  "/callback/:id": { auditedBy: "auth.signed_in, user.created (first SSO sign-in), account.linked (explicit link)" },
  "/link-social": { auditedBy: "account.linked when the provider returns (this only starts the redirect)" },
  "/sign-out": { auditedBy: "auth.session_ended (session deleted)" },
  "/revoke-session": { auditedBy: "auth.session_ended (session deleted)" },
  "/revoke-sessions": { auditedBy: "auth.session_ended (each session deleted)" },
  "/revoke-other-sessions": { auditedBy: "auth.session_ended (each session deleted)" },
  "/sign-up/email": { disabled: "emailAndPassword.disableSignUp: accounts are made by admins or the bootstrap command" },
  "/delete-user": { disabled: "user.deleteUser is off: admins remove people in Settings (user.deleted)" },
  "/delete-user/callback": { disabled: "user.deleteUser is off" },
  "/change-email": { disabled: "user.changeEmail is off: the e-mail is the identity admins grant roles to" },
  "/request-password-reset": { disabled: "no reset e-mail sender is configured" },
  "/reset-password": { disabled: "no reset e-mail sender is configured; first passwords are set with a one-time link (set-password)" },
  "/reset-password/:token": { disabled: "no reset e-mail sender is configured" },
  "/send-verification-email": { disabled: "no verification e-mail sender is configured" },
  "/verify-email": { disabled: "no verification e-mails are sent, so no token to present exists" },
  "/update-session": { read: "no additional session fields are defined: nothing a person can change" },
  "/verify-password": { read: "checks a password, changes nothing" },
  "/get-session": { read: "reads the session (refreshing its expiry is bookkeeping, not a decision)" },
  "/list-sessions": { read: "read" },
  "/list-accounts": { read: "read" },
  "/account-info": { read: "read" },
  "/ok": { read: "health" },
  "/error": { read: "error page" },
};

/** The after-hook's work: one audit event for an endpoint whose entry names an action, when it succeeded. */
export async function auditAuthEndpoint(
  db: Database,
  input: { path: string; body: Body; userId: string | null | undefined; failed: boolean },
): Promise<void> {
  const entry = AUTH_ENDPOINT_AUDIT[input.path];
  if (!entry || !("action" in entry) || input.failed || !input.userId) return;
  const userId = input.userId;
  await withTransaction({ db, actor: await userActor(db, userId), requestId: `auth-${randomUUID()}` }, async (tx) =>
    recordAudit(tx, {
      action: entry.action,
      targetType: "user",
      targetId: userId,
      targetLabel: tx.actor.label,
      after: entry.details?.(input.body) ?? null,
    }),
  );
}

/** The person acting on their own account, for events better-auth's endpoints cause. */
export async function userActor(db: Database, userId: string) {
  const [who] = await db.select({ email: user.email }).from(user).where(eq(user.id, userId));
  return { type: "user" as const, id: userId, label: who?.email ?? userId, grants: [] };
}
