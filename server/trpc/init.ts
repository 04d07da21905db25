import "server-only";
// tRPC: context, error mapping and the procedure builders. Routers stay thin:
// validate with zod, check the role here or in the service, call a service.
import { randomUUID } from "node:crypto";
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { ZodError, z } from "zod";
import type { Database } from "@/db/client";
import type { Role } from "@/db/schema";
import { findUnsafeText } from "@/lib/unsafe-text";
import { recordRefusal } from "@/server/audit/refusals";
import { loadGrants, requireRole } from "@/server/auth/authorize";
import type { Actor, ServiceContext } from "@/server/context";
import { Conflict, InvalidInput, ServiceError, isUniqueViolation } from "@/server/errors";
import { getRuntime } from "@/server/runtime";

export interface TrpcContext {
  db: Database;
  actor: Actor | null;
  requestId: string;
}

/** Context for a browser request: the actor comes from the better-auth session cookie. */
export async function createRequestContext(headers: Headers): Promise<TrpcContext> {
  const runtime = await getRuntime();
  const db = runtime.database.db;
  const requestId = headers.get("x-request-id") ?? randomUUID();
  const found = await runtime.auth.api.getSession({ headers });
  if (!found) return { db, actor: null, requestId };
  const grants = await loadGrants(db, found.user.id);
  return { db, actor: { type: "user", id: found.user.id, label: found.user.email, grants }, requestId };
}

const t = initTRPC.context<TrpcContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    const internal = error.code === "INTERNAL_SERVER_ERROR";
    return {
      ...shape,
      // Never send a stack trace or an internal message to the browser.
      message: internal ? "Something went wrong on the server. The request id is in the server log." : shape.message,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        fieldErrors:
          cause instanceof ZodError
            ? z.flattenError(cause).fieldErrors
            : cause instanceof InvalidInput && cause.field
              ? { [cause.field]: [cause.message] }
              : null,
        position: cause instanceof InvalidInput ? (cause.position ?? null) : null,
        /** A Conflict's details (a rebase's conflicts per policy), as REST sends them beside the message. */
        details: cause instanceof Conflict ? (cause.details ?? null) : null,
      },
    };
  },
});

export const createCallerFactory = t.createCallerFactory;
export const router = t.router;

/** Turns service errors into tRPC errors with the right code; logs the unexpected. */
const mapErrors = t.middleware(async ({ ctx, next, path }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    if (cause instanceof ServiceError) {
      throw new TRPCError({ code: cause.code, message: cause.message, cause });
    }
    if (isUniqueViolation(cause)) {
      // Two requests raced to create the same thing (same version, same membership).
      throw new TRPCError({ code: "CONFLICT", message: "Someone changed this at the same time. Reload and try again.", cause });
    }
    if (result.error.code === "INTERNAL_SERVER_ERROR") {
      console.error(`[trpc] ${path} failed (request ${ctx.requestId})`, result.error.cause ?? result.error);
    }
  }
  return result;
});

/**
 * A mutation the server refuses (no right, bad input, a conflict, nothing to act on) leaves one
 * `mutation.refused` event, written in its own transaction: the refused change itself wrote nothing,
 * since its own transaction rolled back. Outermost, so it sees refusals from every check below it.
 * Callers without a session are not recorded: there is no one to name.
 */
const auditRefusals = t.middleware(async ({ ctx, next, path, type }) => {
  const result = await next();
  if (!result.ok && type === "mutation" && ctx.actor) {
    await recordRefusal(
      { db: ctx.db, actor: ctx.actor, requestId: ctx.requestId },
      { procedure: path, code: result.error.code, message: result.error.message },
    );
  }
  return result;
});

/**
 * Every text in every input (descriptions, messages, names, YAML, map keys) must be storable:
 * a NUL or a lone surrogate is refused here, before any procedure's own schema or any role check.
 */
const storableText = t.middleware(async ({ getRawInput, next }) => {
  const unsafe = findUnsafeText(await getRawInput());
  if (unsafe)
    throw new TRPCError({ code: "BAD_REQUEST", message: unsafe.message, cause: new InvalidInput(unsafe.message, unsafe.field || "input") });
  return next();
});

export const publicProcedure = t.procedure.use(auditRefusals).use(mapErrors).use(storableText);

/** A signed-in caller, whatever their roles (for "who am I"). */
export const sessionProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.actor) throw new TRPCError({ code: "UNAUTHORIZED", message: "Your session has expired or you are not signed in." });
  const service: ServiceContext = { db: ctx.db, actor: ctx.actor, requestId: ctx.requestId };
  return next({ ctx: { ...ctx, actor: ctx.actor, service } });
});

/** A signed-in caller holding at least one role: people who arrive through SSO see nothing until granted one. */
export const protectedProcedure = sessionProcedure.use(({ ctx, next }) => {
  if (ctx.actor.grants.length === 0) {
    throw new TRPCError({
      code: "FORBIDDEN",
      message: "Your account has no role yet. Ask a Policyplane admin to grant you one in Settings.",
    });
  }
  return next();
});

/** Requires `role` globally. Tenant-scoped checks happen in the services, which know the tenant. */
export function roleProcedure(role: Role) {
  return protectedProcedure.use(({ ctx, next }) => {
    try {
      requireRole(ctx.actor, role);
    } catch (error) {
      throw new TRPCError({ code: "FORBIDDEN", message: (error as Error).message });
    }
    return next();
  });
}

export const adminProcedure = roleProcedure("admin");
