/**
 * The agent's few Kubernetes API calls (paged lists, server-side apply, delete), made with the
 * connection @kubernetes/client-node's KubeConfig sets up (credentials, exec and OIDC plugins, TLS,
 * proxies: `applyToHTTPSOptions`) and Node's own http(s) client. The package's generated API
 * classes are not used: each one pulls in its ObjectSerializer and with it every model class of the
 * Kubernetes API (~1,000 modules), which was 60 MB of the agent's 110 MB at rest, and decodes each
 * listed item into model objects the agent throws away after trimming.
 *
 * KubeConfig and Watch are imported from their own files (the package has no "exports" map, so its
 * dist files are importable), not from the package index, which loads every module of the package.
 */
import http from "node:http";
import https from "node:https";
import type { KubeConfig } from "@kubernetes/client-node/dist/config.js";

export { KubeConfig } from "@kubernetes/client-node/dist/config.js";
export { Watch } from "@kubernetes/client-node/dist/watch.js";

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
  const body = req.body === undefined ? undefined : JSON.stringify(req.body);
  // KubeConfig sets a plain object of headers (the token, impersonation).
  const headers: http.OutgoingHttpHeaders = { ...(options.headers as http.OutgoingHttpHeaders | undefined), accept: "application/json" };
  if (body !== undefined) {
    headers["content-type"] = req.contentType ?? "application/json";
    headers["content-length"] = Buffer.byteLength(body);
  }
  const request = url.protocol === "http:" ? http.request : https.request;
  return new Promise<T>((resolve, reject) => {
    const r = request(url, { method, headers, agent: options.agent, auth: options.auth }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: unknown = text;
        try {
          json = text ? JSON.parse(text) : null;
        } catch {
          // Not JSON (a proxy's error page): kept as text for the error.
        }
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve(json as T);
        else reject(new KubeApiError(status, json, method, url.pathname));
      });
    });
    r.on("error", reject);
    r.end(body);
  });
}
