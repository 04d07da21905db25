// Exceptions leave the clusters when they expire (issue 10 item 4, issue 14 item 5): an approved
// exception's compiled objects are in its cluster's desired state; the sweeper's expiry (at the
// moved test clock) and a revocation re-render without them: the desired manifests lose them, the
// GitOps repository gets one commit naming the exception, the audit trail records it, and the
// exception reads "still enforced" in the clusters that have not reported an observed state without it.
import fs, { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import git from "isomorphic-git";
import { and, eq, like, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { stringify } from "yaml";
import { auditEvents, exceptionRerenders, exceptions, notifications, releases } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { moveTestClock, serverNow } from "@/server/clock";
import { desiredManifests } from "@/server/clusters/observed";
import { callerFor, demoActor, DEMO_PEOPLE } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { cartReadsLedger, CART_LEDGER_CLUSTER as STAGING } from "@/server/testing/exceptions";
import { releasePaymentsPolicy } from "@/server/testing/release";
import { exceptionObjectsIn } from "./in-force";
import { revokeException } from "./decide";
import { RERENDER_ALERT_ATTEMPTS, RERENDER_FAILING_ACTION } from "./rerender";
import { sweepExceptions } from "./sweep";

vi.hoisted(() => {
  // A movable clock, as on the e2e test server (env() reads this once).
  process.env.POLICYPLANE_TEST_CLOCK = "on";
});

const AUTHOR = "carlos.checkout@acme.example";
const SECURITY = "sam.security@acme.example";
const HOUR = 3_600_000;

const request = (title: string, until: number) => cartReadsLedger(title, { startsAt: serverNow().getTime() - HOUR, expiresAt: until });

describe(`exceptions re-rendered out of the clusters on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;
  const adminCtx = async () => ({ db: db(), actor: await demoActor(db(), DEMO_PEOPLE.admin), requestId: "rerender-test" });
  const desired = async (cluster = STAGING) => (await desiredManifests({ ctx: await adminCtx(), input: { name: cluster } })).objects;
  const audit = (action: string, label: string) =>
    db()
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, action), like(auditEvents.targetLabel, label)));

  async function approved(title: string, until: number) {
    const r = await (await callerFor(db(), AUTHOR)).exceptions.request(request(title, until));
    const a = await (await callerFor(db(), SECURITY)).exceptions.approve({ number: r.number, contentHash: r.contentHash, comment: "" });
    expect(a.state).toBe("approved");
    return r.number;
  }

  beforeAll(async () => {
    // A release (the seed has none): the clusters' desired state is a release plus the exceptions in force.
    await releasePaymentsPolicy(db(), "expiry-egress");
  });

  const gitLog = async (dir: string) => (fs.existsSync(path.join(dir, ".git")) ? git.log({ fs, dir }) : []);

  it("puts an approved exception's objects in its cluster's desired state and takes them out at its expiry, with a GitOps commit and audit", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "policyplane-expiry-"));
    const expiresAt = serverNow().getTime() + 2 * HOUR;
    const n = await approved("Cart reads ledger until the expiry", expiresAt);
    const before = await desired();
    const mine = exceptionObjectsIn(before, n);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine[0]!.kind).toMatch(/AdminNetworkPolicy/);
    // Only the cluster the flow names gets it.
    expect(exceptionObjectsIn(await desired("prod-eu-1"), n)).toEqual([]);

    // The sweeper records the start: the cluster's desired state changed (with it), and the GitOps repository has it.
    const start = await sweepExceptions(db(), serverNow(), { gitopsDir: dir });
    expect(start.started).toContain(n);
    const startRender = start.rerendered.find((r) => r.exception === n && r.event === "started")!;
    expect(startRender.clusters).toEqual([STAGING]);
    expect(startRender.gitopsCommit).toMatch(/^[0-9a-f]{40}$/);
    const stagingFolder = path.join(dir, "clusters", STAGING, "_cluster");
    expect(fs.readdirSync(stagingFolder).some((f) => f.includes(`pp-exception-exception-${n}`))).toBe(true);

    // The cluster reports applying it (its observed state is its desired state, exception included).
    const admin = await callerFor(db(), DEMO_PEOPLE.admin);
    await admin.clusters.uploadObserved({ name: STAGING, yaml: before.map((o) => stringify(o)).join("---\n") });
    expect((await admin.exceptions.get({ number: n })).stillEnforcedIn).toEqual([]);

    // Past the expiry on the server's clock, the sweeper expires it and re-renders without it.
    moveTestClock(new Date(expiresAt + 1000));
    const run = await sweepExceptions(db(), serverNow(), { gitopsDir: dir });
    expect(run.expired).toContain(n);
    const rerender = run.rerendered.find((r) => r.exception === n)!;
    expect(rerender).toMatchObject({ event: "expired", clusters: [STAGING], gitopsError: null });
    const after = await desired();
    expect(exceptionObjectsIn(after, n)).toEqual([]);
    expect(after.length).toBe(before.length - mine.length);

    const log = await gitLog(dir);
    expect(log[0]!.oid).toBe(rerender.gitopsCommit);
    expect(log[0]!.commit.message).toContain(`Exception E-${n} “Cart reads ledger until the expiry” expired`);
    expect(fs.existsSync(stagingFolder) && fs.readdirSync(stagingFolder).some((f) => f.includes(`pp-exception-exception-${n}`))).toBe(
      false,
    );

    expect(await audit("exception.expired", `E-${n} %`)).toHaveLength(1);
    const [rendered] = await audit("exception.rerendered", `E-${n} %`).then((rows) =>
      rows.filter((r) => (r.after as { event: string }).event === "expired"),
    );
    expect(rendered!.after).toMatchObject({ event: "expired", clusters: [STAGING], gitopsCommit: rerender.gitopsCommit });
    const changed = (await audit("cluster.desired_state_changed", `cluster ${STAGING}`)).filter(
      (r) => (r.after as { exception: string }).exception === `E-${n}`,
    );
    expect(changed.map((r) => (r.after as { event: string }).event).sort()).toEqual(["expired", "started"]);
    // The drift view now compares the last observed state (still with the exception) with the new desired state.
    const drift = await admin.clusters.drift({ name: STAGING });
    expect(JSON.stringify(drift)).toContain(`pp-exception-exception-${n}`);

    // Until the cluster reports a state without its objects, it is still enforced there.
    expect((await admin.exceptions.get({ number: n })).stillEnforcedIn).toEqual([STAGING]);
    const listed = (await admin.exceptions.list({})).exceptions.find((e) => e.number === n)!;
    expect(listed.stillEnforcedIn).toEqual([STAGING]);
    await admin.clusters.uploadObserved({ name: STAGING, yaml: after.map((o) => stringify(o)).join("---\n") });
    expect((await admin.exceptions.get({ number: n })).stillEnforcedIn).toEqual([]);

    // A second sweep records nothing and re-renders nothing.
    const again = await sweepExceptions(db(), serverNow(), { gitopsDir: dir });
    expect(again.rerendered.filter((r) => r.exception === n)).toEqual([]);
  });

  it("keeps a re-render that throws and retries it from the sweeper: the GitOps commit and the audit events come once, late, never lost", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "policyplane-retry-"));
    const expiresAt = serverNow().getTime() + 2 * HOUR;
    const n = await approved("Cart reads ledger; its expiry's re-render fails once", expiresAt);
    const start = await sweepExceptions(db(), serverNow(), { gitopsDir: dir });
    expect(start.rerendered.map((r) => [r.exception, r.event])).toContainEqual([n, "started"]);
    const commits = (await gitLog(dir)).length;
    const rendersOf = async (event: string) =>
      (await audit("exception.rerendered", `E-${n} %`)).filter((r) => (r.after as { event: string }).event === event);
    const pendingOf = async () => {
      const [e] = await db().select().from(exceptions).where(eq(exceptions.number, n));
      return db().select().from(exceptionRerenders).where(eq(exceptionRerenders.exceptionId, e!.id));
    };

    // A real failure in the middle of the re-render: the observed-state table is gone for a while.
    await db().execute(sql`ALTER TABLE cluster_observed RENAME TO cluster_observed_away`);
    moveTestClock(new Date(expiresAt + 1000));
    const failing = await sweepExceptions(db(), serverNow(), { gitopsDir: dir });
    expect(failing.expired).toContain(n);
    expect(failing.rerendered.filter((r) => r.exception === n)).toEqual([]);
    expect(failing.rerenderFailures).toEqual([
      expect.objectContaining({ exception: n, event: "expired", attempts: 1, error: expect.stringContaining("cluster_observed") }),
    ]);
    // The expiry is recorded; the re-render it owes is kept with its error, and nothing of it happened yet.
    expect(await audit("exception.expired", `E-${n} %`)).toHaveLength(1);
    expect(await rendersOf("expired")).toEqual([]);
    expect((await gitLog(dir)).length).toBe(commits);
    const expiredPending = (await pendingOf()).find((p) => p.event === "expired")!;
    expect(expiredPending).toMatchObject({ attempts: 1, doneAt: null, lastError: expect.stringContaining("cluster_observed") });

    // Back-off: a sweep before the retry time leaves it alone.
    await db().execute(sql`ALTER TABLE cluster_observed_away RENAME TO cluster_observed`);
    expect((await sweepExceptions(db(), serverNow(), { gitopsDir: dir })).rerendered.filter((r) => r.exception === n)).toEqual([]);

    // Past it, two replicas sweep at once: one re-renders it, once.
    moveTestClock(new Date(expiredPending.nextAttemptAt.getTime() + 1000));
    const runs = await Promise.all([
      sweepExceptions(db(), serverNow(), { gitopsDir: dir }),
      sweepExceptions(db(), serverNow(), { gitopsDir: dir }),
    ]);
    const retried = runs.flatMap((r) => r.rerendered).filter((r) => r.exception === n);
    expect(retried).toEqual([expect.objectContaining({ event: "expired", clusters: [STAGING], gitopsError: null })]);
    expect(retried[0]!.gitopsCommit).toMatch(/^[0-9a-f]{40}$/);
    expect((await gitLog(dir)).length).toBe(commits + 1);
    const [rendered, ...more] = await rendersOf("expired");
    expect(more).toEqual([]);
    expect(rendered!.after).toMatchObject({ event: "expired", clusters: [STAGING], attempt: 2 });
    expect((await pendingOf()).find((p) => p.event === "expired")).toMatchObject({
      attempts: 2,
      lastError: null,
      doneAt: expect.any(Date),
    });
    expect(exceptionObjectsIn(await desired(), n)).toEqual([]);

    // Done is done: later sweeps re-render nothing of it.
    moveTestClock(new Date(serverNow().getTime() + HOUR));
    expect((await sweepExceptions(db(), serverNow(), { gitopsDir: dir })).rerendered.filter((r) => r.exception === n)).toEqual([]);
  });

  it("alerts once when a re-render keeps failing: the trail, the admins and the requester hear of it at the third failure", async () => {
    const expiresAt = serverNow().getTime() + 2 * HOUR;
    const n = await approved("Cart reads ledger; its expiry's re-render keeps failing", expiresAt);
    await sweepExceptions(db(), serverNow());
    const failingAlerts = () => audit(RERENDER_FAILING_ACTION, `E-${n} %`);
    const told = async () =>
      db()
        .select({ userId: notifications.userId })
        .from(notifications)
        .where(and(eq(notifications.kind, "exception-rerender-failing"), like(notifications.title, `Exception E-${n} %`)));

    await db().execute(sql`ALTER TABLE cluster_observed RENAME TO cluster_observed_away`);
    try {
      moveTestClock(new Date(expiresAt + 1000));
      const attempts: number[] = [];
      for (let i = 0; i < RERENDER_ALERT_ATTEMPTS + 1; i++) {
        const run = await sweepExceptions(db(), serverNow());
        attempts.push(...run.rerenderFailures.filter((f) => f.exception === n).map((f) => f.attempts));
        expect(await failingAlerts()).toHaveLength(attempts.length >= RERENDER_ALERT_ATTEMPTS ? 1 : 0);
        // Straight to the next retry time.
        moveTestClock(new Date(run.rerenderFailures.find((f) => f.exception === n)!.nextAttemptAt));
      }
      expect(attempts).toEqual([1, 2, 3, 4]);
    } finally {
      await db().execute(sql`ALTER TABLE cluster_observed_away RENAME TO cluster_observed`);
    }
    const [alert] = await failingAlerts();
    expect(alert!.after).toMatchObject({
      event: "expired",
      attempts: RERENDER_ALERT_ATTEMPTS,
      error: expect.stringContaining("cluster_observed"),
    });
    const recipients = new Set((await told()).map((r) => r.userId));
    const [admin, requester] = await Promise.all([demoActor(db(), DEMO_PEOPLE.admin), demoActor(db(), AUTHOR)]);
    expect(recipients.has(admin.id!)).toBe(true);
    expect(recipients.has(requester.id!)).toBe(true);
    expect((await told()).length).toBe(recipients.size);
    // It recovers on the next attempt, and the alert is not repeated.
    moveTestClock(new Date(serverNow().getTime() + HOUR));
    expect((await sweepExceptions(db(), serverNow())).rerendered.filter((r) => r.exception === n)).toEqual([
      expect.objectContaining({ event: "expired" }),
    ]);
    expect(await failingAlerts()).toHaveLength(1);
  });

  it("answers a path's rationale with the server's clock, which the graph panel's exception countdown runs from", async () => {
    const n = await approved("Cart reads ledger, counted on the server's clock", serverNow().getTime() + 6 * HOUR);
    moveTestClock(new Date(serverNow().getTime() + 30 * 60_000));
    const cart = `w:${STAGING}/checkout/Deployment/cart`;
    const ledger = `w:${STAGING}/payments/Deployment/ledger`;
    const edge = await (await callerFor(db(), AUTHOR)).graph.edge({ cluster: STAGING, edge: `e:${cart}->${ledger}` });
    const allowance = edge.ports.find((p) => p.port === "9090/TCP")!.current!.allowance!;
    expect(allowance).toMatchObject({ layer: "exception", policy: { name: `exception-${n}` } });
    // The moved server clock, not the wall clock the browser would read (30 minutes and more behind it).
    expect(Math.abs(Date.parse(edge.now) - serverNow().getTime())).toBeLessThan(5_000);
    expect(Date.parse(edge.now) - Date.now()).toBeGreaterThan(29 * 60_000);
  });

  it("re-renders without a revoked exception at once", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "policyplane-revoke-"));
    const n = await approved("Cart reads ledger until revoked", serverNow().getTime() + 5 * HOUR);
    expect(exceptionObjectsIn(await desired(), n).length).toBeGreaterThan(0);
    const ctx = { db: db(), actor: await demoActor(db(), SECURITY), requestId: "revoke-test" };
    const revoked = await revokeException({ ctx, input: { number: n, reason: "migration done" }, rerender: { gitopsDir: dir } });
    expect(revoked.state).toBe("revoked");
    expect(revoked.rerendered.clusters).toEqual([STAGING]);
    expect(exceptionObjectsIn(await desired(), n)).toEqual([]);
    const log = await gitLog(dir);
    expect(log).toHaveLength(1);
    expect(log[0]!.commit.message).toContain(`Exception E-${n} “Cart reads ledger until revoked” was revoked`);
    expect(await audit("exception.revoked", `E-${n} %`)).toHaveLength(1);
    expect(await audit("exception.rerendered", `E-${n} %`)).toHaveLength(1);
    // The cluster reported before the revocation: it may still enforce it.
    const admin = await callerFor(db(), DEMO_PEOPLE.admin);
    expect((await admin.exceptions.get({ number: n })).stillEnforcedIn).toEqual([STAGING]);
  });

  it("checks a release's compiled objects with the approved exceptions in force, and records those exceptions in the release", async () => {
    const n = await approved("Cart reads ledger through a release", serverNow().getTime() + 3 * HOUR);
    const { release } = await releasePaymentsPolicy(db(), "expiry-egress-2");
    const [row] = await db().select().from(releases).where(eq(releases.number, release));
    expect(row!.exceptionIds).toContain(String(n));
    const [created] = await audit("release.created", `release ${release}`);
    // Every cluster was checked with the exception's objects in it, and they decide as the engine does.
    expect(created!.after).toMatchObject({ compileCheck: { clusters: 3, disagreements: 0, exceptions: expect.arrayContaining([n]) } });
    // What was checked is what the cluster gets: the exception's objects are in its desired state.
    expect(exceptionObjectsIn(await desired(), n).length).toBeGreaterThan(0);
  });
});
