// Was an exception actually used? (issue 14, renew): flows a cluster reports that only an approved
// exception allows are near-misses attributed to it, and the Exceptions page and the renew form
// read their count, last time seen and clusters from the flow aggregates.
import { describe, expect, it } from "vitest";
import { testDatabaseKind } from "@/db/testing";
import { createApiApp } from "@/server/api/app";
import { forgetFlowEngines } from "@/server/flows/engine";
import { serverNow } from "@/server/clock";
import { callerFor, DEMO_PEOPLE } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { cartReadsLedger, CART_LEDGER_CLUSTER as STAGING } from "@/server/testing/exceptions";

const AUTHOR = "carlos.checkout@acme.example";
const SECURITY = "sam.security@acme.example";
const HOUR = 3_600_000;

const request = (title: string, port: number) =>
  cartReadsLedger(title, { startsAt: serverNow().getTime() - HOUR, expiresAt: serverNow().getTime() + 5 * HOUR }, port);

/** A Hubble record of staging-eu-1: checkout/cart → payments/ledger, forwarded by the cluster. */
const forwarded = (port: number, time: Date) =>
  JSON.stringify({
    flow: {
      time: time.toISOString(),
      verdict: "FORWARDED",
      IP: { source: "10.9.0.1", destination: "10.9.0.2", ipVersion: "IPv4" },
      l4: { TCP: { source_port: 40000, destination_port: port } },
      source: { namespace: "checkout", pod_name: "cart-7d9f-abcde", labels: ["k8s:app=cart"] },
      destination: { namespace: "payments", pod_name: "ledger-5c6b-fghij", labels: ["k8s:app=ledger"] },
      node_name: `${STAGING}/node-a`,
    },
  });

describe(`exception use from the violation data on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;

  async function approved(title: string, port: number) {
    const r = await (await callerFor(db(), AUTHOR)).exceptions.request(request(title, port));
    const a = await (await callerFor(db(), SECURITY)).exceptions.approve({ number: r.number, contentHash: r.contentHash, comment: "" });
    expect(a.state).toBe("approved");
    return r.number;
  }

  it("counts the flows only the exception allowed, with the last time seen and the cluster; an unused one shows none", async () => {
    const used = await approved("Cart reads ledger prices", 9090);
    const unused = await approved("Cart reads ledger metrics", 9091);
    forgetFlowEngines();
    const admin = await callerFor(db(), DEMO_PEOPLE.admin);
    const { token } = await admin.settings.createToken({
      name: "staging flows",
      role: "viewer",
      tenantId: null,
      scopes: ["flows"],
      expiresInDays: 1,
    });
    const t1 = new Date(serverNow().getTime() - 10 * 60_000);
    const t2 = new Date(serverNow().getTime() - 2 * 60_000);
    const api = createApiApp(async () => db());
    const response = await api.request(`/api/v1/flows?cluster=${STAGING}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson" },
      // Two flows on the excepted port, one at t2 counted twice over in its minute; one on a port nothing allows.
      body: [forwarded(9090, t1), forwarded(9090, t2), forwarded(9090, t2), forwarded(7070, t2)].join("\n"),
    });
    expect(response.status).toBe(200);
    expect((await response.json()).classes).toMatchObject({ "near-miss": 3, "enforcement-gap": 1 });

    const author = await callerFor(db(), AUTHOR);
    const detail = await author.exceptions.get({ number: used });
    expect(detail.usage.flows).toBe(3);
    expect(detail.usage.clusters).toEqual([{ name: STAGING, flows: 3, lastSeen: expect.any(String) }]);
    // Aggregates keep the flows' own times: the last one seen is t2.
    expect(detail.usage.lastSeen).toBe(t2.toISOString());
    expect((await author.exceptions.get({ number: unused })).usage).toEqual({ flows: 0, lastSeen: null, clusters: [] });

    const listed = (await author.exceptions.list({})).exceptions;
    expect(listed.find((e) => e.number === used)!.usage.flows).toBe(3);
    expect(listed.find((e) => e.number === unused)!.usage.flows).toBe(0);

    // The auditor's CSV carries the same use: flows, last seen, per cluster.
    const { csv } = await (await callerFor(db(), "avery.audit@acme.example")).exceptions.exportCsv({});
    const [header, ...rows] = csv
      .trim()
      .split("\r\n")
      .map((line) => line.split(","));
    const column = (row: string[], name: string) => row[header!.indexOf(name)];
    const usedRow = rows.find((r) => r[0] === `E-${used}`)!;
    expect([column(usedRow, "usedFlows"), column(usedRow, "lastUsed"), column(usedRow, "usedInClusters")]).toEqual([
      "3",
      t2.toISOString(),
      `${STAGING}:3`,
    ]);
    const unusedRow = rows.find((r) => r[0] === `E-${unused}`)!;
    expect([column(unusedRow, "usedFlows"), column(unusedRow, "lastUsed"), column(unusedRow, "usedInClusters")]).toEqual(["0", "", ""]);
  });
});
