import "server-only";
// better-auth: e-mail + password (the demo, and small installs) and, when the
// OIDC_* variables are set, one generic OpenID Connect provider.
import { randomUUID } from "node:crypto";
import { betterAuth } from "better-auth";
import { createAuthMiddleware, isAPIError } from "better-auth/api";
import { drizzleAdapter } from "better-auth/adapters/drizzle";
import { nextCookies } from "better-auth/next-js";
import { genericOAuth } from "better-auth/plugins";
import type { Database } from "@/db/client";
import * as schema from "@/db/schema";
import { recordAudit } from "@/server/audit/record";
import { systemActor, withTransaction } from "@/server/context";
import { auditAuthEndpoint, userActor } from "./auth-audit";
import type { Env } from "@/server/env";
import { CLIENT_IP_FROM_SERVER, CLIENT_IP_HEADER } from "@/scripts/client-ip.mjs";

export const SESSION_TTL_SECONDS = 8 * 60 * 60;

export function createAuth(db: Database, env: Env, secret: string) {
  const baseURL = env.BETTER_AUTH_URL ?? `http://localhost:${env.PORT}`;
  const trustedOrigins = loopbackSpellings(baseURL);
  const oidc =
    env.OIDC_DISCOVERY_URL && env.OIDC_CLIENT_ID && env.OIDC_CLIENT_SECRET
      ? [
          genericOAuth({
            config: [
              {
                providerId: env.OIDC_PROVIDER_ID,
                discoveryUrl: env.OIDC_DISCOVERY_URL,
                clientId: env.OIDC_CLIENT_ID,
                clientSecret: env.OIDC_CLIENT_SECRET,
                scopes: env.OIDC_SCOPES.split(/\s+/),
                pkce: true,
              },
            ],
          }),
        ]
      : [];
  return betterAuth({
    appName: "Policyplane",
    baseURL,
    trustedOrigins,
    secret,
    database: drizzleAdapter(db, {
      provider: "pg",
      schema: {
        user: schema.user,
        session: schema.session,
        account: schema.account,
        verification: schema.verification,
        rateLimit: schema.rateLimit,
      },
    }),
    // Accounts are created by admins in Settings (or by the OIDC provider), never by self sign-up.
    emailAndPassword: { enabled: true, disableSignUp: true, minPasswordLength: 10 },
    session: { expiresIn: SESSION_TTL_SECONDS, updateAge: 60 * 60 },
    // An SSO identity never joins an existing local account by e-mail on its own (the provider's
    // "verified" is its word, not ours): the signed-in person links it in Settings (account.linked).
    account: { accountLinking: { enabled: true, disableImplicitLinking: true } },
    // Refusals during SSO (e.g. account_not_linked) come back to the sign-in page, which explains them.
    onAPIError: { errorURL: `${baseURL}/sign-in` },
    hooks: {
      after: createAuthMiddleware(async (ctx) => {
        const session = ctx.context.session ?? ctx.context.newSession;
        await auditAuthEndpoint(db, {
          path: ctx.path,
          body: ctx.body as Record<string, unknown> | undefined,
          userId: session?.user.id,
          failed: isAPIError(ctx.context.returned),
        });
      }),
    },
    rateLimit: {
      enabled: true,
      storage: "database",
      window: env.AUTH_RATE_LIMIT_WINDOW_SECONDS,
      max: env.AUTH_RATE_LIMIT_MAX * 10,
      customRules: {
        "/sign-in/email": { window: env.AUTH_RATE_LIMIT_WINDOW_SECONDS, max: env.AUTH_RATE_LIMIT_MAX },
      },
    },
    advanced: {
      useSecureCookies: baseURL.startsWith("https://"),
      defaultCookieAttributes: { sameSite: "lax", httpOnly: true },
      // Our server (scripts/start.mjs) writes this header from the socket and trusted proxies,
      // replacing any client value. Without it (next dev) no header is believed: one shared bucket.
      ipAddress: { ipAddressHeaders: process.env[CLIENT_IP_FROM_SERVER] === "1" ? [CLIENT_IP_HEADER] : [] },
    },
    plugins: [...oidc, nextCookies()],
    databaseHooks: {
      session: {
        create: {
          after: async (created) =>
            auditSession(db, "auth.signed_in", created, {
              ipAddress: created.ipAddress ?? null,
              userAgent: created.userAgent ?? null,
              expiresAt: created.expiresAt,
            }),
        },
        // Sign-out, and a session found expired or revoked: the trail shows when access ended.
        delete: {
          after: async (ended) => auditSession(db, "auth.session_ended", ended, { expired: ended.expiresAt.getTime() <= Date.now() }),
        },
      },
      account: {
        create: {
          // Password accounts are written by our own services (server/users/credentials.ts), not here.
          after: async (created) => {
            if (created.providerId === "credential") return;
            await withTransaction({ db, actor: await userActor(db, created.userId), requestId: `auth-${randomUUID()}` }, (tx) =>
              recordAudit(tx, {
                action: "account.linked",
                targetType: "user",
                targetId: created.userId,
                targetLabel: tx.actor.label,
                after: { provider: created.providerId },
              }),
            );
          },
        },
      },
      user: {
        create: {
          // Accounts made by the OIDC provider on first sign-in; admin-created ones are audited in Settings.
          after: async (created) => {
            const ctx = { db, actor: systemActor("single sign-on"), requestId: `sso-${randomUUID()}` };
            await withTransaction(ctx, (tx) =>
              recordAudit(tx, {
                action: "user.created",
                targetType: "user",
                targetId: created.id,
                targetLabel: created.email,
                after: { name: created.name, email: created.email, via: "oidc" },
              }),
            );
          },
        },
      },
    },
  });
}

export type Auth = ReturnType<typeof createAuth>;

const LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"];

/** The origins sign-in accepts: the public URL, and for a local start every loopback spelling of it a browser may use. */
export function loopbackSpellings(baseURL: string): string[] {
  const url = new URL(baseURL);
  if (!LOOPBACK_HOSTS.includes(url.hostname)) return [url.origin];
  return LOOPBACK_HOSTS.map((host) => `${url.protocol}//${host}${url.port ? `:${url.port}` : ""}`);
}

async function auditSession(db: Database, action: string, target: { id: string; userId: string }, after: Record<string, unknown>) {
  const actor = await userActor(db, target.userId);
  await withTransaction({ db, actor, requestId: `auth-${randomUUID()}` }, (tx) =>
    recordAudit(tx, { action, targetType: "session", targetId: target.id, targetLabel: actor.label, after }),
  );
}
