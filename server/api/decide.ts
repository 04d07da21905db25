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
import { decideInput, type DecideInput, type DecideOutput } from "@/server/decide/schemas";
import { logDecision } from "@/server/decisions/log";
import { metrics } from "@/server/metrics/metrics";
import { forgetTokenKey, recallToken, rememberToken, tokenCacheKey, TOKEN_MEMORY_MS, TOKEN_RECHECK_MS } from "@/server/tokens/cache";
import { requireScope } from "@/server/tokens/scopes";
import { verifyApiToken } from "@/server/tokens/tokens";
import type { ApiEnv } from "./app";
import { jsonBody } from "./change-requests";

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

/** POST /decide (see the module comment). */
export function decideRoutes(app: Hono<ApiEnv>, getDb: () => Promise<Database>) {
  app.post("/decide", async (c) => {
    const startedAt = performance.now();
    const requestId = c.get("requestId");
    const m = metrics();
    const count = (verdict: DecideOutput["decision"], source: "release" | "dry_run" | "fail_closed") => {
      m.decisions.inc({ verdict, source });
      m.decideDuration.observe({ verdict }, (performance.now() - startedAt) / 1000);
    };
    let actor: Actor | null = null;
    let input: DecideInput | null = null;
    try {
      actor = await authenticateMachine(getDb, c.req.header("authorization") ?? "", requestId);
      requireScope(actor, "decide");
      input = await jsonBody(c, decideInput);
      const output = await decideFlow(getDb, actor, input);
      count(output.decision, input.dryRun ? "dry_run" : "release");
      logDecision(getDb, actor, input, output, startedAt);
      return c.json(output, 200);
    } catch (error) {
      if (!(error instanceof FailClosed)) throw error;
      count("deny", "fail_closed");
      const body: DecideOutput = {
        decision: "deny",
        reasons: [error.message],
        release: null,
        decisionId: randomUUID(),
        cluster: input?.cluster ?? "(unknown)",
        cached: false,
      };
      if (input) logDecision(getDb, actor, input, body, startedAt);
      return c.json(body, 503);
    }
  });
}
