import "server-only";
// REST for the admission webhook (issue 18 item 5): POST /api/v1/admission?cluster=<name>&mode=enforce|warn|off.
// Takes an admission.k8s.io/v1 AdmissionReview and answers one (server/admission/review.ts); a malformed
// review is a 400 naming the field. Dry-run requests get the same answer: judging has no side effect.
import { eq } from "drizzle-orm";
import type { Hono } from "hono";
import type { Database } from "@/db/client";
import { clusters } from "@/db/schema";
import { review } from "@/server/admission/review";
import { ADMISSION_MODES, admissionReviewRequest, type AdmissionMode } from "@/server/admission/schemas";
import { InvalidInput, NotFound } from "@/server/errors";
import { requireClusterScope, requireScope } from "@/server/tokens/scopes";
import type { ApiEnv } from "./app";
import { jsonBody } from "./change-requests";
import { authenticateMachine } from "./decide";

export function admissionRoutes(app: Hono<ApiEnv>, getDb: () => Promise<Database>) {
  app.post("/admission", async (c) => {
    const actor = await authenticateMachine(getDb, c.req.header("authorization") ?? "", c.get("requestId"));
    requireScope(actor, "decide");
    const name = c.req.query("cluster");
    if (!name) throw new InvalidInput("cluster: name the cluster in the webhook URL (?cluster=<name>)", "cluster");
    const mode = (c.req.query("mode") ?? "enforce") as AdmissionMode;
    if (!ADMISSION_MODES.includes(mode)) throw new InvalidInput(`mode: one of ${ADMISSION_MODES.join(", ")}`, "mode");
    const body = await jsonBody(c, admissionReviewRequest);
    const [cluster] = await (await getDb()).select({ id: clusters.id }).from(clusters).where(eq(clusters.name, name));
    if (!cluster) throw new NotFound(`No cluster named "${name}".`);
    requireClusterScope(actor, "decide", { id: cluster.id, name });
    return c.json({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: review(body.request, mode) }, 200);
  });
}
