// REST rebase (POST /api/v1/changes/{id}/rebase): the console's rebase for CI
// and scripts, under the token scope "propose". A conflict answers 409 with
// the conflicts listed as JSON (what to resolve, onto which release); the
// resolved YAML sent back rebases the change and voids its approvals.
import { eq } from "drizzle-orm";
import { describe, expect, it, beforeAll } from "vitest";
import { policies } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { callerFor } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { paymentsEgressYaml } from "@/server/testing/policies";
import { createApiApp } from "./app";
import { API_ROUTES } from "./openapi";

const ADMIN = "alex.admin@acme.example";
const AUTHOR = "priya.payments@acme.example";
const SECURITY = "sam.security@acme.example";
const PAYMENTS_COMMITTEE = "dana.payments-committee@acme.example";
const ORIGIN = "http://localhost:3995";

describe(`REST rebase on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;
  const as = (email: string) => callerFor(db(), email);
  let api: ReturnType<typeof createApiApp>;
  const tokens: Record<"admin" | "author" | "viewer" | "decideOnly", string> = { admin: "", author: "", viewer: "", decideOnly: "" };

  beforeAll(async () => {
    api = createApiApp(async () => db());
    const admin = await as(ADMIN);
    const payments = (await admin.org.tenants()).find((t) => t.name === "payments")!.id;
    const token = (name: string, role: "admin" | "author" | "viewer", scopes: ("propose" | "decide")[]) =>
      admin.settings
        .createToken({ name, role, tenantId: role === "author" ? payments : null, scopes, expiresInDays: 1 })
        .then((t) => t.token);
    tokens.admin = await token("release bot", "admin", ["propose"]);
    tokens.author = await token("payments ci", "author", ["propose"]);
    tokens.viewer = await token("reader", "viewer", ["propose"]);
    tokens.decideOnly = await token("admin decide", "admin", ["decide"]);
  });

  const post = (path: string, token: string, body: unknown) =>
    api.request(`${ORIGIN}/api/v1${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  /**
   * A payments policy in force at v1 (port 443), and two changes of it: A (port 8443) released, B (port 9443,
   * drafted from v1 beside A) approved and now stale: its port line conflicts with the release's.
   */
  async function staleChange(name: string) {
    const author = await as(AUTHOR);
    await author.policies.saveDraft({ policyName: null, baseVersion: null, yaml: paymentsEgressYaml(name), message: "" });
    await db().update(policies).set({ releasedVersion: 1 }).where(eq(policies.name, name));
    await author.policies.saveDraft({ policyName: name, baseVersion: 1, yaml: paymentsEgressYaml(name, { port: 8443 }), message: "" });
    const a = await author.policies.proposeChange({ title: "A: 8443", description: "", policies: [name] });
    await author.policies.restoreVersion({ policyName: name, version: 1 });
    const latest = (await author.policies.get({ name })).versions.at(-1)!.version;
    await author.policies.saveDraft({ policyName: name, baseVersion: latest, yaml: paymentsEgressYaml(name, { port: 9443 }), message: "" });
    const b = await author.policies.proposeChange({ title: "B: 9443", description: "", policies: [name] });
    for (const { number } of [a, b]) {
      const { contentHash } = await author.workflow.review({ number });
      await (await as(SECURITY)).workflow.approve({ number, contentHash, comment: "" });
      await (await as(PAYMENTS_COMMITTEE)).workflow.approve({ number, contentHash, comment: "" });
    }
    await (await as(ADMIN)).workflow.release({ number: a.number });
    return { number: b.number, contentHash: (await author.workflow.review({ number: b.number })).contentHash };
  }

  it("answers 409 listing each conflict, then rebases the resolved YAML (201), voiding the approvals; the alias path is the same service", async () => {
    const name = "rest-rebase-1";
    const b = await staleChange(name);
    const conflicted = await post(`/changes/${b.number}/rebase`, tokens.admin, { contentHash: b.contentHash });
    expect(conflicted.status).toBe(409);
    const refusal = (await conflicted.json()) as {
      error: string;
      message: string;
      conflicts: { policy: string; conflicts: number; onto: number | null; withMarkers: string }[];
    };
    expect(refusal.error).toBe("Conflict");
    expect(refusal.message).toMatch(new RegExp(`${name} has 1 conflict between your change and the release`));
    expect(refusal.conflicts).toHaveLength(1);
    expect(refusal.conflicts[0]).toMatchObject({ policy: name, conflicts: 1, proposedFrom: 1, base: 1, onto: 2 });
    expect(refusal.conflicts[0]!.withMarkers).toMatch(/<<<<<<< your change[\s\S]*port: 9443[\s\S]*>>>>>>> released since/);
    // The conflict list is the console's plan: the same merge, the same release to resolve onto.
    const plan = await (await as(AUTHOR)).workflow.rebasePlan({ number: b.number });
    expect(refusal.conflicts[0]!.withMarkers).toBe(plan.policies[0]!.withMarkers);

    // The resolution is checked as the console checks it: markers left in are refused, naming the field.
    const markers = await post(`/changes/${b.number}/rebase`, tokens.admin, {
      contentHash: b.contentHash,
      resolutions: [{ policy: name, onto: 2, yaml: refusal.conflicts[0]!.withMarkers }],
    });
    expect(markers.status).toBe(400);
    expect(await markers.json()).toMatchObject({ error: "InvalidInput", field: "resolutions.0.yaml" });

    const rebased = await post(`/change-requests/${b.number}/rebase`, tokens.admin, {
      contentHash: b.contentHash,
      resolutions: [{ policy: name, onto: 2, yaml: paymentsEgressYaml(name, { port: 9443, description: "resolved" }) }],
    });
    expect(rebased.status).toBe(201);
    const body = (await rebased.json()) as { state: string; contentHash: string; voided: number; rebased: { resolvedBy: string }[] };
    expect(body).toMatchObject({
      number: b.number,
      state: "in-review",
      voided: 2,
      rebased: [{ policy: name, onto: 2, resolvedBy: "author" }],
    });
    expect(body.contentHash).not.toBe(b.contentHash);
    const review = await (await as(AUTHOR)).workflow.review({ number: b.number });
    expect(review.contentHash).toBe(body.contentHash);
    expect(review.rebase).toEqual([]);

    // Nothing left to rebase: 409 again, now without conflicts to list.
    const again = await post(`/changes/${b.number}/rebase`, tokens.admin, { contentHash: body.contentHash });
    expect(again.status).toBe(409);
    const noop = (await again.json()) as Record<string, unknown>;
    expect(noop.message).toMatch(/needs no rebase/);
    expect(noop.conflicts).toBeUndefined();
  });

  it("refuses a stale hash (409), bad input (400), an unknown change (404), a token without the propose scope, or not the change's author nor an admin (403), writing nothing", async () => {
    const name = "rest-rebase-2";
    const b = await staleChange(name);
    const expectError = async (response: Response, status: number, error: string, message?: RegExp) => {
      expect(response.status).toBe(status);
      const body = (await response.json()) as { error: string; message: string };
      expect(body.error).toBe(error);
      if (message) expect(body.message).toMatch(message);
    };
    await expectError(
      await post(`/changes/${b.number}/rebase`, tokens.admin, { contentHash: "a".repeat(64) }),
      409,
      "Conflict",
      /changed by someone else/,
    );
    await expectError(await post(`/changes/${b.number}/rebase`, tokens.admin, { contentHash: "nope" }), 400, "InvalidInput", /contentHash/);
    await expectError(await post(`/changes/${b.number}/rebase`, tokens.admin, "{not json"), 400, "InvalidInput");
    await expectError(await post(`/changes/0/rebase`, tokens.admin, { contentHash: b.contentHash }), 404, "NotFound");
    await expectError(await post(`/changes/999999/rebase`, tokens.admin, { contentHash: b.contentHash }), 404, "NotFound");
    await expectError(
      await post(`/changes/${b.number}/rebase`, tokens.decideOnly, { contentHash: b.contentHash }),
      403,
      "Forbidden",
      /propose/,
    );
    await expectError(await post(`/changes/${b.number}/rebase`, tokens.viewer, { contentHash: b.contentHash }), 403, "Forbidden");
    // The same rights as the console: the change's author (a person) or an admin; another author's CI token is neither.
    await expectError(
      await post(`/changes/${b.number}/rebase`, tokens.author, { contentHash: b.contentHash }),
      403,
      "Forbidden",
      /Only the author of change request/,
    );
    const after = await (await as(AUTHOR)).workflow.review({ number: b.number });
    expect(after.contentHash).toBe(b.contentHash);
    expect(after.rebase).toEqual([{ policy: name, proposedFrom: 1, released: 2 }]);
  });

  it("documents both paths in the OpenAPI routes, with the conflicts in the 409 reply", () => {
    for (const path of ["/changes/{id}/rebase", "/change-requests/{number}/rebase"]) {
      const route = API_ROUTES.find((r) => r.method === "post" && r.path === path);
      expect(route?.auth).toMatchObject({ scope: "propose" });
      expect(route?.responses[409]?.schema?.safeParse({ error: "Conflict", message: "m", conflicts: [] }).success).toBe(true);
    }
  });
});
