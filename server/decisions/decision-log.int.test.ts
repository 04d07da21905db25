// The decision log (issue 18 item 3): POST /api/v1/decide answers are logged by the admin-set sampling
// (1: every one, 0: none, denies optionally always), written off the hot path in batches, searched by
// cluster, verdict, source/destination, time range and decision id with paging, and swept by retention.
import { eq } from "drizzle-orm";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { auditEvents, decisionLog } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { createApiApp } from "@/server/api/app";
import { resetDecisionPoint } from "@/server/decide/point";
import { callerFor } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { flushDecisionLog, resetDecisionLog, sweepDecisionLog } from "./log";
import { loadDecisionLogSettings, resetDecisionLogSettingsCache } from "./settings";

const ADMIN = "alex.admin@acme.example";
const AUTHOR = "priya.payments@acme.example";
const CLUSTER = "prod-eu-1";
const OTHER = "prod-us-1";

describe(`the decision log on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;
  const api = createApiApp(async () => db());
  let token = "";

  beforeAll(async () => {
    resetDecisionPoint();
    resetDecisionLog();
    resetDecisionLogSettingsCache();
    const admin = await callerFor(db(), ADMIN);
    token = (
      await admin.settings.createToken({
        name: "decision log test",
        role: "viewer",
        tenantId: null,
        scopes: ["decide"],
        clusterId: null,
        expiresInDays: 1,
      })
    ).token;
  });
  beforeEach(async () => {
    await flushDecisionLog();
    await db().delete(decisionLog);
  });

  const decide = async (cluster: string, destination: Record<string, string>, port: number, protocol = "TCP") => {
    const response = await api.request("/api/v1/decide", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ cluster, source: { namespace: "payments", pod: "payments-api" }, destination, port, protocol }),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as { decision: "allow" | "deny"; decisionId: string };
  };
  // A mix of verdicts over two clusters.
  const burst = async () => [
    ...(await Promise.all([1, 2, 3].map(() => decide(CLUSTER, { ip: "8.8.8.8" }, 53, "UDP")))),
    await decide(CLUSTER, { dns: "api.stripe.com" }, 443),
    await decide(CLUSTER, { ip: "203.0.113.9" }, 22),
    await decide(CLUSTER, { namespace: "payments", pod: "payments-db" }, 5432),
    await decide(OTHER, { ip: "8.8.8.8" }, 53, "UDP"),
  ];
  const setLogging = async (sampleRate: number, alwaysLogDenies: boolean, retentionDays = 14) => {
    const admin = await callerFor(db(), ADMIN);
    const { version } = await admin.decisions.settings();
    await admin.decisions.updateSettings({ sampleRate, alwaysLogDenies, retentionDays, expectedVersion: version });
  };
  const logged = async () => {
    await flushDecisionLog();
    return db().select().from(decisionLog);
  };

  it("logs nothing by default (rate 0) and every decision at rate 1, with the flow, verdict, release and reasons", async () => {
    await loadDecisionLogSettings(db());
    await burst();
    expect(await logged()).toHaveLength(0);
    await setLogging(1, false);
    const answers = await burst();
    const rows = await logged();
    expect(rows.map((r) => r.decisionId).sort()).toEqual(answers.map((a) => a.decisionId).sort());
    const stripe = rows.find((r) => r.destination === "api.stripe.com")!;
    expect(stripe).toMatchObject({
      cluster: CLUSTER,
      source: "payments/payments-api",
      port: 443,
      protocol: "TCP",
      release: 0,
      caller: "token:decision log test",
    });
    expect(stripe.reasons.length).toBeGreaterThan(0);
    expect(stripe.decision).toBe(answers[3]!.decision);
  });

  it("logs only the denies at rate 0 with always-log-denies, and about the rate's share in between", async () => {
    await setLogging(0, true);
    const answers = await burst();
    const denies = answers.filter((a) => a.decision === "deny");
    expect(denies.length).toBeGreaterThan(0);
    expect(denies.length).toBeLessThan(answers.length);
    const rows = await logged();
    expect(rows.map((r) => r.decisionId).sort()).toEqual(denies.map((a) => a.decisionId).sort());
    await db().delete(decisionLog);
    await setLogging(0.5, false);
    for (let i = 0; i < 20; i++) await burst();
    const share = (await logged()).length / 140;
    expect(share).toBeGreaterThan(0.3);
    expect(share).toBeLessThan(0.7);
  });

  it("is set by admins only (audited, nothing written for others); bad settings are refused naming the field", async () => {
    const author = await callerFor(db(), AUTHOR);
    await expect(
      author.decisions.updateSettings({ sampleRate: 1, alwaysLogDenies: true, retentionDays: 7, expectedVersion: 1 }),
    ).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    const admin = await callerFor(db(), ADMIN);
    const { version } = await admin.decisions.settings();
    await expect(
      admin.decisions.updateSettings({ sampleRate: 1.5, alwaysLogDenies: true, retentionDays: 7, expectedVersion: version }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("from 0 to 1"),
    });
    await expect(
      admin.decisions.updateSettings({ sampleRate: 1, alwaysLogDenies: true, retentionDays: 7, expectedVersion: version - 1 }),
    ).rejects.toMatchObject({
      code: "CONFLICT",
    });
    const events = await db()
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, "decision_log.settings_changed"))
      .orderBy(auditEvents.seq);
    expect(events.length).toBe(version - 1);
    expect(events.at(-1)).toMatchObject({ actorLabel: expect.stringContaining("alex") });
  });

  it("searches by cluster, verdict, source, destination, time range and decision id, newest first, page by page", async () => {
    await setLogging(1, false);
    const t0 = new Date();
    const answers = await burst();
    await logged();
    const viewer = await callerFor(db(), AUTHOR);
    const all = await viewer.decisions.search({});
    expect(all.rows).toHaveLength(answers.length);
    expect(all.next).toBeNull();
    const times = all.rows.map((r) => r.decidedAt.getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect((await viewer.decisions.search({ cluster: OTHER })).rows.map((r) => r.cluster)).toEqual([OTHER]);
    const denies = await viewer.decisions.search({ decision: "deny" });
    expect(denies.rows.length).toBe(answers.filter((a) => a.decision === "deny").length);
    expect((await viewer.decisions.search({ destination: "STRIPE" })).rows.map((r) => r.destination)).toEqual(["api.stripe.com"]);
    expect((await viewer.decisions.search({ source: "payments/" })).rows).toHaveLength(answers.length);
    expect((await viewer.decisions.search({ source: "%" })).rows).toHaveLength(0);
    expect((await viewer.decisions.search({ decisionId: answers[4]!.decisionId })).rows.map((r) => r.destination)).toEqual(["203.0.113.9"]);
    expect((await viewer.decisions.search({ from: t0 })).rows).toHaveLength(answers.length);
    expect((await viewer.decisions.search({ to: new Date(t0.getTime() - 1) })).rows).toHaveLength(0);
    await expect(viewer.decisions.search({ from: new Date(), to: t0 })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("ends before it starts"),
    });
    await expect(viewer.decisions.search({ decisionId: "nope" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    // Pages of 4 cover every row once, in order.
    const seen: string[] = [];
    let after: { decidedAt: Date; decisionId: string } | undefined;
    for (;;) {
      const page = await viewer.decisions.search({ limit: 4, ...(after ? { after } : {}) });
      seen.push(...page.rows.map((r) => r.decisionId));
      if (!page.next) break;
      after = page.next;
    }
    expect(seen).toEqual(all.rows.map((r) => r.decisionId));
  });

  it("sweeps entries older than the retention", async () => {
    await setLogging(1, false, 3);
    await burst();
    await logged();
    expect(await sweepDecisionLog(db())).toBe(0);
    const later = new Date(Date.now() + 3 * 86_400_000 + 60_000);
    expect(await sweepDecisionLog(db(), later)).toBe(7);
    expect(await db().select().from(decisionLog)).toHaveLength(0);
  });
});
