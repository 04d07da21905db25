import "server-only";
// GET /api/v1/metrics (Prometheus text format) and the middleware that counts and times every request of
// the REST app, in the console and in `policyplane serve` alike. Scraping takes a machine token with the
// `metrics` scope (Prometheus: `authorization: { credentials_file: … }`); POLICYPLANE_METRICS=off answers 404.
import type { Context, Hono, Next } from "hono";
import { matchedRoutes } from "hono/route";
import type { Database } from "@/db/client";
import { NotFound } from "@/server/errors";
import { recordRequest, renderMetrics } from "@/server/metrics/metrics";
import { requireScope } from "@/server/tokens/scopes";
import type { ApiEnv } from "./app";
import { authenticateMachine } from "./decide";

/** The route pattern a request matched (`/api/v1/clusters/:name/observed`), never its raw path: labels stay few. */
export function routeLabel(c: Context): string {
  // Middleware (app.use) matches as method ALL, also after the handler (the token middleware follows /decide).
  const handler = matchedRoutes(c).findLast((r) => r.method !== "ALL");
  return handler?.path ?? "unmatched";
}

/** Counts and times every request, errors included (the app's onError has answered by the time this sees it). */
export async function countRequests(c: Context<ApiEnv>, next: Next): Promise<void> {
  const started = performance.now();
  await next();
  recordRequest({ app: "api", method: c.req.method, route: routeLabel(c) }, c.res.status, started);
}

export function metricsRoutes(app: Hono<ApiEnv>, getDb: () => Promise<Database>, enabled: "on" | "off") {
  app.get("/metrics", async (c) => {
    if (enabled === "off") throw new NotFound("Metrics are switched off here (POLICYPLANE_METRICS=off).");
    const actor = await authenticateMachine(getDb, c.req.header("authorization") ?? "", c.get("requestId"));
    requireScope(actor, "metrics");
    const { contentType, body } = await renderMetrics(getDb);
    return c.body(body, 200, { "content-type": contentType, "cache-control": "no-store" });
  });
}
