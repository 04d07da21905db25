import "server-only";
// The REST API for machines (cluster agents, CI, webhooks): one fetch-standard
// Hono app, mounted by Next.js under /api/v1 and runnable on its own.
import { randomUUID } from "node:crypto";
import { Hono, type Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { bodyLimit } from "hono/body-limit";
import type { Database } from "@/db/client";
import { MAX_REQUEST_BYTES } from "@/lib/http-limits";
import { DATASET_UPLOAD_PATH } from "@/lib/simulator";
import { IngestAlertTrigger } from "@/server/alerts/on-ingest";
import type { Actor } from "@/server/context";
import { Forbidden, Unauthenticated } from "@/server/errors";
import type { DatasetStore } from "@/server/simulator/datasets";
import { env } from "@/server/env";
import { authenticateApiToken } from "@/server/tokens/tokens";
import { decisionPointHealth, noteDatabaseDown } from "@/server/decide/point";
import { changeRequestRoutes } from "./change-requests";
import { clusterRoutes } from "./clusters";
import { machineRoutes } from "./machines";
import { countRequests, metricsRoutes } from "./metrics";
import { FlowRateLimiter, type FlowRate } from "./flow-rate";
import { INTERNAL_ERROR_BODY, isJsonContentType, refuseUnsafeText, serviceErrorReply, TOO_LARGE_BODY } from "./replies";
import { flowRoutes } from "./flows";
import { releaseRoutes } from "./releases";
import { replayRoutes } from "./replay";
import { violationRoutes } from "./violations";

export { MAX_REQUEST_BYTES };

export type ApiEnv = { Variables: { db: Database; actor: Actor; requestId: string } };

export interface ApiOptions {
  /** The person behind the console's session cookie, if any (better-auth's getSession). */
  sessionActor?: (headers: Headers, db: Database) => Promise<Actor | null>;
  /** Origins the console is served from: a cookie call must come from one of them (CSRF). */
  trustedOrigins?: readonly string[];
  /** Where uploaded datasets go (default: the data folder's); tests pass their own, with a lower size limit. */
  datasetStore?: DatasetStore;
  /** Flood control of POST /flows per cluster (default: FLOW_RATE_PER_SECOND and FLOW_RATE_BURST); tests pass a low one. */
  flowRate?: FlowRate;
  /**
   * Alert rules evaluated after each flow batch commits, at most once per rule per this many ms
   * (default: ALERT_ON_INGEST_MS; 0 or false: only the timer evaluates them), or a trigger of the caller's.
   */
  alertsOnIngest?: number | false | IngestAlertTrigger;
  /** GET /metrics served (default: POLICYPLANE_METRICS). */
  metrics?: "on" | "off";
  /** How often /violations/stream looks for new events (default 1 s); tests pass a shorter one. */
  streamPollMs?: number;
}

const SAFE_METHODS = ["GET", "HEAD", "OPTIONS"];

function ingestAlertTrigger(getDb: () => Promise<Database>, setting: number | false | IngestAlertTrigger): IngestAlertTrigger | null {
  if (setting instanceof IngestAlertTrigger) return setting;
  if (setting === false || setting === 0) return null;
  return new IngestAlertTrigger(getDb, {
    minIntervalMs: setting,
    log: (message, error) => (error ? console.error(`[policyplane] ${message}:`, error) : console.log(`[policyplane] ${message}`)),
  });
}

export function createApiApp(getDb: () => Promise<Database>, options: ApiOptions = {}) {
  const app = new Hono<ApiEnv>().basePath("/api/v1");

  app.onError((error, c) => {
    const requestId = c.get("requestId") ?? "unknown";
    const reply = serviceErrorReply(error, requestId);
    if (reply) return c.json(reply.body, reply.status as ContentfulStatusCode, reply.headers);
    console.error(`[api] ${c.req.method} ${c.req.path} failed (request ${requestId})`, error);
    return c.json({ ...INTERNAL_ERROR_BODY, requestId }, 500);
  });
  app.notFound((c) => c.json({ error: "NotFound", message: `No API route ${c.req.method} ${c.req.path}` }, 404));

  app.use("*", async (c, next) => {
    c.set("requestId", c.req.header("x-request-id") ?? randomUUID());
    c.header("x-request-id", c.get("requestId"));
    await next();
  });
  app.use("*", countRequests);
  const isUpload = (c: Context<ApiEnv>) => c.req.method === "POST" && c.req.path === DATASET_UPLOAD_PATH;
  const tooLarge = (c: Context<ApiEnv>) => c.json(TOO_LARGE_BODY, 413);
  const limitBody = bodyLimit({ maxSize: MAX_REQUEST_BYTES, onError: tooLarge });
  // A dataset upload streams to disk under its own (larger) limit (server/simulator/datasets.ts). A body
  // with a Content-Length is judged by it here, from the headers alone (node:http stops reading at that
  // length): hono's bodyLimit would build the whole fetch Request first, a cost on every decision.
  app.use("*", (c, next) => {
    if (isUpload(c)) return next();
    const length = c.req.header("content-length");
    if (length !== undefined && /^\d+$/.test(length) && c.req.header("transfer-encoding") === undefined)
      return Number(length) > MAX_REQUEST_BYTES ? Promise.resolve(tooLarge(c)) : next();
    return limitBody(c, next);
  });

  // Text the database cannot store (NUL, lone surrogates) is refused at the edge, naming where it is.
  app.use("*", async (c, next) => {
    // An upload's body is a file, streamed to disk: never parsed here, whatever its content type.
    const json = !isUpload(c) && isJsonContentType(c.req.header("content-type")) ? await c.req.json().catch(() => undefined) : undefined;
    refuseUnsafeText(c.req.path, c.req.queries(), json);
    await next();
  });

  app.get("/health", async (c) => {
    try {
      const db = await getDb();
      await db.execute("select 1");
    } catch (error) {
      // The decision point keeps serving the releases it loaded: say which, or that it fails closed.
      noteDatabaseDown(error);
      const { databaseError, clusters } = decisionPointHealth();
      return c.json(
        { status: clusters.length > 0 ? "degraded" : "down", database: "unreachable", databaseError, decide: { clusters } },
        503,
      );
    }
    return c.json({ status: "ok" });
  });
  metricsRoutes(app, getDb, options.metrics ?? env().POLICYPLANE_METRICS);
  machineRoutes(app, getDb); // ahead of the middleware below: decide and admission authenticate themselves (and answer while the database is down)

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
  replayRoutes(app, options.datasetStore);
  clusterRoutes(app);
  violationRoutes(app, { pollMs: options.streamPollMs });
  flowRoutes(
    app,
    new FlowRateLimiter(options.flowRate ?? { perSecond: env().FLOW_RATE_PER_SECOND, burst: env().FLOW_RATE_BURST }),
    ingestAlertTrigger(getDb, options.alertsOnIngest ?? env().ALERT_ON_INGEST_MS),
  );

  return app;
}
