// The decision point (issue 18 item 3): answers equal the engine's, a new release is picked up without a
// restart, dry runs decide a change request's proposal, scopes and cluster binding, bad input, and the
// database going away (stale answers while a release is loaded, fail closed on a fresh start).
import type { Server } from "node:http";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresOptions, type Database } from "@/db/client";
import * as schema from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { releasedDocuments } from "@/server/drafts/documents";
import { computeGraph } from "@/server/graph/compute";
import { loadClusterModels } from "@/server/inventory/cluster-model";
import { platformDefaultInForce } from "@/server/platform-default/get";
import { formatDecisionPath } from "@/server/policy/eval/explain";
import type { Evaluator } from "@/server/policy/eval/evaluator";
import type { FlowEndpoint } from "@/server/policy/model";
import { REFRESH_MS, resetDecisionPoint } from "@/server/decide/point";
import { callerFor } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { serveApi } from "@/server/cli/commands/serve";
import { createApiApp } from "./app";

const ADMIN = "alex.admin@acme.example";
const AUTHOR = "priya.payments@acme.example";
const SECURITY = "sam.security@acme.example";
const PAYMENTS_COMMITTEE = "dana.payments-committee@acme.example";
const CLUSTER = "prod-eu-1";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Twice: through the REST app (as Next.js mounts it) and over HTTP through `policyplane serve`, whose
// lean path answers POST /api/v1/decide before the app (server/api/decide-lean.ts).
describe.each(["the REST app", "policyplane serve"] as const)(`POST /api/v1/decide through %s on ${testDatabaseKind()}`, (transport) => {
  const database = useSeededDatabase();
  const db = () => database().db;
  // A PostgreSQL nobody listens on: what a decision point sees when its database goes away, through a
  // client opened as the application's are (db/client.ts: its wait between attempts is bounded, tested there).
  const deadUrl = "postgres://policyplane@127.0.0.1:9/policyplane";
  const deadClient = postgres(deadUrl, { ...postgresOptions(deadUrl), max: 1 });
  const dead = drizzle(deadClient, { schema }) as unknown as Database;
  let down = false;
  const getDb = async () => (down ? dead : db());
  const api = createApiApp(getDb);
  let served: { server: Server; url: string } | undefined;
  const call = (path: string, init?: RequestInit) =>
    transport === "policyplane serve" ? fetch(`${served!.url}${path}`, init) : Promise.resolve(api.request(path, init));
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    resetDecisionPoint();
    if (transport === "policyplane serve") served = await serveApi(getDb, 0, "127.0.0.1");
    const admin = await callerFor(db(), ADMIN);
    const clusters = await db().select().from(schema.clusters);
    const other = clusters.find((c) => c.name !== CLUSTER)!;
    const mine = clusters.find((c) => c.name === CLUSTER)!;
    const make = async (name: string, scopes: ("decide" | "propose")[], clusterId: string | null = null) =>
      (await admin.settings.createToken({ name, role: "viewer", tenantId: null, scopes, clusterId, expiresInDays: 1 })).token;
    tokens.decide = await make("decision point", ["decide"]);
    tokens.propose = await make("ci", ["propose"]);
    tokens.other = await make("other cluster agent", ["decide"], other.id);
    tokens.mine = await make("own cluster agent", ["decide"], mine.id);
  });
  afterAll(async () => {
    await new Promise((resolve) => (served ? served.server.close(resolve) : resolve(undefined)));
    await deadClient.end({ timeout: 1 });
    resetDecisionPoint();
  });

  const decide = (body: unknown, token: string | null = tokens.decide!) =>
    call("/api/v1/decide", {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  /** The engine built here from the database, without the decision point or the graph cache. */
  async function referenceEngine(): Promise<Evaluator> {
    const [contexts, docs, platformDefault] = await Promise.all([
      loadClusterModels(db(), [CLUSTER]),
      releasedDocuments(db()),
      platformDefaultInForce(db()),
    ]);
    const graph = computeGraph({
      clusters: contexts.map((c) => ({ name: c.name, region: c.region, model: c.model })),
      release: docs.map((d) => ({ document: d.document, version: d.version })),
      platformDefault,
    });
    return graph.base[0]!.evaluator;
  }

  it("answers every fixture flow as the engine does, then from its cache", async () => {
    const engine = await referenceEngine();
    const [context] = await loadClusterModels(db(), [CLUSTER]);
    // Every workload to every workload's ports (one pod each), plus the outside world.
    const workloads = context!.model.workloads.slice(0, 12);
    const flows: { source: Record<string, string>; destination: Record<string, string>; port: number; protocol: "TCP" | "UDP" }[] = [];
    for (const s of workloads)
      for (const d of workloads)
        for (const p of d.ports.slice(0, 1))
          flows.push({
            source: { namespace: s.namespace, pod: s.name },
            destination: { namespace: d.namespace, pod: d.name },
            port: p.port,
            protocol: "TCP",
          });
    for (const s of workloads.slice(0, 4)) {
      flows.push({ source: { namespace: s.namespace, pod: s.name }, destination: { ip: "8.8.8.8" }, port: 53, protocol: "UDP" });
      flows.push({ source: { namespace: s.namespace, pod: s.name }, destination: { dns: "api.stripe.com" }, port: 443, protocol: "TCP" });
    }
    const endpoint = (e: Record<string, string>): FlowEndpoint =>
      e.pod ? { kind: "pod", namespace: e.namespace!, name: e.pod } : e.ip ? { kind: "ip", ip: e.ip } : { kind: "dns", name: e.dns! };
    let allowed = 0;
    for (const flow of flows) {
      const response = await decide({ cluster: CLUSTER, ...flow });
      expect(response.status, JSON.stringify(flow)).toBe(200);
      const body = (await response.json()) as { decision: string; reasons: string[]; release: number; decisionId: string; cached: boolean };
      const expected = engine.decide({
        src: endpoint(flow.source),
        dst: endpoint(flow.destination),
        port: flow.port,
        protocol: flow.protocol,
      });
      if (!expected.ok) throw expected.error;
      expect(body.decision, JSON.stringify(flow)).toBe(expected.value.verdict);
      expect(body.reasons.join("; ")).toBe(formatDecisionPath(expected.value));
      expect(body).toMatchObject({ release: 0, cached: false, decisionId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
      if (body.decision === "allow") allowed++;
    }
    // The fixture has both verdicts, so equality above means something.
    expect(allowed).toBeGreaterThan(0);
    expect(allowed).toBeLessThan(flows.length);
    const again = await decide({ cluster: CLUSTER, ...flows[0]! });
    const body = (await again.json()) as { cached: boolean; decisionId: string };
    expect(body.cached).toBe(true);
  });

  it("decides a label selector over every matching identity, and takes a time with its timezone", async () => {
    const response = await decide({
      cluster: CLUSTER,
      source: { namespace: "payments", labels: { app: "payments-api" } },
      destination: { ip: "8.8.8.8" },
      port: 53,
      protocol: "UDP",
      time: "2026-12-06T09:00:00+01:00",
    });
    expect(response.status).toBe(200);
    const pod = await decide({
      cluster: CLUSTER,
      source: { namespace: "payments", pod: "payments-api" },
      destination: { ip: "8.8.8.8" },
      port: 53,
      protocol: "UDP",
    });
    const [a, b] = (await Promise.all([response.json(), pod.json()])) as { decision: string }[];
    expect(a!.decision).toBe(b!.decision);
  });

  it("refuses bad input naming the field, an unknown cluster with 404, never a 500", async () => {
    const flow = { cluster: CLUSTER, source: { namespace: "payments", pod: "payments-api" }, destination: { ip: "8.8.8.8" }, port: 53 };
    const cases: [unknown, number, string][] = [
      [{ ...flow, port: 70000 }, 400, "port"],
      [{ ...flow, protocol: "ICMP" }, 400, "protocol"],
      [{ ...flow, source: { pod: "payments-api" } }, 400, "source.namespace"],
      [{ ...flow, source: { ip: "8.8.8.8", dns: "x.example" } }, 400, "source"],
      [{ ...flow, destination: { namespace: "payments", pod: "no-such-pod" } }, 400, "destination.pod"],
      [{ ...flow, source: { labels: { app: "no-such-app" } } }, 400, "source.labels"],
      [{ ...flow, time: "tomorrow" }, 400, "time"],
      [{ ...flow, time: "2026-12-06T09:00:00" }, 400, "time"],
      [{ ...flow, colour: "blue" }, 400, "body"],
      ["{not json", 400, "body"],
    ];
    for (const [body, status, field] of cases) {
      const response = await decide(body);
      const answer = (await response.json()) as { error: string; field: string; message: string };
      expect({ status: response.status, field: answer.field }, `${JSON.stringify(body)}: ${answer.message}`).toEqual({ status, field });
    }
    const unknown = await decide({ ...flow, cluster: "no-such-cluster" });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: "NotFound" });
  });

  it("allows exactly the decide scope, and a cluster-bound token only for its own cluster", async () => {
    const flow = { cluster: CLUSTER, source: { namespace: "payments", pod: "payments-api" }, destination: { ip: "8.8.8.8" }, port: 53 };
    expect((await decide(flow, null)).status).toBe(401);
    expect((await decide(flow, "ppt_forged00_nope")).status).toBe(401);
    const refused = await decide(flow, tokens.propose!);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: "Forbidden", message: expect.stringContaining('"decide" scope') });
    expect((await decide(flow, tokens.decide!)).status).toBe(200);
    expect((await decide(flow, tokens.mine!)).status).toBe(200);
    const elsewhere = await decide(flow, tokens.other!);
    expect(elsewhere.status).toBe(403);
    expect(await elsewhere.json()).toMatchObject({ message: expect.stringContaining(CLUSTER) });
    // The decide scope opens the decision point only: the change-request endpoints stay closed to it.
    const cr = await call("/api/v1/change-requests/1", { headers: { authorization: `Bearer ${tokens.decide}` } });
    expect(cr.status).toBe(403);
  });

  it("refuses a revoked token on its very next call, and a rotated one as soon as its grace ends, despite the token cache", async () => {
    const admin = await callerFor(db(), ADMIN);
    const flow = { cluster: CLUSTER, source: { namespace: "payments", pod: "payments-api" }, destination: { ip: "8.8.8.8" }, port: 53 };
    const review = (token: string) =>
      call(`/api/v1/admission/${CLUSTER}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({
          apiVersion: "admission.k8s.io/v1",
          kind: "AdmissionReview",
          request: {
            uid: "u1",
            kind: { group: "", version: "v1", kind: "Namespace" },
            resource: { group: "", version: "v1", resource: "namespaces" },
            operation: "CREATE",
            object: { metadata: { name: "x", labels: { tenant: "payments" } } },
          },
        }),
      });
    const revoked = await admin.settings.createToken({
      name: "soon revoked",
      role: "viewer",
      tenantId: null,
      scopes: ["decide"],
      clusterId: null,
      expiresInDays: 1,
    });
    // Both calls put the token in the cache (verified less than TOKEN_RECHECK_MS ago).
    expect((await decide(flow, revoked.token)).status).toBe(200);
    expect((await review(revoked.token)).status).toBe(200);
    await admin.settings.revokeToken({ tokenId: revoked.id });
    expect((await decide(flow, revoked.token)).status).toBe(401);
    expect((await review(revoked.token)).status).toBe(401);

    const rotated = await admin.settings.createToken({
      name: "soon rotated",
      role: "viewer",
      tenantId: null,
      scopes: ["decide"],
      clusterId: null,
      expiresInDays: 1,
    });
    expect((await decide(flow, rotated.token)).status).toBe(200);
    const next = await admin.settings.rotateToken({ tokenId: rotated.id, graceHours: 0 });
    expect((await decide(flow, rotated.token)).status).toBe(401);
    expect((await decide(flow, next.token)).status).toBe(200);
  });

  // The flow the released policies deny and the isolation template allows (an added path of the drafts' graph).
  let opened: {
    cluster: string;
    source: { namespace: string; pod: string };
    destination: { namespace: string; pod: string };
    port: number;
  };

  it("picks up a new release without a restart, and decides a change request's proposal on a dry run", async () => {
    const author = await callerFor(db(), AUTHOR);
    const { name } = await author.policies.createFromTemplate({ template: "tenant-east-west-isolation", values: { tenant: "payments" } });
    const view = await author.graph.view({ cluster: CLUSTER, overlay: "drafts" });
    const added = view.paths.find((p) => p.change === "added" && p.ports.some((port) => /^\d+\/TCP/.test(port)));
    expect(added, "the isolation draft adds a path").toBeDefined();
    const [from, rest] = added!.label.split(" → ");
    const [sourceNs, sourcePod] = from!.split("/");
    const [destinationNs, destinationPod] = rest!.split(" ")[0]!.split("/");
    const port = Number(added!.ports.find((p) => /^\d+\/TCP/.test(p))!.split("/")[0]);
    opened = {
      cluster: CLUSTER,
      source: { namespace: sourceNs!, pod: sourcePod! },
      destination: { namespace: destinationNs!, pod: destinationPod! },
      port,
    };
    const { number } = await author.policies.proposeChange({ title: "payments isolation", description: "", policies: [name] });
    const before = (await (await decide(opened)).json()) as { decision: string; release: number };
    expect(before).toMatchObject({ decision: "deny", release: 0 });
    const dry = await decide({ ...opened, dryRun: { changeRequest: number } });
    expect(dry.status).toBe(200);
    expect(await dry.json()).toMatchObject({ decision: "allow", release: 0, dryRun: { changeRequest: number }, cached: false });
    expect((await decide({ ...opened, dryRun: { changeRequest: 999999 } })).status).toBe(404);
    // Still the release's answer, from the cache.
    expect(await (await decide(opened)).json()).toMatchObject({ decision: "deny", release: 0, cached: true });

    const { contentHash } = await author.workflow.review({ number });
    await (await callerFor(db(), SECURITY)).workflow.approve({ number, contentHash });
    await (await callerFor(db(), PAYMENTS_COMMITTEE)).workflow.approve({ number, contentHash });
    const { release } = await (await callerFor(db(), ADMIN)).workflow.release({ number });
    expect(release).toBe(1);
    await sleep(REFRESH_MS + 50);
    const after = (await (await decide(opened)).json()) as { decision: string; release: number; reasons: string[]; cached: boolean };
    expect(after).toMatchObject({ decision: "allow", release: 1, cached: false });
    expect(after.reasons.join(" ")).toContain(name);
  });

  it("keeps serving the loaded release while the database is unreachable, says so in health, and fails closed on a fresh start", async () => {
    const flow = opened;
    expect((await decide(flow)).status).toBe(200);
    down = true;
    try {
      await sleep(REFRESH_MS + 50);
      const stale = await decide(flow);
      expect(stale.status).toBe(200);
      expect(await stale.json()).toMatchObject({ decision: "allow", release: 1, stale: true });
      const health = await call("/api/v1/health");
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({
        status: "degraded",
        database: "unreachable",
        decide: { clusters: [expect.objectContaining({ cluster: CLUSTER, release: 1 })] },
      });
      // A cluster it never loaded, and everything after a restart: denied.
      const never = await decide({ ...flow, cluster: "prod-us-1", source: { ip: "10.0.0.1" } });
      expect(never.status).toBe(503);
      expect(await never.json()).toMatchObject({ decision: "deny", release: null, reasons: [expect.stringContaining("fail closed")] });
      resetDecisionPoint();
      const fresh = await decide(flow);
      expect(fresh.status).toBe(503);
      expect(await fresh.json()).toMatchObject({ decision: "deny", release: null });
      expect(await (await call("/api/v1/health")).json()).toMatchObject({ status: "down" });
    } finally {
      down = false;
    }
    expect((await decide(flow)).status).toBe(200);
    expect(await (await call("/api/v1/health")).json()).toEqual({ status: "ok" });
  });
});
