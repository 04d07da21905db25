// `policyplane serve`: the REST API (server/api/app.ts) on a bare node:http server, without Next.js,
// so the decision point scales on its own: several replicas over one PostgreSQL (DATABASE_URL). Machine
// tokens only (the console's session cookie belongs to the Next.js server). On the PGlite folder it
// must run while the console's server is stopped (one process per folder). The node:http adapter is
// @hono/node-server's.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Database } from "@/db/client";
import { getRequestListener } from "@hono/node-server";
import { openConfiguredDatabase } from "@/scripts/open-configured-database";
import { createApiApp } from "@/server/api/app";
import { observeDatabasePool } from "@/server/metrics/metrics";
import { flushDecisionLog } from "@/server/decisions/log";
import { UsageError } from "../usage";

/** Listens on `port` (0: any free one) and resolves once it does. */
export async function serveApi(getDb: () => Promise<Database>, port: number, host = "0.0.0.0"): Promise<{ server: Server; url: string }> {
  const app = createApiApp(getDb);
  // @hono/node-server builds the fetch Request lazily and answers Hono's string bodies without web streams:
  // the per-call adapter cost was most of the decision point's time (docs/benchmarks.md).
  const server = createServer({ keepAliveTimeout: 65_000 }, getRequestListener(app.fetch));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return { server, url: `http://${host === "0.0.0.0" ? "localhost" : host}:${address.port}` };
}

export async function runServe(opts: { port: string; host: string }): Promise<number> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port: expected 0-65535, got ${JSON.stringify(opts.port)}`);
  const handle = await openConfiguredDatabase();
  observeDatabasePool({ kind: handle.kind, maxConnections: handle.maxConnections });
  const { server, url } = await serveApi(async () => handle.db, port, opts.host);
  process.stdout.write(`policyplane serve: REST API listening on ${url}/api/v1 (${handle.kind})\n`);
  await new Promise<void>((resolve) => {
    const stop = () => server.close(() => resolve());
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await flushDecisionLog(); // what the decision log still holds in memory
  await handle.close();
  return 0;
}
