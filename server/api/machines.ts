import "server-only";
// The routes for machines that authenticate themselves (so they keep answering while the database is
// unreachable) and the API's own reference: registered ahead of the app's token/session middleware.
import type { Hono } from "hono";
import type { Database } from "@/db/client";
import pkg from "@/package.json";
import { admissionRoutes } from "./admission";
import type { ApiEnv } from "./app";
import { decideRoutes } from "./decide";
import { openApiDocument } from "./openapi";

export function machineRoutes(app: Hono<ApiEnv>, getDb: () => Promise<Database>) {
  app.get("/openapi.json", (c) => c.json(openApiDocument(pkg.version)));
  decideRoutes(app, getDb);
  admissionRoutes(app, getDb);
}
