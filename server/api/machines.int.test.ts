// The machine API's reference (GET /api/v1/openapi.json, generated from the handlers' zod schemas) and
// the admission webhook over HTTP (issue 18 items 1 and 5).
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import * as schema from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { admissionReview } from "@/server/admission/schemas";
import { callerFor } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { createApiApp } from "./app";
import { API_ROUTES } from "./openapi";

const FIXTURES = path.join(__dirname, "../admission/__fixtures__");
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), "utf8");
const CLUSTER = "prod-eu-1";

describe(`the machine API's reference and admission webhook on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const api = createApiApp(async () => database().db);
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    const admin = await callerFor(database().db, "alex.admin@acme.example");
    const clusters = await database().db.select().from(schema.clusters);
    const other = clusters.find((c) => c.name !== CLUSTER)!;
    const make = async (name: string, scopes: ("decide" | "propose")[], clusterId: string | null = null) =>
      (await admin.settings.createToken({ name, role: "viewer", tenantId: null, scopes, clusterId, expiresInDays: 1 })).token;
    tokens.webhook = await make("admission webhook", ["decide"]);
    tokens.ci = await make("ci", ["propose"]);
    tokens.other = await make("other cluster webhook", ["decide"], other.id);
  });

  it("serves an OpenAPI 3.1 document listing every route of the app, with schemas from the handlers' zod schemas", async () => {
    const response = await api.request("/api/v1/openapi.json");
    expect(response.status).toBe(200);
    const doc = (await response.json()) as {
      openapi: string;
      info: { title: string; version: string };
      servers: { url: string }[];
      paths: Record<
        string,
        Record<
          string,
          {
            operationId: string;
            responses: Record<string, unknown>;
            requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
          }
        >
      >;
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(doc.servers).toEqual([{ url: "/api/v1" }]);
    // Every route the app answers is documented, and nothing else is.
    const served = api.routes
      .filter((r) => r.method !== "ALL")
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/^\/api\/v1/, "").replace(/:(\w+)/g, "{$1}")}`);
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));
    expect(new Set(documented)).toEqual(new Set(served));
    expect(documented).toHaveLength(API_ROUTES.length);
    const operationIds = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((o) => o.operationId));
    expect(new Set(operationIds).size).toBe(operationIds.length);
    for (const ops of Object.values(doc.paths))
      for (const op of Object.values(ops)) {
        expect(Object.keys(op.responses).length).toBeGreaterThan(0);
        for (const status of Object.keys(op.responses)) expect(status).toMatch(/^[1-5]\d\d$/);
      }
    // The decide body is the handler's schema: a strict object naming the flow's fields, the port bounded as the handler checks it.
    const decide = doc.paths["/decide"]!.post!.requestBody!.content["application/json"]!.schema as {
      type: string;
      required: string[];
      additionalProperties: boolean;
      properties: Record<string, { minimum?: number; maximum?: number }>;
    };
    expect(decide).toMatchObject({ type: "object", additionalProperties: false });
    expect(decide.required).toEqual(expect.arrayContaining(["cluster", "source", "destination", "port"]));
    expect(decide.properties.port).toMatchObject({ minimum: 1, maximum: 65535 });
    expect(JSON.stringify(doc)).not.toContain('"$schema"');
  });

  const admit = (body: string, cluster = CLUSTER, token: string | null = tokens.webhook!) =>
    api.request(`/api/v1/admission/${cluster}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body,
    });

  it("answers every fixture review with a schema-valid AdmissionReview, in the cluster's stored mode: enforce, warn and off", async () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith(".admissionreview.json"));
    const seen = { enforce: new Set<boolean>(), warn: new Set<boolean>(), off: new Set<boolean>() };
    const admin = await callerFor(database().db, "alex.admin@acme.example");
    for (const mode of ["enforce", "warn", "off"] as const) {
      await admin.clusters.setAdmissionMode({ name: CLUSTER, mode });
      for (const file of files) {
        const response = await admit(fixture(file));
        expect(response.status, `${file} ${mode}`).toBe(200);
        const answer = admissionReview.parse(await response.json());
        const uid = (JSON.parse(fixture(file)) as { request: { uid: string } }).request.uid;
        expect(answer.response?.uid).toBe(uid);
        expect(answer.request).toBeUndefined();
        seen[mode].add(answer.response!.allowed);
        if (mode === "warn" && answer.response!.warnings) expect(answer.response!.allowed).toBe(true);
      }
    }
    await admin.clusters.setAdmissionMode({ name: CLUSTER, mode: "enforce" });
    // The fixtures hold both outcomes in enforce; warn and off never refuse.
    expect(seen.enforce).toEqual(new Set([true, false]));
    expect(seen.warn).toEqual(new Set([true]));
    expect(seen.off).toEqual(new Set([true]));
  });

  it("refuses a malformed review with 400 and the reason, never a 500", async () => {
    const pod = JSON.parse(fixture("kubewarden-pod-create.admissionreview.json")) as { request: Record<string, unknown> };
    const cases: [string, string][] = [
      ["{not json", "body"],
      [JSON.stringify({ apiVersion: "admission.k8s.io/v1beta1", kind: "AdmissionReview", request: pod.request }), "apiVersion"],
      [JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" }), "request"],
      [JSON.stringify({ ...pod, request: { ...pod.request, uid: undefined } }), "request.uid"],
      [JSON.stringify({ ...pod, request: { ...pod.request, operation: "PATCH" } }), "request.operation"],
      [JSON.stringify({ ...pod, request: { ...pod.request, object: "nginx" } }), "request.object"],
      ["[]", "body"],
    ];
    for (const [body, field] of cases) {
      const response = await admit(body);
      const answer = (await response.json()) as { error: string; field: string; message: string };
      expect({ status: response.status, error: answer.error, field: answer.field }, answer.message).toEqual({
        status: 400,
        error: "InvalidInput",
        field,
      });
    }
    expect((await admit(fixture("kubewarden-pod-create.admissionreview.json"), "no-such-cluster")).status).toBe(404);
  });

  it("takes a token with the decide scope, for its own cluster only", async () => {
    const body = fixture("kubewarden-pod-create.admissionreview.json");
    expect((await admit(body, undefined, null)).status).toBe(401);
    expect((await admit(body, undefined, tokens.ci!)).status).toBe(403);
    expect((await admit(body, undefined, tokens.other!)).status).toBe(403);
    expect((await admit(body)).status).toBe(200);
  });

  it("answers POST /api/v1/admission for the cluster its token is bound to, or the one named in the query", async () => {
    const body = fixture("kubewarden-pod-create.admissionreview.json");
    const post = (query: string, token: string) =>
      api.request(`/api/v1/admission${query}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body,
      });
    const bound = await post("", tokens.other!);
    expect(bound.status).toBe(200);
    expect(admissionReview.parse(await bound.json()).response?.uid).toBe((JSON.parse(body) as { request: { uid: string } }).request.uid);
    expect((await post(`?cluster=${CLUSTER}`, tokens.webhook!)).status).toBe(200);
    // An unbound token must name its cluster; a bound one cannot speak for another.
    const unnamed = await post("", tokens.webhook!);
    expect(unnamed.status).toBe(400);
    expect(await unnamed.json()).toMatchObject({ error: "InvalidInput", field: "cluster" });
    expect((await post(`?cluster=${CLUSTER}`, tokens.other!)).status).toBe(403);
  });
});
