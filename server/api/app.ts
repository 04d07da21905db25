import "server-only";
// The REST API for machines (cluster agents, CI, webhooks): one fetch-standard
// Hono app, mounted by Next.js under /api/v1 and runnable on its own.
import { randomUUID } from "node:crypto";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Database } from "@/db/client";
import { MAX_REQUEST_BYTES } from "@/lib/http-limits";
import { findUnsafeText } from "@/lib/unsafe-text";
import type { Actor } from "@/server/context";
import { Forbidden, InvalidInput, ServiceError, Unauthenticated } from "@/server/errors";
import { authenticateApiToken } from "@/server/tokens/tokens";
import { changeRequestRoutes } from "./change-requests";
import { flowRoutes } from "./flows";
import { releaseRoutes } from "./releases";

export { MAX_REQUEST_BYTES };

export type ApiEnv = { Variables: { db: Database; actor: Actor; requestId: string } };

export interface ApiOptions {
  /** The person behind the console's session cookie, if any (better-auth's getSession). */
  sessionActor?: (headers: Headers, db: Database) => Promise<Actor | null>;
  /** Origins the console is served from: a cookie call must come from one of them (CSRF). */
  trustedOrigins?: readonly string[];
}

const SAFE_METHODS = ["GET", "HEAD", "OPTIONS"];

export function createApiApp(getDb: () => Promise<Database>, options: ApiOptions = {}) {
  const app = new Hono<ApiEnv>().basePath("/api/v1");

  app.onError((error, c) => {
    const requestId = c.get("requestId") ?? "unknown";
    if (error instanceof ServiceError && error.status !== 500) {
      const body: Record<string, unknown> = { error: error.name, message: error.message, requestId };
      if (error instanceof InvalidInput) Object.assign(body, { field: error.field, position: error.position });
      return c.json(body, error.status);
    }
    console.error(`[api] ${c.req.method} ${c.req.path} failed (request ${requestId})`, error);
    return c.json({ error: "InternalError", message: "Something went wrong on the server.", requestId }, 500);
  });
  app.notFound((c) => c.json({ error: "NotFound", message: `No API route ${c.req.method} ${c.req.path}` }, 404));

  app.use("*", async (c, next) => {
    c.set("requestId", c.req.header("x-request-id") ?? randomUUID());
    c.header("x-request-id", c.get("requestId"));
    await next();
  });
  app.use(
    "*",
    bodyLimit({
      maxSize: MAX_REQUEST_BYTES,
      onError: (c) =>
        c.json({ error: "TooLarge", message: `The request body is over the ${MAX_REQUEST_BYTES / 1024 / 1024} MiB limit.` }, 413),
    }),
  );

  // Text the database cannot store (NUL, lone surrogates) is refused at the edge, naming where it is.
  app.use("*", async (c, next) => {
    const json = /^application\/([\w.+-]+\+)?json/i.test(c.req.header("content-type") ?? "")
      ? await c.req.json().catch(() => undefined)
      : undefined;
    const unsafe = findUnsafeText(pathText(c.req.path), "path") ?? findUnsafeText(c.req.queries(), "query") ?? findUnsafeText(json, "body");
    if (unsafe) throw new InvalidInput(unsafe.message, unsafe.field);
    await next();
  });

  app.get("/health", async (c) => {
    const db = await getDb();
    await db.execute("select 1");
    return c.json({ status: "ok" });
  });

  // Everything below needs a machine token (`Authorization: Bearer ppt_…`) or the console's
  // session cookie; a cookie call must come from the console's own origin (CSRF).
  app.use("*", async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const db = await getDb();
    c.set("db", db);
    if (match) {
      c.set("actor", await authenticateApiToken({ ctx: { db, requestId: c.get("requestId") }, input: { token: match[1]! } }));
      return next();
    }
    const session = options.sessionActor && c.req.header("cookie") ? await options.sessionActor(c.req.raw.headers, db) : null;
    if (!session) throw new Unauthenticated("Send an API token as `Authorization: Bearer <token>`, or sign in to the console.");
    const origin = c.req.header("origin");
    const allowed = new Set([new URL(c.req.url).origin, ...(options.trustedOrigins ?? [])]);
    if (origin ? !allowed.has(origin) : !SAFE_METHODS.includes(c.req.method)) {
      throw new Forbidden(
        origin
          ? `A call with the console's session cookie must come from the console's origin, not ${origin}.`
          : "A call with the console's session cookie must carry the console's Origin header.",
      );
    }
    c.set("actor", session);
    return next();
  });

  app.get("/whoami", (c) => {
    const actor = c.get("actor");
    return c.json({ type: actor.type, id: actor.id, label: actor.label, grants: actor.grants });
  });

  changeRequestRoutes(app);
  releaseRoutes(app);
  flowRoutes(app);

  return app;
}

/** The request path as its route parameters will read it (percent-decoded where it can be). */
function pathText(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
