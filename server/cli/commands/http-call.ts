/**
 * One HTTP(S) request with Node's own client, the body read whole. The agent's calls (to the API
 * server and to Policyplane) go through it rather than `fetch`: Node loads its fetch (undici) on
 * first use, ~20 MB of the agent's resident memory for a few calls a minute.
 */
import http from "node:http";
import https from "node:https";

export interface HttpCall {
  method: string;
  headers?: http.OutgoingHttpHeaders;
  body?: string;
  /** The connection's agent (TLS and proxy settings); default Node's global one. */
  agent?: http.Agent;
  /** user:password (basic authentication). */
  auth?: string | null;
}

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

export function httpCall(url: URL, call: HttpCall): Promise<HttpAnswer> {
  const headers = { ...call.headers };
  if (call.body !== undefined) headers["content-length"] = Buffer.byteLength(call.body);
  const request = url.protocol === "http:" ? http.request : https.request;
  return new Promise((resolve, reject) => {
    const r = request(url, { method: call.method, headers, agent: call.agent, auth: call.auth ?? undefined }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }));
    });
    r.on("error", reject);
    r.end(call.body);
  });
}
