// The REST API's reference: every route with its method, who may call it, and its request and reply
// schemas — the very zod schemas the handlers parse and shape with (./schemas.ts) — rendered as an
// OpenAPI 3.1 document (GET /api/v1/openapi.json) and as the console's API reference page.
import { z } from "zod";
import type { TokenScope } from "@/lib/vocabulary";
import { capabilitiesBody } from "@/server/clusters/schemas";
import {
  admissionReview,
  approvalGiven,
  approveBody,
  changeRequestCreated,
  changeRequestReview,
  clusterStatusBody,
  clusterStatusReply,
  createChangeRequestInput,
  decideInput,
  decideOutput,
  errorBody,
  healthReply,
  rebaseBody,
  rebaseConflicts,
  rebaseMade,
  releaseBody,
  releaseMade,
  whoamiReply,
} from "./schemas";

export const API_BASE = "/api/v1";

export interface ApiParameter {
  name: string;
  in: "path" | "query";
  description: string;
  schema: z.ZodType;
  required: boolean;
}

export interface ApiRoute {
  method: "get" | "post" | "put";
  /** OpenAPI style, below /api/v1: `/change-requests/{number}`. */
  path: string;
  summary: string;
  description?: string;
  /** null: no authentication (health, this document). */
  auth: null | { scope?: TokenScope; role?: string; session: boolean };
  parameters?: ApiParameter[];
  /** JSON unless contentType says otherwise (YAML, a file upload, JSON lines). */
  body?: { schema: z.ZodType; required: boolean; contentType?: string };
  responses: Record<number, { description: string; schema?: z.ZodType }>;
}

const changeNumber: ApiParameter = {
  name: "number",
  in: "path",
  description: "The change request's number.",
  schema: z.number().int().min(1),
  required: true,
};
const clusterParam: ApiParameter = {
  name: "name",
  in: "path",
  description: "The cluster's name.",
  schema: z.string().min(1),
  required: true,
};
const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, { description: ERROR_TEXT[s] ?? "Error", schema: errorBody }]));
const ERROR_TEXT: Record<number, string> = {
  400: "Bad input (InvalidInput, naming the field).",
  401: "No valid token (Unauthenticated).",
  403: "The token lacks the scope, role or cluster (Forbidden).",
  404: "No such thing (NotFound).",
  409: "The state does not allow it (Conflict).",
  413: "The body is over the limit (TooLarge).",
  429: "Too many requests for now (RateLimited): send again after the Retry-After header's seconds.",
};

export const API_ROUTES: readonly ApiRoute[] = [
  {
    method: "get",
    path: "/health",
    summary: "Liveness and the decision point's state",
    description:
      "503 when the database is unreachable: `degraded` while the decision point serves the releases it loaded, `down` otherwise.",
    auth: null,
    responses: {
      200: { description: "Healthy.", schema: healthReply },
      503: { description: "The database is unreachable.", schema: healthReply },
    },
  },
  {
    method: "get",
    path: "/openapi.json",
    summary: "This API's OpenAPI 3.1 document",
    auth: null,
    responses: { 200: { description: "The document." } },
  },
  {
    method: "get",
    path: "/metrics",
    summary: "Prometheus metrics of this process",
    description:
      "Prometheus text format 0.0.4: requests by route and status with latency histograms, decisions by verdict, the decision cache's hit ratio, sweeper runs, the database pool's size and a `select 1` probe, and Node.js process figures; all named `policyplane_…`. Each replica reports its own. 404 when POLICYPLANE_METRICS=off.",
    auth: { scope: "metrics", session: false },
    responses: { 200: { description: "The metrics (text/plain; version=0.0.4)." }, ...errors(401, 403, 404) },
  },
  {
    method: "post",
    path: "/decide",
    summary: "Decide one flow by the cluster's current release",
    description:
      "The engine's verdict over the release in force (or, with `dryRun`, a change request's proposal). Answers are cached per release and flow; a new release is picked up within a second. While the database is unreachable the last loaded release answers (`stale: true`); with none loaded the flow is denied with 503 (fail closed).",
    auth: { scope: "decide", session: false },
    body: { schema: decideInput, required: true },
    responses: {
      200: { description: "The decision.", schema: decideOutput },
      503: { description: "No release loaded and the database unreachable: denied (fail closed).", schema: decideOutput },
      ...errors(400, 401, 403, 404),
    },
  },
  {
    method: "post",
    path: "/admission/{cluster}",
    summary: "Kubernetes validating admission webhook",
    description:
      "Takes an admission.k8s.io/v1 AdmissionReview and answers one: refuses NetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy and Cilium policies not rendered by Policyplane, and Namespaces and workloads missing the required labels. The answer follows the cluster's admission mode, set by an admin on the cluster page: enforce refuses, warn allows with warnings, off allows everything. The cluster page generates the ValidatingWebhookConfiguration that calls this path.",
    auth: { scope: "decide", session: false },
    parameters: [
      { name: "cluster", in: "path", description: "The cluster the API server belongs to.", schema: z.string().min(1), required: true },
    ],
    body: { schema: admissionReview, required: true },
    responses: { 200: { description: "The AdmissionReview answered.", schema: admissionReview }, ...errors(400, 401, 403, 404) },
  },
  {
    method: "post",
    path: "/admission",
    summary: "Kubernetes validating admission webhook, for the token's cluster",
    description:
      "Takes an admission.k8s.io/v1 AdmissionReview and answers one: refuses NetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy and Cilium policies not rendered by Policyplane, and Namespaces and workloads missing the required labels. The answer follows the cluster's admission mode, set by an admin on the cluster page: enforce refuses, warn allows with warnings, off allows everything. The cluster is the one the token is bound to, or the `cluster` query parameter.",
    auth: { scope: "decide", session: false },
    parameters: [
      {
        name: "cluster",
        in: "query",
        description: "The cluster, when the token is not bound to one (a webhook names it in the path instead).",
        schema: z.string().min(1),
        required: false,
      },
    ],
    body: { schema: admissionReview, required: true },
    responses: { 200: { description: "The AdmissionReview answered.", schema: admissionReview }, ...errors(400, 401, 403, 404) },
  },
  {
    method: "get",
    path: "/whoami",
    summary: "Who the token (or session) is",
    auth: { session: true },
    responses: { 200: { description: "The caller.", schema: whoamiReply }, ...errors(401) },
  },
  {
    method: "post",
    path: "/change-requests",
    summary: "Propose a change request from Policyplane documents",
    auth: { scope: "propose", role: "author", session: true },
    body: { schema: createChangeRequestInput, required: true },
    responses: { 201: { description: "Proposed.", schema: changeRequestCreated }, ...errors(400, 401, 403, 409, 413) },
  },
  {
    method: "get",
    path: "/change-requests/{number}",
    summary: "A change request with its required and given approvals",
    auth: { scope: "propose", session: true },
    parameters: [changeNumber],
    responses: { 200: { description: "The change request.", schema: changeRequestReview }, ...errors(401, 403, 404) },
  },
  {
    method: "post",
    path: "/change-requests/{number}/approvals",
    summary: "Approve a change request, bound to the content hash seen",
    auth: { scope: "propose", role: "approver", session: true },
    parameters: [changeNumber],
    body: { schema: approveBody, required: true },
    responses: { 201: { description: "Approved.", schema: approvalGiven }, ...errors(400, 401, 403, 404, 409) },
  },
  {
    method: "post",
    path: "/change-requests/{number}/release",
    summary: "Release an approved change request",
    description: 'The body is optional: `{"emergency": {"reason"}}` releases through the emergency rule.',
    auth: { scope: "propose", role: "admin", session: true },
    parameters: [changeNumber],
    body: { schema: releaseBody, required: false },
    responses: { 201: { description: "Released.", schema: releaseMade }, ...errors(400, 401, 403, 404, 409) },
  },
  ...(["/changes/{id}/rebase", "/change-requests/{number}/rebase"] as const).map((path): ApiRoute => ({
    method: "post",
    path,
    summary: "Rebase a change request onto the current release",
    description:
      "The console's rebase: each policy a release moved on since the change was proposed is merged three ways (the version it was proposed from, the released one, the draft). A clean merge becomes a new draft; a conflict answers 409 with `conflicts` (per policy: the merge between conflict markers and the release to resolve onto), and the author sends the resolved YAML back in `resolutions`. The rebased content has a new hash: standing approvals are voided. `contentHash` is the hash the caller started from (someone else's edit since: 409).",
    auth: { scope: "propose", role: "author", session: true },
    parameters: [
      path.includes("{id}")
        ? { ...changeNumber, name: "id", description: "The change request's number (as in /change-requests/{number})." }
        : changeNumber,
    ],
    body: { schema: rebaseBody, required: true },
    responses: {
      201: { description: "Rebased.", schema: rebaseMade },
      409: {
        description:
          "Conflicts to resolve (listed in `conflicts`), another edit since `contentHash`, nothing to rebase, or a state that takes no edit.",
        schema: rebaseConflicts,
      },
      ...errors(400, 401, 403, 404),
    },
  })),
  {
    method: "post",
    path: "/releases/{number}/clusters/{cluster}/status",
    summary: "Report whether a cluster applied a release",
    auth: { scope: "observed-state", role: "admin", session: true },
    parameters: [
      { name: "number", in: "path", description: "The release's number.", schema: z.number().int().min(1), required: true },
      { name: "cluster", in: "path", description: "The cluster's name.", schema: z.string().min(1), required: true },
    ],
    body: { schema: clusterStatusBody, required: true },
    responses: { 200: { description: "Recorded.", schema: clusterStatusReply }, ...errors(400, 401, 403, 404, 409) },
  },
  {
    method: "post",
    path: "/clusters/{name}/observed",
    summary: "Push a cluster's observed state",
    description:
      "What `kubectl get networkpolicies,adminnetworkpolicies,… -A -o yaml` prints (YAML or JSON; a List or several documents). The objects that read are kept and compared with the cluster's desired state (drift); each rejected one is named by its place in the list.",
    auth: { scope: "observed-state", role: "admin", session: true },
    parameters: [clusterParam],
    body: { schema: z.string().describe("kubectl's YAML or JSON output"), required: true, contentType: "application/yaml" },
    responses: { 200: { description: "Kept, rejected and the drift found." }, ...errors(400, 401, 403, 404, 413) },
  },
  {
    method: "put",
    path: "/clusters/{name}/capabilities",
    summary: "Report a cluster's capabilities (its agent)",
    description:
      "The CNI, the admin policy API whose CRDs the cluster serves and whether Istio runs, as `policyplane agent` detects them. A detected v1alpha1 or v1alpha2 sets the cluster's compile target; an unchanged report writes nothing.",
    auth: { scope: "observed-state", role: "admin", session: true },
    parameters: [clusterParam],
    body: { schema: capabilitiesBody, required: true },
    responses: { 200: { description: "The capabilities kept and whether they changed." }, ...errors(400, 401, 403, 404, 409) },
  },
  {
    method: "get",
    path: "/clusters/{name}/desired",
    summary: "A cluster's desired objects (its release compiled for it) as multi-document YAML",
    auth: { scope: "manifests", session: true },
    parameters: [clusterParam],
    description:
      "The release compiled for the cluster, with the exceptions in force at the server's clock (an expired or revoked exception's objects are gone). Answers an ETag and the release in `X-Policyplane-Release`; with `If-None-Match` set to the last ETag an unchanged state answers 304 with no body (the agent polls this every few seconds).",
    responses: {
      200: { description: "application/yaml: the objects, one document each." },
      304: { description: "Unchanged since the ETag sent in If-None-Match." },
      ...errors(401, 403, 404),
    },
  },
  {
    method: "post",
    path: "/flows",
    summary: "Ingest Hubble flow records: violations, near-misses and enforcement gaps",
    description:
      "JSON lines as `hubble observe -o json` prints them, plain or with `Content-Encoding: gzip` (32 MiB once decompressed). Each flow is decided by the release in force and folded into per-minute aggregates; each bad line is refused by its number while the batch's good lines are kept. A cluster sending batches faster than FLOW_RATE_PER_SECOND (bursts up to FLOW_RATE_BURST) is answered 429 with Retry-After.",
    auth: { scope: "flows", session: true },
    parameters: [
      {
        name: "cluster",
        in: "query",
        description: "The cluster the flows come from (default: the token's cluster).",
        schema: z.string().min(1),
        required: false,
      },
    ],
    body: {
      schema: z.string().describe("Hubble flow records, one JSON object per line"),
      required: true,
      contentType: "application/x-ndjson",
    },
    responses: { 200: { description: "Accepted and rejected lines, by class." }, ...errors(400, 401, 403, 404, 413, 429) },
  },
  {
    method: "post",
    path: "/replay/datasets",
    summary: "Upload a flow dataset for the Simulator (streamed to disk, up to 2 GB, gzip accepted)",
    description: "Hubble flow records (`hubble observe -o json`), Policyplane's JSON lines, or CSV with a header (`format=csv`).",
    auth: { session: true },
    parameters: [
      { name: "name", in: "query", description: "The dataset's name.", schema: z.string().min(1), required: true },
      { name: "format", in: "query", description: "auto (default) or csv.", schema: z.enum(["auto", "csv"]), required: false },
    ],
    body: { schema: z.string().describe("the file"), required: true, contentType: "application/octet-stream" },
    responses: { 201: { description: "Stored; its records are counted in the background." }, ...errors(400, 401, 403, 413) },
  },
  {
    method: "get",
    path: "/replay/runs/{id}/export",
    summary: "A replay run's paths as CSV or JSON",
    auth: { session: true },
    parameters: [
      { name: "id", in: "path", description: "The run's id.", schema: z.uuid(), required: true },
      { name: "format", in: "query", description: "csv (default) or json.", schema: z.enum(["csv", "json"]), required: false },
      { name: "change", in: "query", description: "Only paths of one class of change.", schema: z.string(), required: false },
    ],
    responses: { 200: { description: "The run's paths." }, ...errors(400, 401, 403, 404) },
  },
  {
    method: "get",
    path: "/violations/export",
    summary: "Violations, near-misses and enforcement gaps for a SIEM, in pages with a resumable cursor",
    description:
      "One event per path and minute once the minute is closed (FLOW_CLOSE_GRACE_SECONDS after its end), plus one per later pass for flows of that minute that arrived after it closed (`count` is the flows the event adds: a path-minute's events add up to its count), oldest first. Keep the `X-Next-Cursor` header (also each event's `cursor`, CEF `externalId`) and send it back as `cursor`: resuming from any cursor never skips or repeats an event, across restarts and replicas. An empty page means nothing new yet. A person reads the tenants they may.",
    auth: { scope: "export", session: true },
    parameters: [
      { name: "format", in: "query", description: "jsonl (default) or cef.", schema: z.enum(["jsonl", "cef"]), required: false },
      {
        name: "cursor",
        in: "query",
        description: "Where the last page ended (none: from the oldest kept).",
        schema: z.string(),
        required: false,
      },
      {
        name: "limit",
        in: "query",
        description: "Events per page, 1 to 10,000 (default 1,000).",
        schema: z.number().int(),
        required: false,
      },
    ],
    responses: { 200: { description: "application/x-ndjson or text/plain (CEF): one event a line." }, ...errors(400, 401, 403) },
  },
  {
    method: "get",
    path: "/violations/stream",
    summary: "New violations live, as Server-Sent Events",
    description:
      "Each event is `event: violation` with the JSON of /violations/export and its cursor as `id`. Reconnect with `Last-Event-ID` (or `?cursor=`) to resume without gaps; without either the stream starts at the newest event.",
    auth: { scope: "export", session: true },
    parameters: [{ name: "cursor", in: "query", description: "Resume after this cursor.", schema: z.string(), required: false }],
    responses: { 200: { description: "text/event-stream." }, ...errors(400, 401, 403) },
  },
];

/** A JSON Schema (2020-12, which OpenAPI 3.1 uses) of what a client sends (`input`) or receives (`output`). */
export function jsonSchemaOf(schema: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  return rest;
}

/** The permission sentence of a route, as the reference page and the document's descriptions state it. */
export function authText(auth: ApiRoute["auth"]): string {
  if (!auth) return "No authentication.";
  const parts = [auth.scope ? `a token with the "${auth.scope}" scope` : "a token", ...(auth.session ? ["or the console's session"] : [])];
  return `${parts.join(" ")}${auth.role ? `; role ${auth.role} or above` : ""}.`;
}

export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of API_ROUTES) {
    const responses = Object.fromEntries(
      Object.entries(r.responses).map(([status, resp]) => [
        status,
        {
          description: resp.description,
          ...(resp.schema ? { content: { "application/json": { schema: jsonSchemaOf(resp.schema, "output") } } } : {}),
        },
      ]),
    );
    (paths[r.path] ??= {})[r.method] = {
      operationId: `${r.method}${r.path.replace(/[{}]/g, "").replace(/[^a-zA-Z0-9]+(.)/g, (_, ch: string) => ch.toUpperCase())}`,
      summary: r.summary,
      description: [r.description, `Authorization: ${authText(r.auth)}`].filter(Boolean).join("\n\n"),
      ...(r.auth ? { security: [{ bearerToken: [] }, ...(r.auth.session ? [{ sessionCookie: [] }] : [])] } : { security: [] }),
      ...(r.auth?.scope ? { "x-policyplane-scope": r.auth.scope } : {}),
      ...(r.parameters
        ? {
            parameters: r.parameters.map((p) => ({
              name: p.name,
              in: p.in,
              required: p.required,
              description: p.description,
              schema: jsonSchemaOf(p.schema, "input"),
            })),
          }
        : {}),
      ...(r.body
        ? {
            requestBody: {
              required: r.body.required,
              content: { [r.body.contentType ?? "application/json"]: { schema: jsonSchemaOf(r.body.schema, "input") } },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Policyplane API",
      version,
      description: "The REST API for machines: cluster agents, admission webhooks, CI pipelines and scripts.",
    },
    servers: [{ url: API_BASE }],
    components: {
      securitySchemes: {
        bearerToken: { type: "http", scheme: "bearer", description: "An API token (ppt_…) an admin creates in Settings." },
        sessionCookie: {
          type: "apiKey",
          in: "cookie",
          name: "better-auth.session_token",
          description: "The console's session (same origin only).",
        },
      },
    },
    paths,
  };
}

/** One route as the console's reference page shows it: plain data (JSON Schemas, sentences). */
export interface RouteReference {
  anchor: string;
  method: ApiRoute["method"];
  path: string;
  summary: string;
  description?: string;
  authText: string;
  scope: TokenScope | null;
  public: boolean;
  /** The parameters as one object schema (each property's description says where it goes). */
  parameters: Record<string, unknown> | null;
  body: { required: boolean; schema: Record<string, unknown> } | null;
  responses: { status: string; description: string; schema: Record<string, unknown> | null }[];
}

export function routeReferences(): RouteReference[] {
  return API_ROUTES.map((r) => ({
    anchor: `${r.method}-${r.path.replace(/[^a-zA-Z0-9]+/g, "-").replace(/^-|-$/g, "")}`,
    method: r.method,
    path: `${API_BASE}${r.path}`,
    summary: r.summary,
    ...(r.description ? { description: r.description } : {}),
    authText: authText(r.auth),
    scope: r.auth?.scope ?? null,
    public: r.auth === null,
    parameters: r.parameters?.length
      ? {
          type: "object",
          properties: Object.fromEntries(
            r.parameters.map((p) => [p.name, { ...jsonSchemaOf(p.schema, "input"), description: `(${p.in}) ${p.description}` }]),
          ),
          required: r.parameters.filter((p) => p.required).map((p) => p.name),
        }
      : null,
    body: r.body ? { required: r.body.required, schema: jsonSchemaOf(r.body.schema, "input") } : null,
    responses: Object.entries(r.responses).map(([status, resp]) => ({
      status,
      description: resp.description,
      schema: resp.schema ? jsonSchemaOf(resp.schema, "output") : null,
    })),
  }));
}
