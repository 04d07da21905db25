import "server-only";
// The REST app's answers that do not depend on the transport: the error body of a service error, the
// 413 body and the edge checks of a JSON body. Shared by the Hono app (server/api/app.ts) and the lean
// decision path of `policyplane serve` (server/api/decide-lean.ts), so both answer byte for byte alike.
import { MAX_REQUEST_BYTES } from "@/lib/http-limits";
import { findUnsafeText } from "@/lib/unsafe-text";
import { Conflict, InvalidInput, ServiceError } from "@/server/errors";
import { FlowRateLimited } from "./flow-rate";

export interface Reply {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** A service error's answer (`{error, message, requestId, …}`), or null for any other error (a 500, logged by the caller). */
export function serviceErrorReply(error: unknown, requestId: string): Reply | null {
  if (!(error instanceof ServiceError) || error.status === 500) return null;
  const body: Record<string, unknown> = { error: error.name, message: error.message, requestId };
  if (error instanceof InvalidInput) Object.assign(body, { field: error.field, position: error.position });
  if (error instanceof Conflict && error.details) Object.assign(body, error.details);
  const headers = error instanceof FlowRateLimited ? { "Retry-After": String(error.retryAfterSeconds) } : undefined;
  return { status: error.status, body, ...(headers ? { headers } : {}) };
}

export const INTERNAL_ERROR_BODY = { error: "InternalError", message: "Something went wrong on the server." } as const;

export const TOO_LARGE_BODY = {
  error: "TooLarge",
  message: `The request body is over the ${MAX_REQUEST_BYTES / 1024 / 1024} MiB limit.`,
} as const;

/** Whether a Content-Type says JSON (`application/json`, `application/merge-patch+json`, …). */
export const isJsonContentType = (contentType: string | undefined) => /^application\/([\w.+-]+\+)?json/i.test(contentType ?? "");

/** Text the database cannot store (NUL, lone surrogates) anywhere in a request: refused at the edge, naming where it is. */
export function refuseUnsafeText(path: string, queries: unknown, json: unknown): void {
  const unsafe = findUnsafeText(pathText(path), "path") ?? findUnsafeText(queries, "query") ?? findUnsafeText(json, "body");
  if (unsafe) throw new InvalidInput(unsafe.message, unsafe.field);
}

/** The request path as its route parameters will read it (percent-decoded where it can be). */
function pathText(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
