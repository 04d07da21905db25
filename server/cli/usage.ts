// Shared by the CLI's commands: a usage error (exit 2, one line, no stack) and
// option parsers that refuse bad values before any work starts.
import { InvalidArgumentError } from "commander";

export class UsageError extends Error {}

/** An ISO-8601 instant option (`--time`, `--now`). */
export function instant(value: string): string {
  if (Number.isNaN(Date.parse(value)))
    throw new InvalidArgumentError(`expected an ISO-8601 instant such as 2026-11-26T12:00:00Z, got ${JSON.stringify(value)}`);
  return value;
}
