// `policyplane serve`: the REST API (server/api/app.ts) on a bare node:http server, without Next.js,
// so the decision point scales on its own: several replicas over one PostgreSQL (DATABASE_URL). Machine
// tokens only (the console's session cookie belongs to the Next.js server). On the PGlite folder it
// must run while the console's server is stopped (one process per folder). The node:http adapter is
// @hono/node-server's. With --tls-cert/--tls-key it terminates TLS itself (the API server calls an
// admission webhook over HTTPS only), and picks up a rotated certificate from the same files.
import { readFileSync, unwatchFile, watchFile } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { createSecureContext } from "node:tls";
import type { Database } from "@/db/client";
import { getRequestListener } from "@hono/node-server";
import { openConfiguredDatabase } from "@/scripts/open-configured-database";
import { stopIngestAlerts } from "@/server/alerts/on-ingest";
import { createApiApp } from "@/server/api/app";
import { isLeanDecide, leanDecideListener } from "@/server/api/decide-lean";
import { observeDatabasePool } from "@/server/metrics/metrics";
import { flushDecisionLog, scheduleDecisionLogSweep } from "@/server/decisions/log";
import { env } from "@/server/env";
import { scheduleMinuteClose } from "@/server/flows/close";
import { UsageError } from "../usage";

/** PEM files of the serving certificate (its chain may follow it) and its private key. */
export interface TlsFiles {
  cert: string;
  key: string;
}

/** Reads and checks the pair: a missing file or a key that is not the certificate's is a usage error naming it. */
function readTls(files: TlsFiles): { cert: Buffer; key: Buffer } {
  const read = (flag: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new UsageError(`${flag}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
  };
  const pair = { cert: read("--tls-cert", files.cert), key: read("--tls-key", files.key) };
  try {
    createSecureContext(pair);
  } catch (error) {
    throw new UsageError(
      `--tls-cert ${files.cert} / --tls-key ${files.key}: not a PEM certificate and its private key (${(error as Error).message})`,
    );
  }
  return pair;
}

/**
 * A rotated certificate (a Secret's files, which the kubelet updates in place) is picked up without a
 * restart: new connections get it; a pair that does not load is reported and the old one kept.
 */
function reloadTlsOnChange(server: ReturnType<typeof createHttpsServer>, files: TlsFiles, everyMs: number, log: (line: string) => void) {
  const reload = () => {
    try {
      server.setSecureContext(readTls(files));
      log(`policyplane serve: TLS certificate reloaded from ${files.cert}`);
    } catch (error) {
      log(`policyplane serve: kept the previous TLS certificate: ${(error as Error).message}`);
    }
  };
  for (const file of [files.cert, files.key]) watchFile(file, { interval: everyMs, persistent: false }, reload);
  server.once("close", () => [files.cert, files.key].forEach((file) => unwatchFile(file, reload)));
}

export interface ServeOptions {
  tls?: TlsFiles;
  /** How often the TLS files are checked for a new certificate. */
  tlsReloadMs?: number;
  log?: (line: string) => void;
}

/** Listens on `port` (0: any free one) and resolves once it does. */
export async function serveApi(
  getDb: () => Promise<Database>,
  port: number,
  host = "0.0.0.0",
  options: ServeOptions = {},
): Promise<{ server: Server; url: string }> {
  const app = createApiApp(getDb);
  // @hono/node-server builds the fetch Request lazily and answers Hono's string bodies without web streams:
  // the per-call adapter cost was most of the decision point's time (docs/benchmarks.md).
  const general = getRequestListener(app.fetch);
  // POST /api/v1/decide, the hot path, is answered before Hono (server/api/decide-lean.ts).
  const decide = leanDecideListener(getDb);
  const listener = (req: IncomingMessage, res: ServerResponse) => (isLeanDecide(req) ? decide(req, res) : general(req, res));
  const { tls } = options;
  const server = tls
    ? createHttpsServer({ ...readTls(tls), keepAliveTimeout: 65_000 }, listener)
    : createServer({ keepAliveTimeout: 65_000 }, listener);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  if (tls) reloadTlsOnChange(server as ReturnType<typeof createHttpsServer>, tls, options.tlsReloadMs ?? 30_000, options.log ?? (() => {}));
  const address = server.address() as AddressInfo;
  return { server, url: `${tls ? "https" : "http"}://${host === "0.0.0.0" ? "localhost" : host}:${address.port}` };
}

export async function runServe(opts: { port: string; host: string; tlsCert?: string; tlsKey?: string }): Promise<number> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port: expected 0-65535, got ${JSON.stringify(opts.port)}`);
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined))
    throw new UsageError("--tls-cert and --tls-key go together: give both, or neither for plain HTTP");
  const tls = opts.tlsCert !== undefined && opts.tlsKey !== undefined ? { cert: opts.tlsCert, key: opts.tlsKey } : undefined;
  if (tls) readTls(tls); // a bad pair is refused before the database is opened
  const handle = await openConfiguredDatabase();
  observeDatabasePool({ kind: handle.kind, maxConnections: handle.maxConnections });
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const { server, url } = await serveApi(async () => handle.db, port, opts.host, { ...(tls ? { tls } : {}), log });
  const logTask = (message: string, error?: unknown) => log(`policyplane serve: ${message}${error ? `: ${String(error)}` : ""}`);
  // This process writes the decision log, so it keeps it to its retention too (a plain DELETE: safe beside other replicas).
  const stopSweep = scheduleDecisionLogSweep(handle.db, 3600, logTask);
  // It ingests flows, so it closes their minutes into SIEM events too (safe beside other replicas and the console's server).
  const { FLOW_CLOSE_GRACE_SECONDS, FLOW_CLOSE_SECONDS } = env();
  const stopClose = scheduleMinuteClose(handle.db, { graceSeconds: FLOW_CLOSE_GRACE_SECONDS, everySeconds: FLOW_CLOSE_SECONDS }, logTask);
  process.stdout.write(`policyplane serve: REST API listening on ${url}/api/v1 (${handle.kind})\n`);
  await new Promise<void>((resolve) => {
    const stop = () => server.close(() => resolve());
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  stopSweep();
  stopClose();
  // Before the database closes: alert evaluations after the last flow batches, what the decision log still holds in memory.
  await Promise.all([stopIngestAlerts(), flushDecisionLog()]);
  await handle.close();
  return 0;
}
