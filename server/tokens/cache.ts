import "server-only";
// The machine-token cache of the decision point and the admission webhook (server/api/decide.ts): a
// token verified against the database is not read again for TOKEN_RECHECK_MS, and while the database
// is unreachable one verified in the last TOKEN_MEMORY_MS is still honoured. Revoking or rotating a
// token forgets it here at once, so on the replica that made the change the next call reads the
// database (and is refused). Other replicas hold their copy at most TOKEN_RECHECK_MS more: that is the
// cross-replica bound on a revocation. An entry never outlives the token's own expiry.
import { hash } from "node:crypto";
import type { Actor } from "@/server/context";
import { perProcess } from "@/server/lib/per-process";

export const TOKEN_MEMORY_MS = 15 * 60_000;
export const TOKEN_RECHECK_MS = 5_000;
const MAX_REMEMBERED = 10_000;

export interface RememberedToken {
  actor: Actor;
  verifiedAt: number;
  /** The token's expiry (ms since the epoch), or null for none. */
  expiresAt: number | null;
}

const cache = perProcess("TokenCache", () => new Map<string, RememberedToken>());

/** The cache key of a presented token: its SHA-256 (the token itself is never kept). */
// crypto.hash: the one-shot digest, a quarter of createHash's cost on the decision point's hot path.
export const tokenCacheKey = (token: string) => hash("sha256", token, "hex");

/** The entry for a token, unless it has expired meanwhile (then it is forgotten). */
export function recallToken(key: string, now = Date.now()): RememberedToken | undefined {
  const entry = cache().get(key);
  if (entry && entry.expiresAt !== null && entry.expiresAt <= now) {
    cache().delete(key);
    return undefined;
  }
  return entry;
}

export function rememberToken(key: string, entry: RememberedToken): void {
  const c = cache();
  if (c.size >= MAX_REMEMBERED) c.clear();
  c.set(key, entry);
}

export function forgetTokenKey(key: string): void {
  cache().delete(key);
}

/** Forget every cached entry of a token by its id (revoked, rotated): the next call reads the database. */
export function forgetToken(tokenId: string): void {
  const c = cache();
  for (const [key, entry] of c) if (entry.actor.id === tokenId) c.delete(key);
}
