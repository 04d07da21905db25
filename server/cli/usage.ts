// Shared by the CLI's commands: a usage error (exit 2, one line, no stack) and
// option parsers that refuse bad values before any work starts.
import { InvalidArgumentError } from "commander";

const USAGE_ERROR = Symbol.for("policyplane.usage-error");

export class UsageError extends Error {
  readonly [USAGE_ERROR] = true;
  /**
   * Recognised by a brand, not by its class: the CLI bundle runs the engine commands from a script of
   * their own (./code-cache.ts), whose copy of this class is not the one main.ts imports.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && USAGE_ERROR in value;
  }
}

/** An ISO-8601 instant option (`--time`, `--now`). */
export function instant(value: string): string {
  if (Number.isNaN(Date.parse(value)))
    throw new InvalidArgumentError(`expected an ISO-8601 instant such as 2026-11-26T12:00:00Z, got ${JSON.stringify(value)}`);
  return value;
}

/** `path` under a Policyplane server's REST API (`--server`), refusing what is not an http(s) URL. */
export function apiUrl(server: string, path: string): URL {
  let url: URL;
  try {
    url = new URL(`api/v1/${path}`, server.endsWith("/") ? server : `${server}/`);
  } catch {
    throw new UsageError(`--server: expected the console's URL, such as https://policyplane.example.com, got ${JSON.stringify(server)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`--server: expected an http(s) URL, got ${server}`);
  return url;
}

/** The `message` of a refusal the REST API sent (its error body), or the text as it came. */
export function refusalMessage(text: string): string {
  try {
    return (JSON.parse(text) as { message?: string }).message ?? text;
  } catch {
    return text;
  }
}
