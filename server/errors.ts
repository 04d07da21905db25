// Service errors are values with names; transports map them in one place
// (server/trpc/init.ts for tRPC, server/api/errors.ts for REST).
export class ServiceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
export class NotFound extends ServiceError {}
export class Unauthenticated extends ServiceError {}
export class Forbidden extends ServiceError {}
export class Conflict extends ServiceError {}
export class TooLarge extends ServiceError {}
/** Bad input, with the field it concerns (dotted path) and, for documents, where in it. */
export class InvalidInput extends ServiceError {
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
  for (let e = error, depth = 0; e && typeof e === "object" && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === "23505") return true;
  }
  return false;
}
