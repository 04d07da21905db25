// The committee's Overview figures (issue 17 item 6): what is seeded (a violation aggregate, a drift,
// an expiring exception, a change waiting for approval) moves each figure by exactly that much, for
// an organisation-wide reader and for one limited to a tenant; coverage counts the inventory's workloads.
import { and, count, eq, inArray } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { clusterDrifts, clusters, exceptions, flowAggregates, namespaces, tenants, workloads } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { callerFor, DEMO_PEOPLE } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { paymentsEgressYaml } from "@/server/testing/policies";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe(`the committee's overview on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;
  const as = (email: string) => callerFor(db(), email);
  const ids = { cluster: "", payments: "", checkout: "" };

  beforeAll(async () => {
    const [eu] = await db().select().from(clusters).where(eq(clusters.name, "prod-eu-1"));
    const [payments] = await db().select().from(tenants).where(eq(tenants.name, "payments"));
    const [checkout] = await db().select().from(tenants).where(eq(tenants.name, "checkout"));
    Object.assign(ids, { cluster: eu!.id, payments: payments!.id, checkout: checkout!.id });
  });

  const minuteAgo = (ms: number) => new Date(Math.floor((Date.now() - ms) / 60_000) * 60_000);
  const aggregate = (o: { ms: number; count: number; tenant: string; flowClass?: "violation" | "near-miss"; source: string }) => ({
    clusterId: ids.cluster,
    minute: minuteAgo(o.ms),
    source: o.source,
    sourceNamespace: "checkout",
    destination: "payments/payments-db",
    destinationNamespace: "payments",
    destinationTenantId: o.tenant,
    port: 5432,
    protocol: "TCP",
    verdict: "DROPPED",
    flowClass: o.flowClass ?? "violation",
    engineVerdict: "deny",
    releaseNumber: null,
    rationale: "test",
    count: o.count,
    firstSeen: minuteAgo(o.ms),
    lastSeen: minuteAgo(o.ms),
  });

  const exception = (n: string, state: "approved" | "requested", expiresInMs: number, tenantId: string) => ({
    state,
    title: `committee ${n}`,
    tenantId,
    flow: {
      direction: "egress" as const,
      source: { namespace: "payments", labels: { app: "payments-api" } },
      destination: { kind: "cidr" as const, cidr: "203.0.113.9/32" },
      ports: [{ port: 8443, protocol: "TCP" as const }],
    },
    justification: "a vendor migration",
    ticket: `CHG-${n}`,
    startsAt: new Date(Date.now() - DAY),
    expiresAt: new Date(Date.now() + expiresInMs),
    contentHash: `hash-${n}`,
    requesterLabel: DEMO_PEOPLE.author,
  });

  it("moves each figure by what is seeded, for everyone and for a reader limited to one tenant", async () => {
    const admin = await as(DEMO_PEOPLE.admin);
    const committee = await as(DEMO_PEOPLE.paymentsCommittee);
    const security = await as(DEMO_PEOPLE.security);
    const [before, scopedBefore, securityBefore] = await Promise.all([
      admin.overview.committee(),
      committee.overview.committee(),
      security.overview.committee(),
    ]);

    await db()
      .insert(flowAggregates)
      .values([
        // In the last 24 hours: 7 to payments, 5 to checkout; 100 near-misses that are no violations.
        aggregate({ ms: 30 * 60_000, count: 7, tenant: ids.payments, source: "checkout/committee-a" }),
        aggregate({ ms: 2 * HOUR, count: 5, tenant: ids.checkout, source: "checkout/committee-b" }),
        aggregate({ ms: 3 * HOUR, count: 100, tenant: ids.payments, source: "checkout/committee-c", flowClass: "near-miss" }),
        // The 24 hours before: 4 to payments; and older, 50 that count nowhere.
        aggregate({ ms: 30 * HOUR, count: 4, tenant: ids.payments, source: "checkout/committee-d" }),
        aggregate({ ms: 3 * DAY, count: 50, tenant: ids.payments, source: "checkout/committee-e" }),
      ]);
    // One drifted object in payments' namespace, one in a namespace of no tenant the committee may read.
    await db()
      .insert(clusterDrifts)
      .values([
        {
          clusterId: ids.cluster,
          objectKey: "cilium.io/CiliumNetworkPolicy/payments/committee-drift",
          type: "unmanaged",
          kind: "CiliumNetworkPolicy",
          namespace: "payments",
          name: "committee-drift",
        },
        {
          clusterId: ids.cluster,
          objectKey: "networking.k8s.io/NetworkPolicy/checkout/committee-drift",
          type: "missing",
          kind: "NetworkPolicy",
          namespace: "checkout",
          name: "committee-drift",
        },
      ]);
    // Exceptions: one expiring in 3 days (counted), one in 10 days (not), one waiting for approval; all payments'.
    const [soon] = await db()
      .insert(exceptions)
      .values([
        exception("soon", "approved", 3 * DAY, ids.payments),
        exception("later", "approved", 10 * DAY, ids.payments),
        exception("asked", "requested", 5 * DAY, ids.payments),
      ])
      .returning();
    // A change waiting for approval (payments' policy), which the security function may approve.
    const author = await as(DEMO_PEOPLE.author);
    await author.policies.saveDraft({ policyName: null, baseVersion: null, yaml: paymentsEgressYaml("committee-overview"), message: "" });
    const { number: change } = await author.policies.proposeChange({
      title: "committee overview",
      description: "",
      policies: ["committee-overview"],
    });

    const [after, scopedAfter, securityAfter] = await Promise.all([
      admin.overview.committee(),
      committee.overview.committee(),
      security.overview.committee(),
    ]);

    expect(after.violations.last24h - before.violations.last24h).toBe(12);
    expect(after.violations.previous24h - before.violations.previous24h).toBe(4);
    expect(after.violations.series).toHaveLength(24);
    const sum = (s: { n: number }[]) => s.reduce((n, p) => n + p.n, 0);
    expect(sum(after.violations.series) - sum(before.violations.series)).toBe(12);
    // The 7 of half an hour ago sit in the current or the previous hour's point.
    const nowHour = new Date(Math.floor(minuteAgo(30 * 60_000).getTime() / HOUR) * HOUR).toISOString().replace(".000Z", "Z");
    const point = (o: typeof after, t: string) => o.violations.series.find((p) => p.t === t)?.n ?? 0;
    expect(point(after, nowHour) - point(before, nowHour)).toBe(7);
    // The payments committee counts flows from or to payments only.
    expect(scopedAfter.violations.last24h - scopedBefore.violations.last24h).toBe(7);
    expect(scopedAfter.violations.previous24h - scopedBefore.violations.previous24h).toBe(4);

    expect(after.drift.objects - before.drift.objects).toBe(2);
    expect(scopedAfter.drift.objects - scopedBefore.drift.objects).toBe(1);

    expect(after.expiringExceptions.count - before.expiringExceptions.count).toBe(1);
    expect(after.expiringExceptions.withinDays).toBe(7);
    expect(after.expiringExceptions.soonest.map((e) => e.number)).toContain(soon!.number);
    expect(after.expiringExceptions.soonest.map((e) => e.title)).not.toContain("committee later");
    expect(scopedAfter.expiringExceptions.count - scopedBefore.expiringExceptions.count).toBe(1);

    expect(after.approvals.changesInReview - before.approvals.changesInReview).toBe(1);
    expect(after.approvals.exceptionsRequested - before.approvals.exceptionsRequested).toBe(1);
    // The security approver's own queue gains the change; the admin's figure is the queue's rule for them.
    expect(securityAfter.approvals.yours - securityBefore.approvals.yours).toBe(1);
    expect((await security.reviews.queue()).items.map((i) => i.number)).toContain(change);
  });

  it("counts coverage over the inventory's workloads, a tenant's reader over their tenant's only", async () => {
    const admin = await as(DEMO_PEOPLE.admin);
    const committee = await as(DEMO_PEOPLE.paymentsCommittee);
    const [all, scoped, counts] = await Promise.all([admin.overview.committee(), committee.overview.committee(), admin.overview.counts()]);
    expect(all.coverage.workloads).toBe(counts.workloads);
    expect(all.coverage.perCluster.map((c) => c.cluster).sort()).toEqual(counts.perCluster.map((c) => c.cluster).sort());
    for (const c of all.coverage.perCluster)
      expect(c.workloads, c.cluster).toBe(counts.perCluster.find((p) => p.cluster === c.cluster)!.workloads);
    expect(all.coverage.ingress).toBeGreaterThan(0);
    expect(all.coverage.ingress).toBeLessThanOrEqual(all.coverage.workloads);
    expect(all.coverage.both).toBeLessThanOrEqual(all.coverage.ingress);
    const paymentsNamespaces = db().select({ id: namespaces.id }).from(namespaces).where(eq(namespaces.tenantId, ids.payments));
    const [paymentsWorkloads] = await db()
      .select({ n: count() })
      .from(workloads)
      .where(and(inArray(workloads.namespaceId, paymentsNamespaces)));
    expect(scoped.coverage.workloads).toBe(paymentsWorkloads!.n);
    expect(scoped.coverage.workloads).toBeLessThan(all.coverage.workloads);
  });

  it("lists the last releases, newest first, the one just made on top", async () => {
    const admin = await as(DEMO_PEOPLE.admin);
    const made: number[] = [];
    for (const port of [8441, 8442]) {
      const name = `committee-release-${port}`;
      const author = await as(DEMO_PEOPLE.author);
      await author.policies.saveDraft({ policyName: null, baseVersion: null, yaml: paymentsEgressYaml(name, { port }), message: "" });
      const { number } = await author.policies.proposeChange({ title: `committee release ${port}`, description: "", policies: [name] });
      const { contentHash } = await admin.workflow.review({ number });
      for (const email of [DEMO_PEOPLE.security, DEMO_PEOPLE.paymentsCommittee])
        await (await as(email)).workflow.approve({ number, contentHash });
      made.push((await admin.workflow.release({ number })).release);
    }
    const { releases } = await admin.overview.committee();
    expect(releases.slice(0, 2).map((r) => r.number)).toEqual([made[1], made[0]]);
    expect(releases[0]).toMatchObject({ title: "committee release 8442", emergency: false, rollbackTo: null });
    expect(releases.length).toBeLessThanOrEqual(5);
    // Named as the Releases page names them: the same list, with payments' titles, for the payments committee.
    const scoped = await (await as(DEMO_PEOPLE.paymentsCommittee)).overview.committee();
    expect(scoped.releases.slice(0, 2).map((r) => r.title)).toEqual(["committee release 8442", "committee release 8441"]);
    expect(releases.map((r) => r.number)).toEqual((await admin.releases.list()).slice(0, releases.length).map((r) => r.number));
  });
});
