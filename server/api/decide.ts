import "server-only";
// REST for the decision point (issue 18): POST /api/v1/decide. Registered ahead of the app's
// token/session middleware because it must keep answering while the database is unreachable: a token
// verified by this process in the last TOKEN_MEMORY_MS is still honoured then. On the hot path a token
// verified in the last TOKEN_RECHECK_MS is not read again (a revocation or expiry takes effect within
// that much; after a refusal the next call reads the database).
import { createHash, randomUUID } from "node:crypto";
import type { Hono } from "hono";
import type { Database } from "@/db/client";
import type { Actor } from "@/server/context";
import { ServiceError, Unauthenticated } from "@/server/errors";
import { databaseRecentlyDown, decideFlow, FailClosed } from "@/server/decide/point";
import { decideInput, type DecideOutput } from "@/server/decide/schemas";
import { metrics } from "@/server/metrics/metrics";
import { requireScope } from "@/server/tokens/scopes";
import { authenticateApiToken } from "@/server/tokens/tokens";
import type { ApiEnv } from "./app";
import { jsonBody } from "./change-requests";

const TOKEN_MEMORY_MS = 15 * 60_000;
const TOKEN_RECHECK_MS = 5_000;
const MAX_REMEMBERED = 10_000;

const globalForTokens = globalThis as unknown as { policyplaneDecideTokens?: Map<string, { actor: Actor; verifiedAt: number }> };
const remembered = (globalForTokens.policyplaneDecideTokens ??= new Map());

export async function authenticateMachine(getDb: () => Promise<Database>, header: string, requestId: string): Promise<Actor> {
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new Unauthenticated("The decision point takes a machine token: send `Authorization: Bearer <token>`.");
  const key = createHash("sha256").update(match[1]!).digest("hex");
  const recent = remembered.get(key);
  const age = recent ? Date.now() - recent.verifiedAt : Infinity;
  // While the database is known to be down, a remembered token is not tried against it on every call.
  if (recent && (age < TOKEN_RECHECK_MS || (age < TOKEN_MEMORY_MS && databaseRecentlyDown()))) return recent.actor;
  try {
    const actor = await authenticateApiToken({ ctx: { db: await getDb(), requestId }, input: { token: match[1]! } });
    if (remembered.size >= MAX_REMEMBERED) remembered.clear();
    remembered.set(key, { actor, verifiedAt: Date.now() });
    return actor;
  } catch (error) {
    if (error instanceof ServiceError) {
      remembered.delete(key);
      throw error;
    }
    // The database is unreachable: a token verified a moment ago is still the same token.
    const known = remembered.get(key);
    if (known && Date.now() - known.verifiedAt < TOKEN_MEMORY_MS) return known.actor;
    throw new FailClosed(
      `The database is unreachable (${error instanceof Error ? error.message : String(error)}) and this token was not verified in the last ${TOKEN_MEMORY_MS / 60_000} minutes: denied (fail closed).`,
    );
  }
}

/** POST /decide (see the module comment). */
export function decideRoutes(app: Hono<ApiEnv>, getDb: () => Promise<Database>) {
  app.post("/decide", async (c) => {
    const requestId = c.get("requestId");
    const cluster = { name: "(unknown)" };
    const m = metrics();
    const started = performance.now();
    const count = (verdict: DecideOutput["decision"], source: "release" | "dry_run" | "fail_closed") => {
      m.decisions.inc({ verdict, source });
      m.decideDuration.observe({ verdict }, (performance.now() - started) / 1000);
    };
    try {
      const actor = await authenticateMachine(getDb, c.req.header("authorization") ?? "", requestId);
      requireScope(actor, "decide");
      const input = await jsonBody(c, decideInput);
      cluster.name = input.cluster;
      const answer = await decideFlow(getDb, actor, input);
      count(answer.decision, input.dryRun ? "dry_run" : "release");
      return c.json(answer, 200);
    } catch (error) {
      if (!(error instanceof FailClosed)) throw error;
      count("deny", "fail_closed");
      const body: DecideOutput = {
        decision: "deny",
        reasons: [error.message],
        release: null,
        decisionId: randomUUID(),
        cluster: cluster.name,
        cached: false,
      };
      return c.json(body, 503);
    }
  });
}
