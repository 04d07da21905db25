/**
 * The agent's few Kubernetes API calls (paged lists, server-side apply, delete), made with the
 * connection @kubernetes/client-node's KubeConfig sets up (credentials, exec and OIDC plugins, TLS,
 * proxies: `applyToHTTPSOptions`) and Node's own http(s) client (http-call.ts). The package's generated API
 * classes are not used: each one pulls in its ObjectSerializer and with it every model class of the
 * Kubernetes API (~1,000 modules), which was 60 MB of the agent's 110 MB at rest, and decodes each
 * listed item into model objects the agent throws away after trimming.
 *
 * KubeConfig and Watch are imported from their own files (the package has no "exports" map, so its
 * dist files are importable), not from the package index, which loads every module of the package.
 */
import type http from "node:http";
import type https from "node:https";
import type { KubeConfig } from "@kubernetes/client-node/dist/config.js";

export { KubeConfig } from "@kubernetes/client-node/dist/config.js";
export { Watch } from "@kubernetes/client-node/dist/watch.js";
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

/** One call to the API server; answers the response's JSON (a non-2xx status throws KubeApiError). */
export async function kubeRequest<T = unknown>(kc: KubeConfig, req: KubeRequest): Promise<T> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("the kubeconfig has no current cluster");
  const url = new URL(cluster.server.replace(/\/$/, "") + req.path);
  for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
  const options: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(options);
  const method = req.method ?? "GET";
  // KubeConfig sets a plain object of headers (the token, impersonation).
  const headers: http.OutgoingHttpHeaders = { ...(options.headers as http.OutgoingHttpHeaders | undefined), accept: "application/json" };
  const body = req.body === undefined ? undefined : JSON.stringify(req.body);
  if (body !== undefined) headers["content-type"] = req.contentType ?? "application/json";
  const answer = await httpCall(url, { method, headers, body, agent: options.agent as http.Agent | undefined, auth: options.auth });
  let json: unknown = answer.text;
  try {
    json = answer.text ? JSON.parse(answer.text) : null;
  } catch {
    // Not JSON (a proxy's error page): kept as text for the error.
  }
  if (answer.status >= 200 && answer.status < 300) return json as T;
  throw new KubeApiError(answer.status, json, method, url.pathname);
}
