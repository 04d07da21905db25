import { randomUUID } from "node:crypto";
import { and, eq, isNull } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import {
  alertRules,
  alerts,
  alertSilences,
  clusters,
  namespaces,
  notifications,
  tenants,
  webhookDeliveries,
  webhookEndpoint,
} from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { systemActor } from "@/server/context";
import { forgetFlowEngines } from "@/server/flows/engine";
import { ingestFlows } from "@/server/flows/ingest";
import { CRITICALITY_LABEL } from "@/server/flows/severity";
import { callerFor, DEMO_PEOPLE } from "@/server/testing/actors";
import { auditEventsAfter, auditHead } from "@/server/testing/audit-events";
import { useSeededDatabase } from "@/server/testing/database";
import { hubbleRecord } from "@/server/testing/flows";
import { trpcFailure } from "@/server/testing/trpc";
import { evaluateAlerts } from "./evaluate";

const MINUTE = 60_000;

describe(`alerts on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;
  const ingest = (lines: string[]) =>
    ingestFlows({
      ctx: { db: db(), actor: systemActor("test cluster"), requestId: randomUUID() },
      input: { cluster: "prod-eu-1", body: lines.join("\n") },
    });
  const flow = (src: string, dst: [string, string], port: number, verdict: string, agoMs: number) =>
    hubbleRecord({ src: ["checkout", src], dst, port, verdict, time: new Date(Date.now() - agoMs).toISOString() });
  const openAlerts = (ruleId: string) =>
    db()
      .select()
      .from(alerts)
      .where(and(eq(alerts.ruleId, ruleId), isNull(alerts.resolvedAt)));
  const alertNotifications = () => db().select().from(notifications).where(eq(notifications.kind, "alert-fired"));
  const alertWebhooks = () => db().select().from(webhookDeliveries).where(eq(webhookDeliveries.event, "alert-fired"));

  beforeAll(async () => {
    // payments is a critical service; the outgoing webhook is on.
    const [eu] = await db().select().from(clusters).where(eq(clusters.name, "prod-eu-1"));
    await db()
      .update(namespaces)
      .set({ labels: { tenant: "payments", pci: "true", [CRITICALITY_LABEL]: "critical" } })
      .where(and(eq(namespaces.clusterId, eu!.id), eq(namespaces.name, "payments")));
    await db()
      .insert(webhookEndpoint)
      .values({ url: "http://127.0.0.1:9/hook", secret: "s".repeat(32), enabled: true, updatedByLabel: "test" })
      .onConflictDoUpdate({ target: webhookEndpoint.id, set: { enabled: true } });
    forgetFlowEngines();
  });

  it("lets only admins edit rules and approvers set silences, on the server, audited; a refused call writes nothing", async () => {
    const admin = await callerFor(db(), DEMO_PEOPLE.admin);
    const security = await callerFor(db(), DEMO_PEOPLE.security);
    const author = await callerFor(db(), DEMO_PEOPLE.author);
    const rule = { name: "edits", kind: "threshold" as const, params: { windowMinutes: 5, threshold: 10 } };
    expect((await trpcFailure(security.alerts.createRule(rule))).code).toBe("FORBIDDEN");
    expect((await trpcFailure(author.alerts.createSilence({ matcher: { cluster: "prod-eu-1" }, reason: "x", minutes: 5 }))).code).toBe(
      "FORBIDDEN",
    );
    expect(await db().$count(alertRules)).toBe(0);
    expect(await db().$count(alertSilences)).toBe(0);

    const head = await auditHead(db());
    const created = await admin.alerts.createRule(rule);
    const updated = await admin.alerts.updateRule({ id: created.id, rule: { ...rule, params: { windowMinutes: 5, threshold: 20 } } });
    expect(updated.params.threshold).toBe(20);
    await admin.alerts.deleteRule({ id: created.id });
    expect((await auditEventsAfter(db(), head)).map((e) => e.action)).toEqual([
      "alert-rule.created",
      "alert-rule.updated",
      "alert-rule.deleted",
    ]);

    // Bad input names where the problem is.
    const noThreshold = await trpcFailure(admin.alerts.createRule({ name: "x", kind: "threshold", params: { windowMinutes: 5 } }));
    expect(noThreshold.code).toBe("BAD_REQUEST");
    expect(noThreshold.message).toContain("threshold");
    const unknown = await trpcFailure(
      admin.alerts.createRule({ ...rule, params: { windowMinutes: 5, threshold: 1, cluster: "nowhere-9" } }),
    );
    expect(unknown.code).toBe("BAD_REQUEST");
    expect(unknown.message).toContain("nowhere-9");
    const empty = await trpcFailure(security.alerts.createSilence({ matcher: {}, reason: "why", minutes: 5 }));
    expect(empty.code).toBe("BAD_REQUEST");
    expect(empty.message).toContain("must match something");
  });

  it("fires a threshold rule over a critical service once however many evaluations race, tells admins and security, and resolves after the window", async () => {
    const admin = await callerFor(db(), DEMO_PEOPLE.admin);
    const rule = await admin.alerts.createRule({
      name: "critical service under fire",
      kind: "threshold",
      params: { windowMinutes: 10, threshold: 2, destinationCriticality: "critical" },
    });
    const ledger: [string, string] = ["payments", "ledger-6c8d7f9b4-qwert"];
    await ingest([flow("cart-1", ledger, 7001, "DROPPED", MINUTE), flow("cart-1", ledger, 7001, "DROPPED", MINUTE)]);
    const now = new Date();
    expect((await evaluateAlerts(db(), now)).fired.filter((a) => a.ruleId === rule.id)).toHaveLength(0);
    await ingest([flow("cart-1", ledger, 7002, "DROPPED", MINUTE)]);
    const notesBefore = (await alertNotifications()).length;
    const runs = await Promise.all([evaluateAlerts(db(), now), evaluateAlerts(db(), now), evaluateAlerts(db(), now)]);
    const fired = runs.flatMap((r) => r.fired).filter((a) => a.ruleId === rule.id);
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ destination: "payments/ledger", cluster: "prod-eu-1", value: 3, severity: "critical" });
    expect(await openAlerts(rule.id)).toHaveLength(1);
    // Global admins and security approvers hear of it, once each; the webhook gets one delivery.
    const notes = (await alertNotifications()).slice(notesBefore);
    expect(notes.length).toBeGreaterThanOrEqual(2);
    expect(new Set(notes.map((n) => n.userId)).size).toBe(notes.length);
    expect(notes[0]!.title).toContain("critical service under fire");
    expect(notes[0]!.href).toBe("/violations/alerts");
    expect((await alertWebhooks()).filter((w) => String(w.payload.text).includes("critical service under fire"))).toHaveLength(1);
    // Still holding: no new alert. Past the window: resolved.
    expect((await evaluateAlerts(db(), now)).fired.filter((a) => a.ruleId === rule.id)).toHaveLength(0);
    await evaluateAlerts(db(), new Date(now.getTime() + 12 * MINUTE));
    expect(await openAlerts(rule.id)).toHaveLength(0);
    await admin.alerts.deleteRule({ id: rule.id });
  });

  it("fires for a denied path never seen before, not for one seen before the window, and for an enforcement gap", async () => {
    const admin = await callerFor(db(), DEMO_PEOPLE.admin);
    const fresh = await admin.alerts.createRule({ name: "new denied path", kind: "new-denied-path", params: { windowMinutes: 10 } });
    const gaps = await admin.alerts.createRule({ name: "gaps", kind: "enforcement-gap", params: { windowMinutes: 10 } });
    const fraud: [string, string] = ["payments", "fraud-scoring-6c8d7f9b4-qwert"];
    await ingest([
      flow("promotions-1", fraud, 7101, "DROPPED", 30 * MINUTE),
      flow("promotions-1", fraud, 7101, "DROPPED", MINUTE),
      flow("promotions-1", fraud, 7102, "DROPPED", MINUTE),
      flow("cart-1", ["payments", "payments-db-0"], 5432, "FORWARDED", MINUTE),
    ]);
    const { fired } = await evaluateAlerts(db());
    const newPaths = fired.filter((a) => a.ruleId === fresh.id && a.source === "checkout/promotions");
    expect(newPaths.map((a) => a.port)).toEqual([7102]);
    expect(newPaths[0]!.summary).toContain("New denied path checkout/promotions → payments/fraud-scoring:7102/TCP");
    const gap = fired.filter((a) => a.ruleId === gaps.id);
    expect(gap).toEqual([expect.objectContaining({ source: "checkout/cart", destination: "payments/payments-db", port: 5432 })]);
    // Evaluated again: nothing new.
    expect((await evaluateAlerts(db())).fired.filter((a) => a.ruleId === fresh.id || a.ruleId === gaps.id)).toHaveLength(0);
    await admin.alerts.deleteRule({ id: fresh.id });
    await admin.alerts.deleteRule({ id: gaps.id });
  });

  it("records an alert a silence matches without delivering it; the silence says who and why, and ending it is audited once", async () => {
    const admin = await callerFor(db(), DEMO_PEOPLE.admin);
    const security = await callerFor(db(), DEMO_PEOPLE.security);
    const rule = await admin.alerts.createRule({ name: "any violation", kind: "threshold", params: { windowMinutes: 10, threshold: 0 } });
    const head = await auditHead(db());
    const silence = await security.alerts.createSilence({
      matcher: { destination: "payments/payments-api" },
      reason: "payments-api migration, INC-42",
      minutes: 60,
    });
    expect(silence).toMatchObject({ createdByLabel: DEMO_PEOPLE.security, reason: "payments-api migration, INC-42" });
    await ingest([
      flow("cart-1", ["payments", "payments-api-6c8d7f9b4-qwert"], 7201, "DROPPED", MINUTE),
      flow("cart-1", ["payments", "refunds-6c8d7f9b4-qwert"], 7202, "DROPPED", MINUTE),
    ]);
    const webhooksBefore = (await alertWebhooks()).length;
    const { fired } = await evaluateAlerts(db());
    const mine = fired.filter((a) => a.ruleId === rule.id);
    const silenced = mine.find((a) => a.destination === "payments/payments-api")!;
    const loud = mine.find((a) => a.destination === "payments/refunds")!;
    expect(silenced.silencedById).toBe(silence.id);
    expect(loud.silencedById).toBeNull();
    const hooks = (await alertWebhooks()).slice(webhooksBefore).map((w) => String(w.payload.text));
    expect(hooks.some((t) => t.includes("payments/refunds"))).toBe(true);
    expect(hooks.some((t) => t.includes("payments/payments-api"))).toBe(false);
    const list = await security.alerts.list({});
    expect(list.silences.find((s) => s.id === silence.id)).toMatchObject({ active: true });
    expect(list.alerts.find((a) => a.id === silenced.id)).toMatchObject({ rule: "any violation", silencedById: silence.id });

    await security.alerts.endSilence({ id: silence.id });
    expect((await trpcFailure(security.alerts.endSilence({ id: silence.id }))).code).toBe("CONFLICT");
    const events = await auditEventsAfter(db(), head);
    // The second end was refused, and the refusal is on the trail too.
    expect(events.map((e) => e.action)).toEqual(["alert-silence.created", "alert-silence.ended", "mutation.refused"]);
    expect(events[0]!.after).toMatchObject({ reason: "payments-api migration, INC-42", matcher: { destination: "payments/payments-api" } });
  });

  it("shows a reader limited to one tenant the alerts about its workloads only, with the silences behind them and the rules read-only", async () => {
    const admin = await callerFor(db(), DEMO_PEOPLE.admin);
    const security = await callerFor(db(), DEMO_PEOPLE.security);
    const paths = await admin.alerts.createRule({ name: "tenant view: new paths", kind: "new-denied-path", params: { windowMinutes: 10 } });
    const hot = await admin.alerts.createRule({ name: "tenant view: any", kind: "threshold", params: { windowMinutes: 10, threshold: 0 } });
    const catalogSilence = await security.alerts.createSilence({
      matcher: { ruleId: hot.id, destination: "catalog/catalog-api" },
      reason: "catalog migration",
      minutes: 60,
    });
    const at = (ns: string, pod: string, dstNs: string, dstPod: string, port: number) =>
      hubbleRecord({
        src: [ns, pod],
        dst: [dstNs, dstPod],
        port,
        verdict: "DROPPED",
        time: new Date(Date.now() - MINUTE).toISOString(),
      });
    await ingest([
      at("checkout", "cart-1", "catalog", "catalog-api-6c8d7f9b4-qwert", 7401), // neither end is payments'
      at("checkout", "promotions-1", "payments", "psp-adapter-6c8d7f9b4-qwert", 7402), // to payments
      at("payments", "fraud-scoring-6c8d7f9b4-qwert", "catalog", "inventory-6c8d7f9b4-qwert", 7403), // from payments
    ]);
    await evaluateAlerts(db());
    const [payments] = await db().select().from(tenants).where(eq(tenants.name, "payments"));

    const committee = await callerFor(db(), DEMO_PEOPLE.paymentsCommittee);
    const seen = await committee.alerts.list({});
    expect(seen.scope).toEqual({ kind: "tenants", tenants: ["payments"] });
    expect(seen).toMatchObject({ mayEditRules: false, maySilence: false });
    expect(seen.rules.map((r) => r.name)).toEqual(expect.arrayContaining([paths.name, hot.name]));
    expect(seen.alerts.length).toBeGreaterThan(0);
    expect(seen.alerts.every((a) => a.sourceTenantId === payments!.id || a.destinationTenantId === payments!.id)).toBe(true);
    const mine = (ruleId: string) =>
      seen.alerts
        .filter((a) => a.ruleId === ruleId && (a.port === null || (a.port >= 7401 && a.port <= 7403)))
        .map((a) => `${a.source ?? "*"} → ${a.destination}`)
        .sort();
    // Paths from or to payments; a threshold on payments' service, not on the catalog services (the earlier tests' flows
    // to payments' services are in the window too).
    expect(mine(paths.id)).toEqual(["checkout/promotions → payments/psp-adapter", "payments/fraud-scoring → catalog/inventory"]);
    expect(mine(hot.id)).toContain("* → payments/psp-adapter");
    expect(mine(hot.id).filter((p) => p.includes("catalog/"))).toEqual([]);
    expect(seen.firing).toBe(seen.alerts.filter((a) => a.resolvedAt === null).length);
    // The silence on the catalog service matched only an alert this reader does not see.
    expect(seen.silences.map((s) => s.id)).not.toContain(catalogSilence.id);
    expect(seen.silences.every((s) => seen.alerts.some((a) => a.silencedById === s.id))).toBe(true);

    // An organisation-wide reader sees them all, the catalog ones included.
    const all = await (await callerFor(db(), DEMO_PEOPLE.viewer)).alerts.list({});
    expect(all.scope).toEqual({ kind: "organisation" });
    expect(all.alerts.some((a) => a.ruleId === hot.id && a.destination === "catalog/catalog-api")).toBe(true);
    expect(all.silences.map((s) => s.id)).toContain(catalogSilence.id);
    // Still refused on the server: rules and silences.
    expect((await trpcFailure(committee.alerts.deleteRule({ id: hot.id }))).code).toBe("FORBIDDEN");
    expect(
      (await trpcFailure(committee.alerts.createSilence({ matcher: { destination: "payments/psp-adapter" }, reason: "x", minutes: 5 })))
        .code,
    ).toBe("FORBIDDEN");
  });
});
