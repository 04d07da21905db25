import "server-only";
// REST for change requests (issue 13, a fixed contract used by CI pipelines
// and scripts): propose, read with its required and given approvals, approve
// bound to a content hash, release. Thin: parse, call the service, shape.
import type { Context, Hono } from "hono";
import type { z } from "zod";
import type { ServiceContext } from "@/server/context";
import { InvalidInput, NotFound } from "@/server/errors";
import { requireScope } from "@/server/tokens/scopes";
import { releaseChange } from "@/server/releases/release";
import { approveChange } from "@/server/workflow/approve";
import { createChangeRequest } from "@/server/workflow/create";
import { getChangeReview } from "@/server/workflow/get-review";
import { rebaseChange } from "@/server/workflow/rebase";
import type { ApiEnv } from "./app";
import type { approvalGiven, changeRequestCreated, changeRequestReview, rebaseMade, releaseMade } from "./schemas";
import { approveBody, createChangeRequestInput, rebaseBody, releaseBody } from "./schemas";

type Reply<S extends z.ZodType> = z.input<S>;

export const serviceContext = (c: Context<ApiEnv>): ServiceContext => ({
  db: c.get("db"),
  actor: c.get("actor"),
  requestId: c.get("requestId"),
});

/** Every change-request endpoint is the "propose" scope's, for a token. */
function proposeContext(c: Context<ApiEnv>): ServiceContext {
  requireScope(c.get("actor"), "propose");
  return serviceContext(c);
}

function changeNumber(c: Context<ApiEnv>, param = "number"): number {
  const raw = c.req.param(param) ?? "";
  if (!/^[1-9]\d{0,8}$/.test(raw)) throw new NotFound(`No change request #${raw}.`);
  return Number(raw);
}

export const notJson = () => new InvalidInput("The body must be JSON (Content-Type: application/json).", "body");

export async function jsonBody<S extends z.ZodType>(c: Context<ApiEnv>, schema: S): Promise<z.infer<S>> {
  const json: unknown = await c.req.json().catch(() => {
    throw notJson();
  });
  return parseInput(schema, json);
}

/** A parsed JSON body checked against its schema: a 400 naming the first field zod refuses. */
export function parseInput<S extends z.ZodType>(schema: S, json: unknown): z.infer<S> {
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join(".");
    throw new InvalidInput(`${field ? `${field}: ` : ""}${issue.message}`, field || "body");
  }
  return parsed.data;
}

export function changeRequestRoutes(app: Hono<ApiEnv>) {
  app.post("/change-requests", async (c) => {
    const ctx = proposeContext(c);
    const input = await jsonBody(c, createChangeRequestInput);
    const created = await createChangeRequest({ ctx, input });
    return c.json(
      { number: created.number, state: created.state, contentHash: created.contentHash } satisfies Reply<typeof changeRequestCreated>,
      201,
    );
  });

  app.get("/change-requests/:number", async (c) => {
    const review = await getChangeReview({ ctx: proposeContext(c), input: { number: changeNumber(c) } });
    return c.json({
      number: review.number,
      state: review.state,
      contentHash: review.contentHash,
      author: review.author,
      required: review.rules.flatMap((r) =>
        r.required.map((q) => ({
          rule: r.rule,
          function: q.function,
          count: q.count,
          ...(q.tenant ? { tenant: q.tenant } : {}),
          givenBy: q.givenBy,
        })),
      ),
      approvals: review.approvals.map((a) => ({ by: a.by, function: a.function, contentHash: a.contentHash, voided: a.voided })),
      satisfied: review.satisfied,
    } satisfies Reply<typeof changeRequestReview>);
  });

  app.post("/change-requests/:number/approvals", async (c) => {
    const ctx = proposeContext(c);
    const number = changeNumber(c);
    const input = await jsonBody(c, approveBody);
    const approved = await approveChange({ ctx, input: { ...input, number } });
    return c.json(
      { number, state: approved.state, contentHash: approved.contentHash, approval: approved.approval } satisfies Reply<
        typeof approvalGiven
      >,
      201,
    );
  });

  app.post("/change-requests/:number/release", async (c) => {
    const ctx = proposeContext(c);
    const number = changeNumber(c);
    // The body is optional: `{"emergency": {"reason"}}` releases through the emergency rule.
    const input =
      c.req.header("content-type")?.includes("json") && (c.req.header("content-length") ?? "1") !== "0"
        ? await jsonBody(c, releaseBody)
        : {};
    const released = await releaseChange({ ctx, input: { ...input, number } });
    return c.json({ release: released.release } satisfies Reply<typeof releaseMade>, 201);
  });

  // Rebase onto the current release (the console's rebase, server/workflow/rebase.ts): 409 lists the conflicts to resolve.
  const rebase = (param: string) => async (c: Context<ApiEnv>) => {
    const ctx = proposeContext(c);
    const number = changeNumber(c, param);
    const input = await jsonBody(c, rebaseBody);
    const rebased = await rebaseChange({ ctx, input: { ...input, number } });
    return c.json(
      {
        number: rebased.number,
        state: rebased.state,
        contentHash: rebased.contentHash,
        voided: rebased.voided,
        rebased: rebased.rebased,
      } satisfies Reply<typeof rebaseMade>,
      201,
    );
  };
  app.post("/changes/:id/rebase", rebase("id"));
  app.post("/change-requests/:number/rebase", rebase("number"));
}
