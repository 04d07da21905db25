import "server-only";
// Writes the demo organisation. Idempotent: it only runs on a database that has
// no tenants yet, and does everything in one transaction with one audit event.
import { randomUUID } from "node:crypto";
import { count, eq, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import * as t from "@/db/schema";
import { recordAudit } from "@/server/audit/record";
import { systemActor, withTransaction } from "@/server/context";
import { contentHash } from "@/server/lib/canonical";
import { insertPasswordUser } from "@/server/users/credentials";
import { tierOf } from "@/lib/vocabulary";
import {
  DEMO_CLUSTERS,
  DEMO_EXTERNAL_DESTINATIONS,
  DEMO_NAMESPACES,
  DEMO_PASSWORD,
  DEMO_POLICIES,
  DEMO_TENANTS,
  DEMO_USERS,
} from "./demo-data";

// Any constant; the same for every process that may seed.
const SEED_LOCK = 7_301_912;

export async function seedDemoOrganisation(db: Database): Promise<{ seeded: boolean }> {
  const [existing] = await db.select({ n: count() }).from(t.tenants);
  if ((existing?.n ?? 0) > 0) return { seeded: false };

  const ctx = { db, actor: systemActor("demo seed"), requestId: `seed-${randomUUID()}` };
  const seeded = await withTransaction(ctx, async (tx) => {
    const q = tx.db;
    // Replicas starting together on one empty PostgreSQL: one seeds, the others find it done.
    await q.execute(sql`SELECT pg_advisory_xact_lock(${SEED_LOCK})`);
    const [raced] = await q.select({ n: count() }).from(t.tenants);
    if ((raced?.n ?? 0) > 0) return false;
    const userIds = new Map<string, string>();
    for (const u of DEMO_USERS) {
      userIds.set(u.email, await insertPasswordUser(q, { name: u.name, email: u.email, password: DEMO_PASSWORD }));
    }

    const tenantRows = await q.insert(t.tenants).values(DEMO_TENANTS).returning();
    const tenantId = new Map(tenantRows.map((row) => [row.name, row.id]));

    await q.insert(t.memberships).values(
      DEMO_USERS.flatMap((u) =>
        u.grants.map((g) => ({
          userId: userIds.get(u.email)!,
          tenantId: g.tenant ? tenantId.get(g.tenant)! : null,
          role: g.role,
          committeeFunction: g.committeeFunction ?? null,
        })),
      ),
    );

    // One insert per table per cluster: the seed runs at first start, before the console answers.
    let workloadCount = 0;
    for (const [clusterIndex, c] of DEMO_CLUSTERS.entries()) {
      const [cluster] = await q
        .insert(t.clusters)
        .values({ name: c.name, region: c.region, environment: c.environment, labels: c.labels })
        .returning();
      const present = DEMO_NAMESPACES.map((n, nsIndex) => ({
        n,
        nsIndex,
        workloads: n.workloads.filter((w) => !w.clusters || w.clusters.includes(c.name)),
      })).filter((x) => x.workloads.length > 0);
      const nsRows = await q
        .insert(t.namespaces)
        .values(
          present.map(({ n }) => ({
            clusterId: cluster!.id,
            tenantId: n.tenant ? tenantId.get(n.tenant)! : null,
            name: n.name,
            labels: { "kubernetes.io/metadata.name": n.name, ...(n.tenant ? { tenant: n.tenant } : {}), ...n.labels },
          })),
        )
        .returning({ id: t.namespaces.id, name: t.namespaces.name });
      const namespaceId = new Map(nsRows.map((r) => [r.name, r.id]));
      const workloadRows: (typeof t.workloads.$inferInsert)[] = [];
      const serviceRows: (typeof t.services.$inferInsert)[] = [];
      let podIndex = 10;
      for (const { n, nsIndex, workloads } of present) {
        for (const w of workloads) {
          const ips = Array.from({ length: w.replicas }, () => `${c.podCidr}.${nsIndex + 1}.${podIndex++}`);
          const labels = { app: w.name, tier: w.tier, ...(n.tenant ? { tenant: n.tenant } : {}), ...w.labels };
          workloadRows.push({
            namespaceId: namespaceId.get(n.name)!,
            name: w.name,
            kind: w.kind,
            labels,
            ports: w.ports,
            ips,
            replicas: w.replicas,
          });
          if (w.ports.length > 0 && w.kind !== "DaemonSet" && w.kind !== "Job") {
            serviceRows.push({
              namespaceId: namespaceId.get(n.name)!,
              name: w.name === "coredns" ? "kube-dns" : w.name,
              selector: { app: w.name },
              ports: w.ports.map((p) => ({ ...p, targetPort: p.name ?? p.port })),
              clusterIp: `172.${20 + clusterIndex}.${nsIndex}.${podIndex}`,
            });
          }
        }
      }
      await q.insert(t.workloads).values(workloadRows);
      await q.insert(t.services).values(serviceRows);
      workloadCount += workloadRows.length;
    }

    await q
      .insert(t.externalDestinations)
      .values(
        DEMO_EXTERNAL_DESTINATIONS.map((d) => ({ ...d, ports: d.dnsName ? [{ name: "https", port: 443, protocol: "TCP" as const }] : [] })),
      );

    for (const { author, document } of DEMO_POLICIES) {
      if (document.kind !== "Policy" && document.kind !== "ComplianceConstraint")
        throw new Error(`a policy version stores a policy or a constraint, not ${document.kind}`);
      const tier = tierOf(document);
      const [policy] = await q
        .insert(t.policies)
        .values({
          kind: document.kind === "ComplianceConstraint" ? "ComplianceConstraint" : "Policy",
          name: document.metadata.name,
          tier,
          tenantId: document.metadata.tenant ? tenantId.get(document.metadata.tenant)! : null,
          owner: document.metadata.owner ?? "unassigned",
          description: document.metadata.description ?? "",
          releasedVersion: 1,
          latestVersion: 1,
        })
        .returning();
      const authorUser = DEMO_USERS.find((u) => u.email === author)!;
      await q.insert(t.policyVersions).values({
        policyId: policy!.id,
        version: 1,
        document,
        contentHash: contentHash(document),
        authorId: userIds.get(author)!,
        authorLabel: authorUser.email,
        message: "Initial version",
      });
    }

    await recordAudit(tx, {
      action: "demo.seeded",
      targetType: "organisation",
      targetId: "demo",
      targetLabel: "Acme Retail demo organisation",
      after: {
        users: DEMO_USERS.length,
        tenants: DEMO_TENANTS.length,
        clusters: DEMO_CLUSTERS.length,
        workloads: workloadCount,
        policies: DEMO_POLICIES.length,
      },
    });
    return true;
  });
  return { seeded };
}

/** True while the demo organisation's users exist: the sign-in page then lists them. */
export async function demoUsersPresent(db: Database): Promise<boolean> {
  const [row] = await db.select({ id: t.user.id }).from(t.user).where(eq(t.user.email, DEMO_USERS[0]!.email)).limit(1);
  return row !== undefined;
}
