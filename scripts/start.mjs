#!/usr/bin/env node
// `npm start`: lock the build folder and the embedded database's folder for
// this process, build the console when the sources changed since the last
// build, bundle the worker threads' entries, then serve on $HOST:$PORT (default
// 127.0.0.1:3000) through Next's request handler.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CLIENT_IP_FROM_SERVER, CLIENT_IP_HEADER, clientIpResolver } from "./client-ip.mjs";
import { buildEngineWorker } from "./engine-worker.mjs";
import { FolderLockedError, lockFolder } from "./folder-lock.mjs";
import { WORKER_ENTRIES } from "./worker-entries.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const nextBin = path.join(root, "node_modules", "next", "dist", "bin", "next");
const SOURCES = [
  "app",
  "components",
  "server",
  "db",
  "proxy.ts",
  "instrumentation.ts",
  "instrumentation-node.ts",
  "lib",
  "next.config.ts",
  "package-lock.json",
  "postcss.config.mjs",
];
// Tests and benchmarks beside the sources do not change the build.
const IGNORED = /\.test\.ts$|__tests__|__fixtures__/;
const distDir = path.join(root, process.env.NEXT_DIST_DIR ?? ".next");
const stampFile = path.join(distDir, "policyplane-source-stamp");

/** A fingerprint of the sources: paths, sizes and modification times. */
function sourceStamp() {
  const hash = createHash("sha256");
  const walk = (p) => {
    const stat = statSync(p);
    if (stat.isDirectory()) {
      for (const entry of readdirSync(p).sort()) walk(path.join(p, entry));
    } else if (!IGNORED.test(p)) {
      hash.update(`${path.relative(root, p)}:${stat.size}:${stat.mtimeMs}\n`);
    }
  };
  for (const s of SOURCES) if (existsSync(path.join(root, s))) walk(path.join(root, s));
  return hash.digest("hex");
}

// A container image (Dockerfile) is built once and runs on a read-only root filesystem: its build is
// final, nothing is rebuilt, and a second server cannot share its folders (each pod has its own).
const prebuilt = process.env.POLICYPLANE_PREBUILT === "1";
if (prebuilt && !existsSync(path.join(distDir, "BUILD_ID"))) {
  console.error(`[policyplane] not started: POLICYPLANE_PREBUILT=1 but ${distDir} holds no build (run \`next build\` in the image).`);
  process.exit(1);
}

// Before anything is built or opened: a second `npm start` on the same folders must leave them alone.
try {
  if (!prebuilt)
    lockFolder(distDir, {
      label: "The build folder",
      advice: "Another Policyplane server runs from it: stop it first, or give this one its own NEXT_DIST_DIR (and PGLITE_DIR).",
    });
  if (!process.env.DATABASE_URL?.trim()) {
    lockFolder(path.resolve(process.env.PGLITE_DIR ?? ".data/pglite"), {
      label: "The embedded database",
      advice: "Another Policyplane server uses it: stop it first, or give this one its own PGLITE_DIR (or use PostgreSQL, DATABASE_URL).",
    });
  }
} catch (error) {
  if (!(error instanceof FolderLockedError)) throw error;
  console.error(`[policyplane] not started: ${error.message}`);
  process.exit(1);
}

const stamp = prebuilt ? null : sourceStamp();
const built =
  prebuilt || (existsSync(path.join(distDir, "BUILD_ID")) && existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp);
if (!built) {
  console.log("[policyplane] building the console (first start or sources changed)…");
  const result = spawnSync(process.execPath, [nextBin, "build"], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
  writeFileSync(stampFile, stamp);
}

// Engine work for requests runs in worker threads that load this bundle (server/engine-pool); the
// Simulator's scans and runs and the audit verification's hashing in their own. Bundled now: bundling
// on first use runs a child process synchronously, which would hold every request up for seconds.
try {
  for (const w of Object.values(WORKER_ENTRIES)) process.env[w.env] = await buildEngineWorker(undefined, w.entry, w.prefix);
} catch (error) {
  console.error(`[policyplane] could not bundle the engine worker: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
}

const port = Number(process.env.PORT ?? "3000");
// Loopback unless asked: HOST=0.0.0.0 opens the console to the network (server/env.ts
// then refuses the demo's published-password accounts unless explicitly allowed).
const host = process.env.HOST?.trim() || "127.0.0.1";
process.env.HOST = host;
// Next's own server passes a client's X-Forwarded-For through untouched, so sign-in rate
// limiting could be dodged with a made-up address per attempt. This server states the
// address itself (scripts/client-ip.mjs) and hands every request to Next.
process.env.NODE_ENV = "production";
process.env.NEXT_TELEMETRY_DISABLED = "1";
process.env[CLIENT_IP_FROM_SERVER] = "1";
const clientIp = clientIpResolver(process.env.TRUSTED_PROXIES);
const { default: next } = await import("next");
const app = next({ dev: false, dir: root, port, hostname: host });
await app.prepare();
const handle = app.getRequestHandler();
// Idle keep-alive connections stay open 65 s, as `policyplane serve` keeps them: longer than the idle
// timeout of the usual load balancers (60 s) and HTTP clients, so a client never sends a request on a
// connection the server is closing at that moment (Node's 5 s default made that race an ECONNRESET).
const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  req.headers[CLIENT_IP_HEADER] = clientIp(req.socket.remoteAddress, req.headers["x-forwarded-for"]);
  void handle(req, res);
});
server.on("error", (error) => {
  console.error(`[policyplane] cannot serve on ${host} port ${port}: ${error.message}`);
  process.exit(1);
});
server.listen(port, host, () => console.log(`[policyplane] listening on http://${host === "127.0.0.1" ? "localhost" : host}:${port}`));
// Stop taking connections, let requests in flight finish (a few seconds at most), then exit.
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 };
for (const [signal, code] of Object.entries(SIGNAL_EXIT)) {
  process.on(signal, () => {
    server.close(() => process.exit(code));
    server.closeIdleConnections();
    setTimeout(() => process.exit(code), 5000).unref();
  });
}
