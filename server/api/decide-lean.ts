import "server-only";
// The lean path of POST /api/v1/decide in `policyplane serve` (issue 18, performance): the node:http
// request listener answers it itself, before Hono, with what the app's middleware and route do for it
// (server/api/app.ts, server/api/decide.ts) and no more: a request id, the body limit (413), text the
// database cannot store (400), the same decision (answerDecide), the same error bodies, the same
// request metrics. Every other request, and this one under any other path or method, goes to the app.
// server/api/decide-lean.int.test.ts holds both answers side by side.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Database } from "@/db/client";
import { MAX_REQUEST_BYTES } from "@/lib/http-limits";
import { recordRequest } from "@/server/metrics/metrics";
import { decideOutputJson } from "@/server/decide/schemas";
import { notJson } from "./change-requests";
import { answerDecide } from "./decide";
import { INTERNAL_ERROR_BODY, isJsonContentType, refuseUnsafeText, serviceErrorReply, TOO_LARGE_BODY } from "./replies";

export const DECIDE_PATH = "/api/v1/decide";
/** The request metrics' labels of this route, as the app's countRequests gives them. */
const ROUTE = { app: "api", method: "POST", route: DECIDE_PATH } as const;
const NO_QUERY = {};
const TOO_LARGE_TEXT = JSON.stringify(TOO_LARGE_BODY);
// As fetch's Request.json() reads a body: UTF-8, a byte order mark dropped.
const utf8 = new TextDecoder();
const MAYBE_UNSAFE = /[\0\\\uD800-\uDFFF]/;

/** Whether the lean path answers this request (exactly POST /api/v1/decide, without a query). */
export const isLeanDecide = (req: IncomingMessage) => req.method === "POST" && req.url === DECIDE_PATH;

/**
 * The body, or null once it has grown past MAX_REQUEST_BYTES (a body without a Content-Length, sent in
 * chunks; the rest is read and dropped). Inline listeners only: this runs for every decision.
 */
function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      if (size > MAX_REQUEST_BYTES) return;
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) resolve(null);
      else chunks.push(chunk);
    });
    req.once("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.once("error", reject);
  });
}

/** A body read whole, parsed as JSON on first use (at most once); not JSON: the route's 400. */
class JsonBody {
  private parsed: { value: unknown } | null = null;
  constructor(readonly text: string) {}
  json(): unknown {
    if (this.parsed === null) {
      try {
        this.parsed = { value: JSON.parse(this.text) as unknown };
      } catch {
        throw notJson();
      }
    }
    return this.parsed.value;
  }
}

function send(res: ServerResponse, status: number, text: string, requestId: string, headers?: Record<string, string>): void {
  res.writeHead(status, {
    "content-type": "application/json",
    "x-request-id": requestId,
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** The listener for POST /api/v1/decide (see the module comment); the caller sends it only what isLeanDecide accepts. */
export function leanDecideListener(getDb: () => Promise<Database>) {
  const answer = async (req: IncomingMessage, res: ServerResponse, requestId: string): Promise<number> => {
    const length = req.headers["content-length"];
    const chunked = req.headers["transfer-encoding"] !== undefined;
    if (!chunked && length !== undefined && Number(length) > MAX_REQUEST_BYTES) {
      send(res, 413, TOO_LARGE_TEXT, requestId);
      return 413;
    }
    const raw = await readBody(req);
    if (raw === null) {
      send(res, 413, TOO_LARGE_TEXT, requestId);
      return 413;
    }
    const body = new JsonBody(utf8.decode(raw));
    try {
      // As the app's edge check (a JSON body that does not parse is left for the route to refuse). Without
      // a NUL, an escape or a surrogate in the text, no string in it can be unsafe: the walk is skipped.
      if (isJsonContentType(req.headers["content-type"]) && MAYBE_UNSAFE.test(body.text)) {
        let json: unknown;
        try {
          json = body.json();
        } catch {
          json = undefined;
        }
        refuseUnsafeText(DECIDE_PATH, NO_QUERY, json);
      }
      // Every Authorization header, joined as the app's Fetch Headers see them (node keeps only the
      // first in req.headers): two tokens are refused here as they are there.
      const authorization = req.headersDistinct.authorization?.join(", ") ?? "";
      const { status, body: output } = await answerDecide(getDb, { authorization, requestId, body });
      send(res, status, decideOutputJson(output), requestId);
      return status;
    } catch (error) {
      const reply = serviceErrorReply(error, requestId);
      if (reply) {
        send(res, reply.status, JSON.stringify(reply.body), requestId, reply.headers);
        return reply.status;
      }
      console.error(`[api] POST ${DECIDE_PATH} failed (request ${requestId})`, error);
      send(res, 500, JSON.stringify({ ...INTERNAL_ERROR_BODY, requestId }), requestId);
      return 500;
    }
  };
  return (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    const header = req.headers["x-request-id"];
    const requestId = typeof header === "string" ? header : randomUUID();
    answer(req, res, requestId).then(
      (status) => recordRequest(ROUTE, status, started),
      (error: unknown) => {
        // Reading the body failed (the client went away): nothing left to answer.
        console.error(`[api] POST ${DECIDE_PATH} failed (request ${requestId})`, error);
        if (!res.headersSent) send(res, 500, JSON.stringify({ ...INTERNAL_ERROR_BODY, requestId }), requestId);
        recordRequest(ROUTE, 500, started);
      },
    );
  };
}
