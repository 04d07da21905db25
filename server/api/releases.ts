import "server-only";
// REST for rollouts: the cluster side (GitOps or the agent) reports whether it
// applied what a release rendered for it. Thin: parse, call the service, shape.
import type { Hono } from "hono";
import { NotFound } from "@/server/errors";
import { reportClusterStatus } from "@/server/releases/rollout";
import type { ApiEnv } from "./app";
import { jsonBody, serviceContext } from "./change-requests";
import { clusterStatusBody } from "./schemas";

export function releaseRoutes(app: Hono<ApiEnv>) {
  app.post("/releases/:number/clusters/:cluster/status", async (c) => {
    const raw = c.req.param("number");
    if (!/^[1-9]\d{0,8}$/.test(raw)) throw new NotFound(`No release ${raw}.`);
    const input = await jsonBody(c, clusterStatusBody);
    const reported = await reportClusterStatus({
      ctx: serviceContext(c),
      input: { ...input, number: Number(raw), cluster: c.req.param("cluster") },
    });
    return c.json(reported, 200);
  });
}
