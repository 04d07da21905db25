// Rollout waves (issue 13 §10): a release reaches the clusters wave by wave,
// canary first; every move and refusal, the cluster status reports (tRPC and
// REST), and the change request moving to rolled-out. Also the release's
// compile check (issue 10), which every release here passes through.
import { TRPCError } from "@trpc/server";
import { and, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { auditEvents, changeRequests, notifications, releaseClusterRollouts, releases } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { callerFor } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { releasePaymentsPolicy } from "@/server/testing/release";
import { createApiApp } from "@/server/api/app";

const ADMIN = "alex.admin@acme.example";
const AUTHOR = "priya.payments@acme.example";
const SECURITY = "sam.security@acme.example";

describe(`rollout waves on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;
  const as = (email: string) => callerFor(db(), email);
  let made = 0;

  /** Proposes, approves and releases one new payments policy; returns the release number. */
  const releaseOne = () => releasePaymentsPolicy(db(), `rollout-${++made}`, { port: 8000 + made });

  async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
    const error = await p.then(
      () => null,
      (e: unknown) => e,
    );
    if (!(error instanceof TRPCError)) throw new Error(`expected a refusal, got ${String(error)}`);
    return { code: error.code, message: error.message };
  }

  const eventsOf = async (action: string, release: number) => {
    const [r] = await db().select().from(releases).where(eq(releases.number, release));
    return db()
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, action), eq(auditEvents.targetId, r!.id)));
  };

  let first: { release: number; change: number };
  beforeAll(async () => {
    first = await releaseOne();
  });

  it("plans the waves from the clusters' wave labels, canary first, every cluster pending, after a compile check of every cluster", async () => {
    const rollout = await (await as(ADMIN)).releases.rollout({ number: first.release });
    expect(rollout).toMatchObject({ state: "not-started", currentWave: 0 });
    expect(
      rollout!.waves.map((w) => ({ wave: w.wave, canary: w.canary, clusters: w.clusters.map((c) => `${c.cluster}:${c.status}`) })),
    ).toEqual([
      { wave: 1, canary: true, clusters: ["staging-eu-1:pending"] },
      { wave: 2, canary: false, clusters: ["prod-eu-1:pending"] },
      { wave: 3, canary: false, clusters: ["prod-us-1:pending"] },
    ]);
    expect(rollout!.actions).toEqual({ nextWave: true, pause: true, resume: false });
    const [created] = await eventsOf("release.created", first.release);
    expect(created!.after).toMatchObject({ compileCheck: { clusters: 3, disagreements: 0 } });
    expect((created!.after as { compileCheck: { flows: number } }).compileCheck.flows).toBeGreaterThan(100);
  });

  it("refuses a status report from a cluster whose wave has not started, and from a cluster the release does not go to", async () => {
    const admin = await as(ADMIN);
    expect(await refusal(admin.releases.clusterStatus({ number: first.release, cluster: "staging-eu-1", status: "applied" }))).toEqual({
      code: "CONFLICT",
      message: expect.stringMatching(/staging-eu-1 cannot report on release \d+ yet: it is in wave 1, which has not started/),
    });
    expect(await refusal(admin.releases.clusterStatus({ number: first.release, cluster: "nowhere", status: "applied" }))).toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("refuses every rollout action to a non-admin on the server, and writes nothing", async () => {
    const before = await db().select().from(releaseClusterRollouts);
    for (const email of [AUTHOR, SECURITY]) {
      const caller = await as(email);
      for (const call of [
        () => caller.releases.rolloutNextWave({ number: first.release }),
        () => caller.releases.pauseRollout({ number: first.release }),
        () => caller.releases.resumeRollout({ number: first.release }),
        () => caller.releases.clusterStatus({ number: first.release, cluster: "staging-eu-1", status: "applied" }),
      ])
        expect((await refusal(call())).code).toBe("FORBIDDEN");
    }
    expect(await db().select().from(releaseClusterRollouts)).toEqual(before);
  });

  it("renders the canary wave with the compiler, holds the next wave until it is applied, pauses and resumes", async () => {
    const admin = await as(ADMIN);
    const n = first.release;
    expect(await admin.releases.rolloutNextWave({ number: n })).toEqual({
      number: n,
      wave: 1,
      clusters: [{ cluster: "staging-eu-1", status: "rendered" }],
    });
    const rollout = await admin.releases.rollout({ number: n });
    const canary = rollout!.waves[0]!.clusters[0]!;
    expect(canary.renderedObjects).toBeGreaterThan(5);
    expect(canary.renderedHash).toMatch(/^[0-9a-f]{64}$/);
    expect(rollout!.waves[1]!.clusters[0]!.status).toBe("pending");
    expect(rollout!.actions.nextWave).toBe(false);

    expect((await refusal(admin.releases.rolloutNextWave({ number: n }))).message).toMatch(
      /cannot start wave 2: wave 1 is not applied everywhere yet \(staging-eu-1 is rendered\)/,
    );
    expect(await admin.releases.pauseRollout({ number: n })).toEqual({ number: n, state: "paused" });
    expect((await refusal(admin.releases.pauseRollout({ number: n }))).message).toMatch(/already paused \(by alex.admin@acme.example\)/);
    // The cluster side still reports while paused; only starting a wave waits.
    await admin.releases.clusterStatus({ number: n, cluster: "staging-eu-1", status: "applied" });
    expect((await refusal(admin.releases.rolloutNextWave({ number: n }))).message).toMatch(
      /rollout is paused \(by alex.admin@acme.example\): resume it first/,
    );
    expect(await admin.releases.resumeRollout({ number: n })).toEqual({ number: n, state: "rolling-out" });
    expect((await refusal(admin.releases.resumeRollout({ number: n }))).message).toMatch(/is not paused/);
    expect(await eventsOf("rollout.paused", n)).toHaveLength(1);
    expect(await eventsOf("rollout.resumed", n)).toHaveLength(1);
    expect((await eventsOf("rollout.wave_started", n))[0]!.after).toMatchObject({ wave: 1, of: 3 });
  });

  it("holds the next wave while a cluster failed, names it, and lets it recover; rolls the change out when every cluster applied", async () => {
    const admin = await as(ADMIN);
    const n = first.release;
    await admin.releases.rolloutNextWave({ number: n });
    expect((await refusal(admin.releases.clusterStatus({ number: n, cluster: "prod-eu-1", status: "failed" }))).message).toMatch(
      /Say why prod-eu-1 failed/,
    );
    await admin.releases.clusterStatus({ number: n, cluster: "prod-eu-1", status: "failed", message: "admission webhook refused" });
    expect((await refusal(admin.releases.rolloutNextWave({ number: n }))).message).toMatch(
      /prod-eu-1 is failed: admission webhook refused/,
    );
    await admin.releases.clusterStatus({ number: n, cluster: "prod-eu-1", status: "applied" });
    await admin.releases.rolloutNextWave({ number: n });
    expect((await refusal(admin.releases.rolloutNextWave({ number: n }))).message).toMatch(
      /Every wave of release \d+ has started \(3 of 3\)/,
    );
    const [before] = await db().select().from(changeRequests).where(eq(changeRequests.number, first.change));
    expect(before!.state).toBe("released");
    expect(await admin.releases.clusterStatus({ number: n, cluster: "prod-us-1", status: "applied" })).toMatchObject({
      rolledOut: true,
      changeState: "rolled-out",
    });
    const [after] = await db().select().from(changeRequests).where(eq(changeRequests.number, first.change));
    expect(after!.state).toBe("rolled-out");
    expect((await admin.releases.rollout({ number: n }))!.state).toBe("rolled-out");
    expect((await refusal(admin.releases.pauseRollout({ number: n }))).message).toMatch(/rolled out to every cluster/);
    const failed = await eventsOf("rollout.cluster_failed", n);
    expect(failed[0]!.after).toMatchObject({ cluster: "prod-eu-1", status: "failed", message: "admission webhook refused" });
    // The change's author heard of the failure and of the rollout reaching every cluster.
    const heard = (
      await db()
        .select()
        .from(notifications)
        .where(eq(notifications.href, `/releases/${n}`))
    ).map((r) => [r.kind, r.title]);
    expect(heard).toEqual(
      expect.arrayContaining([
        ["release-failed", expect.stringMatching(/failed on prod-eu-1: admission webhook refused$/)],
        ["release-rolled-out", expect.stringMatching(/rolled out to every cluster$/)],
      ]),
    );
  });

  it("takes status reports over REST with an admin token, with the contract's errors", async () => {
    const second = await releaseOne();
    const admin = await as(ADMIN);
    const { token } = await admin.settings.createToken({
      name: "agent",
      role: "admin",
      tenantId: null,
      scopes: ["observed-state"],
      expiresInDays: 1,
    });
    const { token: viewer } = await admin.settings.createToken({
      name: "reader",
      role: "viewer",
      tenantId: null,
      scopes: ["observed-state"],
      expiresInDays: 1,
    });
    const api = createApiApp(async () => db());
    const post = (path: string, body: unknown, bearer = token) =>
      api.request(`http://localhost/api/v1${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const n = second.release;
    expect((await post(`/releases/${n}/clusters/staging-eu-1/status`, { status: "applied" })).status).toBe(409);
    await admin.releases.rolloutNextWave({ number: n });
    const bad = await post(`/releases/${n}/clusters/staging-eu-1/status`, { status: "done" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: "InvalidInput", message: expect.stringMatching(/applied.*failed/) });
    expect((await post(`/releases/${n}/clusters/staging-eu-1/status`, { status: "applied" }, viewer)).status).toBe(403);
    // A token without the scope, and an agent's token bound to another cluster, are refused by name.
    const clusters = await admin.org.clusters();
    const otherCluster = clusters.find((c) => c.name !== "staging-eu-1")!;
    const { token: decider } = await admin.settings.createToken({
      name: "decider",
      role: "admin",
      tenantId: null,
      scopes: ["decide"],
      expiresInDays: 1,
    });
    const { token: otherAgent } = await admin.settings.createToken({
      name: `${otherCluster.name} agent`,
      role: "admin",
      tenantId: null,
      scopes: ["observed-state"],
      clusterId: otherCluster.id,
      expiresInDays: 1,
    });
    const unscoped = await post(`/releases/${n}/clusters/staging-eu-1/status`, { status: "applied" }, decider);
    expect(unscoped.status).toBe(403);
    expect(await unscoped.json()).toMatchObject({
      error: "Forbidden",
      message: expect.stringContaining('lacks the "observed-state" scope'),
    });
    const elsewhere = await post(`/releases/${n}/clusters/staging-eu-1/status`, { status: "applied" }, otherAgent);
    expect(elsewhere.status).toBe(403);
    expect(await elsewhere.json()).toMatchObject({ message: 'This token speaks for another cluster, not "staging-eu-1".' });
    expect((await post(`/releases/999999/clusters/staging-eu-1/status`, { status: "applied" })).status).toBe(404);
    const ok = await post(`/releases/${n}/clusters/staging-eu-1/status`, { status: "applied", message: "synced by Argo CD" });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ number: n, cluster: "staging-eu-1", status: "applied", rolledOut: false });
    const [row] = await db()
      .select()
      .from(releaseClusterRollouts)
      .where(and(eq(releaseClusterRollouts.clusterName, "staging-eu-1"), eq(releaseClusterRollouts.status, "applied")));
    expect(row).toBeDefined();
  });

  it("refuses to roll out, pause or take reports for a release superseded by a newer one", async () => {
    const older = await releaseOne();
    await releaseOne();
    const admin = await as(ADMIN);
    for (const call of [
      () => admin.releases.rolloutNextWave({ number: older.release }),
      () => admin.releases.pauseRollout({ number: older.release }),
    ])
      expect((await refusal(call())).message).toMatch(new RegExp(`release ${older.release + 1} has been made since and replaces it`));
    expect((await admin.releases.rollout({ number: older.release }))!.state).toBe("superseded");
  });
});
