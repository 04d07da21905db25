// Service errors are values with names. Each carries the one answer both
// transports give for it: its HTTP status (REST, server/api/app.ts) and the
// matching tRPC error code (server/trpc/init.ts). The name is spelled out, not
// taken from the class, because a production build minifies class names and
// REST clients match on it.
export type ServiceErrorName =
  "InternalError" | "NotFound" | "Unauthenticated" | "Forbidden" | "Conflict" | "TooLarge" | "RateLimited" | "InvalidInput";
export type ErrorCode =
  | "BAD_REQUEST"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "CONFLICT"
  | "PAYLOAD_TOO_LARGE"
  | "TOO_MANY_REQUESTS"
  | "INTERNAL_SERVER_ERROR";

export class ServiceError extends Error {
  override readonly name: ServiceErrorName = "InternalError";
  readonly code: ErrorCode = "INTERNAL_SERVER_ERROR";
  readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 429 | 500 = 500;
}
export class NotFound extends ServiceError {
  override readonly name = "NotFound";
  override readonly code = "NOT_FOUND";
  override readonly status = 404;
}
export class Unauthenticated extends ServiceError {
  override readonly name = "Unauthenticated";
  override readonly code = "UNAUTHORIZED";
  override readonly status = 401;
}
export class Forbidden extends ServiceError {
  override readonly name = "Forbidden";
  override readonly code = "FORBIDDEN";
  override readonly status = 403;
}
export class Conflict extends ServiceError {
  override readonly name = "Conflict";
  override readonly code = "CONFLICT";
  override readonly status = 409;
  /** What the caller needs to resolve it, as JSON beside the message (a rebase's conflicts, per policy). */
  constructor(
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}
export class TooLarge extends ServiceError {
  override readonly name = "TooLarge";
  override readonly code = "PAYLOAD_TOO_LARGE";
  override readonly status = 413;
}
/** The server is at capacity for this kind of work (the engine's queue is full): try again shortly. */
export class Busy extends ServiceError {
  override readonly name = "RateLimited";
  override readonly code = "TOO_MANY_REQUESTS";
  override readonly status = 429;
}
/** Bad input, with the field it concerns (dotted path) and, for documents, where in it. */
export class InvalidInput extends ServiceError {
  override readonly name = "InvalidInput";
  override readonly code = "BAD_REQUEST";
  override readonly status = 400;
  constructor(
    message: string,
    readonly field?: string,
    readonly position?: { line: number; column: number },
  ) {
    super(message);
  }
}

/** PostgreSQL's unique_violation (23505), however deep the driver wrapped it: a lost race, not a server fault. */
export function isUniqueViolation(error: unknown): boolean {
  return databaseError(error, "23505") !== undefined;
}

/** The name of the unique constraint or index a unique_violation hit (postgres.js and PGlite name the field differently). */
export function violatedUniqueConstraint(error: unknown): string | undefined {
  const found = databaseError(error, "23505");
  return found?.constraint_name ?? found?.constraint;
}

function databaseError(error: unknown, code: string): { constraint_name?: string; constraint?: string } | undefined {
  for (let e = error, depth = 0; e && typeof e === "object" && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === code) return e as { constraint_name?: string; constraint?: string };
  }
  return undefined;
}
