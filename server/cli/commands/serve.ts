// `policyplane serve`: the REST API (server/api/app.ts) on a bare node:http server, without Next.js,
// so the decision point scales on its own: several replicas over one PostgreSQL (DATABASE_URL). Machine
// tokens only (the console's session cookie belongs to the Next.js server). On the PGlite folder it
// must run while the console's server is stopped (one process per folder).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Database } from "@/db/client";
import { MAX_REQUEST_BYTES } from "@/lib/http-limits";
import { openConfiguredDatabase } from "@/scripts/open-configured-database";
import { createApiApp } from "@/server/api/app";
import { flushDecisionLog } from "@/server/decisions/log";
import { UsageError } from "../usage";

type FetchHandler = (request: Request) => Response | Promise<Response>;

/** The request body, read whole: a body over `limit` stops being read (the app answers 413 on its length). */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      chunks.push(chunk);
      req.resume();
      break;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** A node:http request as a fetch Request (bodies read whole: web streams cost more than the small JSON bodies they carry). */
async function toRequest(req: IncomingMessage): Promise<Request> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  const withBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(`http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`, {
    method: req.method ?? "GET",
    headers,
    ...(withBody ? { body: new Uint8Array(await readBody(req, MAX_REQUEST_BYTES)) } : {}),
  });
}

async function send(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    headers[name] = name === "set-cookie" ? response.headers.getSetCookie() : value;
  });
  res.writeHead(response.status, headers);
  res.end(response.body ? Buffer.from(await response.arrayBuffer()) : undefined);
}

export function nodeHandler(handle: FetchHandler) {
  return (req: IncomingMessage, res: ServerResponse) => {
    Promise.resolve()
      .then(async () => handle(await toRequest(req)))
      .then((response) => send(res, response))
      .catch((error: unknown) => {
        console.error("[serve] request failed", error);
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: "InternalError", message: "Something went wrong on the server." }));
      });
  };
}

/** Listens on `port` (0: any free one) and resolves once it does. */
export async function serveApi(getDb: () => Promise<Database>, port: number, host = "0.0.0.0"): Promise<{ server: Server; url: string }> {
  const app = createApiApp(getDb);
  const server = createServer(
    { keepAliveTimeout: 65_000 },
    nodeHandler((request) => app.fetch(request)),
  );
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
