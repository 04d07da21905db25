import "server-only";
// REST for the admission webhook (issue 18 items 5-6): POST /api/v1/admission/{cluster}. Takes an
// admission.k8s.io/v1 AdmissionReview and answers one (server/admission/review.ts) in the cluster's
// stored mode (enforce / warn / off, set by an admin on the cluster page). The cluster is in the path
// because a webhook's service path may not carry a query. A malformed review is a 400 naming the field.
// Dry-run requests get the same answer: judging has no side effect.
import type { Hono } from "hono";
import type { Database } from "@/db/client";
import { review } from "@/server/admission/review";
import { admissionReviewRequest } from "@/server/admission/schemas";
import { admissionModeOf } from "@/server/admission/webhook";
import { requireClusterScope, requireScope } from "@/server/tokens/scopes";
import type { ApiEnv } from "./app";
import { jsonBody } from "./change-requests";
import { authenticateMachine } from "./decide";

export function admissionRoutes(app: Hono<ApiEnv>, getDb: () => Promise<Database>) {
  app.post("/admission/:cluster", async (c) => {
    const actor = await authenticateMachine(getDb, c.req.header("authorization") ?? "", c.get("requestId"));
    requireScope(actor, "decide");
    const name = c.req.param("cluster");
    const body = await jsonBody(c, admissionReviewRequest);
    const cluster = await admissionModeOf(await getDb(), name);
    requireClusterScope(actor, "decide", { id: cluster.id, name });
    return c.json({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: review(body.request, cluster.mode) }, 200);
  });
}
