import "server-only";
// REST for the admission webhook (issue 18 items 5-6): POST /api/v1/admission/{cluster}. Takes an
// admission.k8s.io/v1 AdmissionReview and answers one (server/admission/review.ts) in the cluster's
// stored mode (enforce / warn / off, set by an admin on the cluster page). The cluster is in the path
// because a webhook's service path may not carry a query. POST /api/v1/admission answers the same for
// the cluster its token is bound to (or `?cluster=<name>`). A malformed review is a 400 naming the field.
// Dry-run requests get the same answer: judging has no side effect.
import type { Context, Hono } from "hono";
import type { Database } from "@/db/client";
import { review } from "@/server/admission/review";
import { admissionReviewRequest } from "@/server/admission/schemas";
import { admissionModeOf } from "@/server/admission/webhook";
import { InvalidInput } from "@/server/errors";
import { requireClusterScope, requireScope } from "@/server/tokens/scopes";
import type { ApiEnv } from "./app";
import { jsonBody } from "./change-requests";
import { authenticateMachine } from "./decide";

export function admissionRoutes(app: Hono<ApiEnv>, getDb: () => Promise<Database>) {
  const answer = async (c: Context<ApiEnv>, named: string | undefined) => {
    const actor = await authenticateMachine(getDb, c.req.header("authorization") ?? "", c.get("requestId"));
    requireScope(actor, "decide");
    const bound = actor.type === "token" ? actor.clusterId : null;
    if (!named && !bound)
      throw new InvalidInput("cluster: name the cluster (POST /api/v1/admission/<cluster>), or use a token bound to it", "cluster");
    const body = await jsonBody(c, admissionReviewRequest);
    const cluster = await admissionModeOf(await getDb(), named ? { name: named } : { id: bound! });
    requireClusterScope(actor, "decide", cluster);
    return c.json({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: review(body.request, cluster.mode) }, 200);
  };
  app.post("/admission/:cluster", (c) => answer(c, c.req.param("cluster")));
  app.post("/admission", (c) => answer(c, c.req.query("cluster")));
}
