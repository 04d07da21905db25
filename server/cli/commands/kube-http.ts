/**
 * The agent's few Kubernetes API calls (paged lists, watches, server-side apply, delete), made with the
 * connection @kubernetes/client-node's KubeConfig sets up (credentials, exec and OIDC plugins, TLS,
 * proxies: `applyToHTTPSOptions`) and Node's own http(s) client (http-call.ts). The package's generated API
 * classes are not used: each one pulls in its ObjectSerializer and with it every model class of the
 * Kubernetes API (~1,000 modules), which was 60 MB of the agent's 110 MB at rest, and decodes each
 * listed item into model objects the agent throws away after trimming. Nor is its Watch: it fetches
 * with node-fetch and splits lines with readline, which load node-fetch, zlib and readline.
 *
 * KubeConfig is imported from its own file (the package has no "exports" map, so its dist files are
 * importable), not from the package index, which loads every module of the package.
 */
import http from "node:http";
import https from "node:https";
import type { KubeConfig } from "@kubernetes/client-node/dist/config.js";

export { KubeConfig } from "@kubernetes/client-node/dist/config.js";
import { httpCall } from "./http-call";

/** The API server answered with an error status; `body` is its Status object (or text). */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly body: unknown,
    method: string,
    path: string,
  ) {
    const message = typeof body === "object" && body !== null ? (body as { message?: unknown }).message : body;
    super(`${method} ${path}: HTTP ${code}${typeof message === "string" && message ? `: ${message}` : ""}`);
    this.name = "KubeApiError";
  }
}

export interface KubeRequest {
  method?: "GET" | "PATCH" | "DELETE";
  /** Path under the cluster's server URL, e.g. `/api/v1/pods`. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
}

/** The URL of `path` on the cluster `kc` points at, and the connection's settings (credentials, TLS, proxy). */
async function connection(kc: KubeConfig, path: string, query: KubeRequest["query"]) {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("the kubeconfig has no current cluster");
  const url = new URL(cluster.server.replace(/\/$/, "") + path);
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
  const options: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(options);
  // KubeConfig sets a plain object of headers (the token, impersonation).
  const headers: http.OutgoingHttpHeaders = { ...(options.headers as http.OutgoingHttpHeaders | undefined), accept: "application/json" };
  return { url, headers, agent: options.agent as http.Agent | undefined, auth: options.auth };
}

/** One call to the API server; answers the response's JSON (a non-2xx status throws KubeApiError). */
export async function kubeRequest<T = unknown>(kc: KubeConfig, req: KubeRequest): Promise<T> {
  const { url, headers, agent, auth } = await connection(kc, req.path, req.query);
  const method = req.method ?? "GET";
  const body = req.body === undefined ? undefined : JSON.stringify(req.body);
  if (body !== undefined) headers["content-type"] = req.contentType ?? "application/json";
  const answer = await httpCall(url, { method, headers, body, agent, auth });
  let json: unknown = answer.text;
  try {
    json = answer.text ? JSON.parse(answer.text) : null;
  } catch {
    // Not JSON (a proxy's error page): kept as text for the error.
  }
  if (answer.status >= 200 && answer.status < 300) return json as T;
  throw new KubeApiError(answer.status, json, method, url.pathname);
}

/** The longest watch line taken (an event carries one object, which etcd caps at 1.5 MiB): more is no event, and is not kept. */
const MAX_WATCH_LINE = 8 << 20;

/** A watch under way: abort() ends it (its `done` then gets an AbortError). */
export interface KubeWatch {
  abort(): void;
}

/** The error a watch ends with when the API server does not answer 200 (410 Gone: the resourceVersion is too old). */
export class KubeWatchError extends Error {
  constructor(readonly statusCode: number) {
    super(`watch: HTTP ${statusCode} ${http.STATUS_CODES[statusCode] ?? ""}`.trim());
    this.name = "KubeWatchError";
  }
}

/**
 * Watches `path` (`watch=true`, from `query`'s resourceVersion) on the cluster `kc` points at: each
 * line of the answer is one event, handed to `onEvent` (its type: ADDED, MODIFIED, DELETED, BOOKMARK or
 * ERROR, and its object). `done` is called once: with null when the server ends the watch, else with
 * the error (a KubeWatchError for an answer other than 200). Rejects when the connection cannot be set
 * up (no current cluster, a credential plugin failing). A watch on which nothing arrives for `idleMs`
 * ends with an error: a stalled stream behind a proxy, or a server that never answers, which TCP
 * keep-alive alone does not find (its probes reach the proxy, or the connection is alive).
 */
export async function kubeWatch<T = unknown>(
  kc: KubeConfig,
  path: string,
  query: KubeRequest["query"],
  onEvent: (type: string, object: T) => void,
  done: (err: Error | null) => void,
  idleMs?: number,
): Promise<KubeWatch> {
  const { url, headers, agent, auth } = await connection(kc, path, { ...query, watch: true });
  let finished = false;
  const finish = (err: Error | null) => {
    if (finished) return;
    finished = true;
    done(err);
  };
  let rest = "";
  const take = (text: string) => {
    const lines = (rest + text).split("\n");
    rest = lines.pop() ?? "";
    if (rest.length > MAX_WATCH_LINE) {
      end(new Error(`the watch sent a line of more than ${MAX_WATCH_LINE / (1 << 20)} MiB without its end`));
      return;
    }
    for (const line of lines) {
      if (!line.trim()) continue;
      let event: { type?: unknown; object?: unknown } | null;
      try {
        event = JSON.parse(line) as typeof event;
      } catch {
        continue; // not an event (a proxy's noise): the next line may be
      }
      if (finished) return;
      if (typeof event?.type !== "string" || typeof event.object !== "object" || event.object === null) {
        end(new Error(`the watch sent a line that is not an event: ${line.slice(0, 200)}`));
        return;
      }
      try {
        onEvent(event.type, event.object as T);
      } catch (err) {
        // Thrown inside the response's 'data' listener it would end the process: the watch ends with it instead.
        end(err instanceof Error ? err : new Error(String(err)));
        return;
      }
    }
  };
  const request = url.protocol === "http:" ? http.request : https.request;
  const req = request(url, { method: "GET", headers, agent, auth: auth ?? undefined }, (res) => {
    if (res.statusCode !== 200) {
      res.resume();
      finish(new KubeWatchError(res.statusCode ?? 0));
      return void req.destroy();
    }
    res.setEncoding("utf8");
    res.on("data", take);
    res.on("error", finish);
    res.on("end", () => take("\n"));
    res.on("close", () => finish(null));
  });
  // A watch idles for minutes: TCP keep-alive finds a connection that died meanwhile.
  req.on("socket", (socket) => socket.setKeepAlive(true, 30_000));
  if (idleMs !== undefined) req.setTimeout(idleMs, () => end(new Error(`the watch sent nothing for ${idleMs / 1000} s`)));
  req.on("error", finish);
  req.end();
  function end(err: Error) {
    finish(err);
    req.destroy();
  }
  return {
    abort() {
      const aborted = new Error("the watch was aborted");
      aborted.name = "AbortError";
      end(aborted);
    },
  };
}
