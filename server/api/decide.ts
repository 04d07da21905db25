import "server-only";
// REST for the decision point (issue 18): POST /api/v1/decide. Registered ahead of the app's
// token/session middleware because it must keep answering while the database is unreachable: a token
// verified by this process in the last TOKEN_MEMORY_MS is still honoured then. On the hot path a token
// verified in the last TOKEN_RECHECK_MS is not read again (server/tokens/cache.ts: a revocation takes
// effect at once on the replica that made it, within TOKEN_RECHECK_MS on the others).
import { randomUUID } from "node:crypto";
import type { Hono } from "hono";
import type { Database } from "@/db/client";
import type { Actor } from "@/server/context";
import { ServiceError, Unauthenticated } from "@/server/errors";
import { databaseRecentlyDown, decideFlow, FailClosed } from "@/server/decide/point";
import { decideInput, quickDecideInput, type DecideInput, type DecideOutput } from "@/server/decide/schemas";
import { logDecision } from "@/server/decisions/log";
import { recordDecision } from "@/server/metrics/metrics";
import { forgetTokenKey, recallToken, rememberToken, tokenCacheKey, TOKEN_MEMORY_MS, TOKEN_RECHECK_MS } from "@/server/tokens/cache";
import { requireScope } from "@/server/tokens/scopes";
import { verifyApiToken } from "@/server/tokens/tokens";
import type { ApiEnv } from "./app";
import { notJson, parseInput } from "./change-requests";

export async function authenticateMachine(getDb: () => Promise<Database>, header: string, requestId: string): Promise<Actor> {
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new Unauthenticated("The decision point takes a machine token: send `Authorization: Bearer <token>`.");
  const key = tokenCacheKey(match[1]!);
  const now = Date.now();
  const recent = recallToken(key, now);
  const age = recent ? now - recent.verifiedAt : Infinity;
  // While the database is known to be down, a remembered token is not tried against it on every call.
  if (recent && (age < TOKEN_RECHECK_MS || (age < TOKEN_MEMORY_MS && databaseRecentlyDown()))) return recent.actor;
  try {
    const { actor, expiresAt } = await verifyApiToken({ ctx: { db: await getDb(), requestId }, input: { token: match[1]! } });
    rememberToken(key, { actor, verifiedAt: Date.now(), expiresAt: expiresAt?.getTime() ?? null });
    return actor;
  } catch (error) {
    if (error instanceof ServiceError) {
      forgetTokenKey(key);
      throw error;
    }
    // The database is unreachable: a token verified a moment ago is still the same token.
    const known = recallToken(key);
    if (known && Date.now() - known.verifiedAt < TOKEN_MEMORY_MS) return known.actor;
    throw new FailClosed(
      `The database is unreachable (${error instanceof Error ? error.message : String(error)}) and this token was not verified in the last ${TOKEN_MEMORY_MS / 60_000} minutes: denied (fail closed).`,
    );
  }
}

/** One call of POST /decide, whatever the transport (the Hono app, or the lean path of `policyplane serve`). */
export interface DecideCall {
  authorization: string;
  requestId: string;
  /** The request body: `json()` parses it (or a promise of it), throwing InvalidInput (`notJson`) when it is not JSON. */
  body: { json(): unknown };
}

/**
 * Authenticates, validates and decides one call: 200 with the decision, or 503 with a fail-closed deny.
 * A service error (401, 403, 400, 404) is thrown for the transport to answer with its error body.
 */
export async function answerDecide(getDb: () => Promise<Database>, call: DecideCall): Promise<{ status: 200 | 503; body: DecideOutput }> {
  const startedAt = performance.now();
  let actor: Actor | null = null;
  let input: DecideInput | null = null;
  try {
    actor = await authenticateMachine(getDb, call.authorization, call.requestId);
    requireScope(actor, "decide");
    const json = await call.body.json();
    input = quickDecideInput(json) ?? parseInput(decideInput, json);
    const output = await decideFlow(getDb, actor, input);
    recordDecision(output.decision, input.dryRun ? "dry_run" : "release", startedAt);
    logDecision(getDb, actor, input, output, startedAt);
    return { status: 200, body: output };
  } catch (error) {
    if (!(error instanceof FailClosed)) throw error;
    recordDecision("deny", "fail_closed", startedAt);
    const body: DecideOutput = {
      decision: "deny",
      reasons: [error.message],
      release: null,
      decisionId: randomUUID(),
      cluster: input?.cluster ?? "(unknown)",
      cached: false,
    };
    if (input) logDecision(getDb, actor, input, body, startedAt);
    return { status: 503, body };
  }
}

/** POST /decide (see the module comment). */
export function decideRoutes(app: Hono<ApiEnv>, getDb: () => Promise<Database>) {
  app.post("/decide", async (c) => {
    const { status, body } = await answerDecide(getDb, {
      authorization: c.req.header("authorization") ?? "",
      requestId: c.get("requestId"),
      body: {
        json: () =>
          c.req.json().catch(() => {
            throw notJson();
          }),
      },
    });
    return c.json(body, status);
  });
}
