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
  /**
   * A string is sent whole (with its Content-Length); pieces are streamed (chunked), each written
   * when the socket has taken the last, so a large body is never one string or buffer in memory.
   */
  body?: string | Iterable<string>;
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
  const { body } = call;
  if (typeof body === "string") headers["content-length"] = Buffer.byteLength(body);
  const request = url.protocol === "http:" ? http.request : https.request;
  return new Promise((resolve, reject) => {
    const r = request(url, { method: call.method, headers, agent: call.agent, auth: call.auth ?? undefined }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }));
    });
    r.on("error", reject);
    if (body === undefined || typeof body === "string") r.end(body);
    else writePieces(r, body[Symbol.iterator]());
  });
}

function writePieces(r: http.ClientRequest, pieces: Iterator<string>) {
  for (;;) {
    const next = pieces.next();
    if (next.done) return void r.end();
    if (next.value !== "" && !r.write(next.value)) return void r.once("drain", () => writePieces(r, pieces));
    if (r.destroyed) return;
  }
}
