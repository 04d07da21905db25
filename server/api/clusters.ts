import "server-only";
// REST for a cluster's observed state: the agent (or a script running kubectl)
// pushes what the cluster runs; GitOps or an operator reads the desired
// manifests. Thin: parse, call the service, shape.
import { createHash } from "node:crypto";
import type { Hono } from "hono";
import { stringify } from "yaml";
import { reportCapabilities } from "@/server/clusters/capabilities";
import { desiredManifests, uploadObserved } from "@/server/clusters/observed";
import { capabilitiesBody, clusterName } from "@/server/clusters/schemas";
import { InvalidInput, NotFound } from "@/server/errors";
import type { ApiEnv } from "./app";
import { jsonBody, serviceContext } from "./change-requests";

const nameParam = (raw: string) => {
  const parsed = clusterName.safeParse(raw);
  if (!parsed.success) throw new NotFound(`No cluster named ${JSON.stringify(raw)}.`);
  return parsed.data;
};

/** The desired state's YAML and ETag, by the objects they were written from. */
const renderedDesired = new WeakMap<object, { body: string; etag: string }>();

export function clusterRoutes(app: Hono<ApiEnv>) {
  /**
   * Body: `kubectl get networkpolicies,adminnetworkpolicies,… -A -o yaml` output (YAML or JSON; a List
   * or several documents). 200 with the objects kept and each rejected one's place in the list.
   */
  app.post("/clusters/:name/observed", async (c) => {
    const name = nameParam(c.req.param("name"));
    const text = await c.req.text();
    if (text.trim() === "") throw new InvalidInput("The body is empty: send the YAML (or JSON) that kubectl get … -o yaml prints.", "body");
    const source = c.req.header("user-agent")?.startsWith("policyplane-agent") ? "agent" : "upload";
    const result = await uploadObserved({ ctx: serviceContext(c), input: { name, yaml: text }, source });
    return c.json(result, 200);
  });

  /** What the cluster's agent detected: CNI, admin policy API, Istio. */
  app.put("/clusters/:name/capabilities", async (c) => {
    const name = nameParam(c.req.param("name"));
    const body = await jsonBody(c, capabilitiesBody);
    return c.json(await reportCapabilities({ ctx: serviceContext(c), input: { ...body, name } }), 200);
  });

  /**
   * The cluster's desired objects (its release, compiled for it, with the exceptions in force at the
   * server's clock) as multi-document YAML, with an ETag (If-None-Match: 304) and the release in
   * X-Policyplane-Release.
   */
  app.get("/clusters/:name/desired", async (c) => {
    const name = nameParam(c.req.param("name"));
    const { release, objects } = await desiredManifests({ ctx: serviceContext(c), input: { name } });
    // The agent polls this every few seconds: an unchanged state (the service's memoised objects) is
    // written out once, and answers 304 with no body.
    let rendered = renderedDesired.get(objects);
    if (!rendered) {
      const header = `# Desired state of cluster ${name}${release === null ? " (no release has been made: nothing is desired)" : ` from release ${release}`}\n`;
      const body = header + objects.map((o) => stringify(o, { lineWidth: 0 })).join("---\n");
      rendered = { body, etag: `"${createHash("sha256").update(body).digest("base64url")}"` };
      renderedDesired.set(objects, rendered);
    }
    const { body, etag } = rendered;
    const headers = { etag, "x-policyplane-release": release === null ? "none" : String(release), "cache-control": "no-cache" };
    const ifNoneMatch = c.req.header("if-none-match");
    if (ifNoneMatch && ifNoneMatch.split(",").some((t) => t.trim() === etag)) return c.body(null, 304, headers);
    return c.body(body, 200, {
      ...headers,
      "content-type": "application/yaml; charset=utf-8",
      "content-disposition": `attachment; filename="${name}-desired${release === null ? "" : `-release-${release}`}.yaml"`,
    });
  });
}
