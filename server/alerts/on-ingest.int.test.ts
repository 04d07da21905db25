import { and, eq, isNull } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { alerts, clusters, namespaces, notifications } from "@/db/schema";
import { openTestDatabase, testDatabaseKind } from "@/db/testing";
import { createApiApp } from "@/server/api/app";
import { forgetFlowEngines } from "@/server/flows/engine";
import { CRITICALITY_LABEL } from "@/server/flows/severity";
import { callerFor, DEMO_PEOPLE } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { hubbleRecord, scopedToken } from "@/server/testing/flows";
import { IngestAlertTrigger, stopIngestAlerts } from "./on-ingest";

const MINUTE = 60_000;

describe(`alert rules evaluated on ingestion on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;
  const logged: string[] = [];
  const log = (message: string, error?: unknown) => logged.push(error ? `${message}: ${String(error)}` : message);
  let token = "";

  const apiWith = (trigger: IngestAlertTrigger) =>
    createApiApp(async () => db(), { alertsOnIngest: trigger, flowRate: { perSecond: 1000, burst: 1000 } });
  const post = (api: ReturnType<typeof createApiApp>, lines: string[]) =>
    api.request("/api/v1/flows?cluster=prod-eu-1", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson" },
      body: lines.join("\n"),
    });
  const denied = (dst: [string, string], port: number) =>
    hubbleRecord({ src: ["checkout", "cart-1"], dst, port, verdict: "DROPPED", time: new Date(Date.now() - MINUTE).toISOString() });
  const openAlerts = (ruleId: string) =>
    db()
      .select()
      .from(alerts)
      .where(and(eq(alerts.ruleId, ruleId), isNull(alerts.resolvedAt)));

  beforeAll(async () => {
    // payments is a critical service.
    const [eu] = await db().select().from(clusters).where(eq(clusters.name, "prod-eu-1"));
    await db()
      .update(namespaces)
      .set({ labels: { tenant: "payments", pci: "true", [CRITICALITY_LABEL]: "critical" } })
      .where(and(eq(namespaces.clusterId, eu!.id), eq(namespaces.name, "payments")));
    token = await scopedToken(db(), "flows on-ingest", ["flows"]);
    forgetFlowEngines();
  });

  it("fires 'a critical service received a denied flow' within seconds of the batch, without the timer, and leaves rules the batch cannot affect alone", async () => {
    const admin = await callerFor(db(), DEMO_PEOPLE.admin);
    const critical = await admin.alerts.createRule({
      name: "critical service received a denied flow",
      kind: "threshold",
      params: { windowMinutes: 10, threshold: 0, destinationCriticality: "critical" },
    });
    const otherCluster = await admin.alerts.createRule({
      name: "violations in prod-us-1",
      kind: "threshold",
      params: { windowMinutes: 10, threshold: 0, cluster: "prod-us-1" },
    });
    const gaps = await admin.alerts.createRule({ name: "enforcement gaps", kind: "enforcement-gap", params: { windowMinutes: 10 } });
    const trigger = new IngestAlertTrigger(async () => db(), { minIntervalMs: 1000, log });
    const api = apiWith(trigger);

    const sent = performance.now();
    const r = await post(api, [denied(["payments", "ledger-6c8d7f9b4-qwert"], 7001)]);
    expect(r.status).toBe(200);
    // The reply is the ingestion's own; what alerting needs stays on the server.
    expect(await r.json()).not.toHaveProperty("touched");
    let open = await openAlerts(critical.id);
    while (open.length === 0 && performance.now() - sent < 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      open = await openAlerts(critical.id);
    }
    const seconds = (performance.now() - sent) / 1000;
    expect(open).toEqual([expect.objectContaining({ destination: "payments/ledger", severity: "critical", value: 1 })]);
    expect(seconds).toBeLessThan(5);
    const notes = await db().select().from(notifications).where(eq(notifications.kind, "alert-fired"));
    expect(notes.some((n) => n.title.includes("critical service received a denied flow"))).toBe(true);

    await trigger.settled();
    expect(trigger.evaluations(critical.id)).toBe(1);
    // Another cluster's rule and an enforcement-gap rule cannot be affected by prod-eu-1's violations.
    expect(trigger.evaluations(otherCluster.id)).toBe(0);
    expect(trigger.evaluations(gaps.id)).toBe(0);
    expect(logged.filter((l) => l.startsWith("could not"))).toEqual([]);
    for (const rule of [critical, otherCluster, gaps]) await admin.alerts.deleteRule({ id: rule.id });
  });

  it("evaluates a rule at most once per interval under a stream of batches, and still counts the last batch", async () => {
    const admin = await callerFor(db(), DEMO_PEOPLE.admin);
    const rule = await admin.alerts.createRule({
      name: "refunds under fire",
      kind: "threshold",
      params: { windowMinutes: 10, threshold: 0, destinationCriticality: "critical" },
    });
    const intervalMs = 2_000;
    const trigger = new IngestAlertTrigger(async () => db(), { minIntervalMs: intervalMs, log });
    const api = apiWith(trigger);
    const refunds: [string, string] = ["payments", "refunds-6c8d7f9b4-qwert"];

    const started = performance.now();
    expect((await post(api, [denied(refunds, 7301)])).status).toBe(200);
    while (trigger.evaluations(rule.id) === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    // Five more while the rule was just evaluated: they wait for the interval, then count together.
    for (let i = 1; i < 6; i++) expect((await post(api, [denied(refunds, 7301 + i)])).status).toBe(200);
    await trigger.settled();
    const elapsed = performance.now() - started;
    const runs = trigger.evaluations(rule.id);
    // Leading and trailing edges: the first batch at once, the others after the interval; never one per batch.
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(runs).toBeLessThanOrEqual(Math.floor(elapsed / intervalMs) + 1);
    // The trailing evaluation saw every batch: the open alert counts all six flows.
    const open = (await openAlerts(rule.id)).find((a) => a.destination === "payments/refunds");
    expect(open).toMatchObject({ value: 6 });
    await admin.alerts.deleteRule({ id: rule.id });
  });

  it("stops them before a test database closes: none is left to run against it, or into the next file; a later batch starts again", async () => {
    const closing = await openTestDatabase();
    let database = closing.db;
    let evaluations = 0;
    const trigger = new IngestAlertTrigger(
      async () => {
        evaluations++;
        return database;
      },
      { minIntervalMs: 60_000, log },
    );
    const batch = [{ cluster: "prod-eu-1", flowClass: "violation", severity: "high", destinationCriticality: "critical" }] as const;
    logged.length = 0;
    // A batch committed as the file ends: its evaluation is due at once, on a timer.
    trigger.noteBatch(batch);
    await closing.close();
    // Without the stop, it would run now, against the closed database ("PGlite is closed").
    await trigger.settled();
    expect({ evaluations, logged }).toEqual({ evaluations: 0, logged: [] });

    database = db();
    trigger.noteBatch(batch);
    await trigger.settled();
    await stopIngestAlerts(); // nothing left to stop
    expect({ evaluations, logged }).toEqual({ evaluations: 1, logged: [] });
  });
});
