// Writes the synthetic organisation into a database the benchmark server will own
// (its own PGlite folder), with one admin to sign in as. Idempotent: a database
// that already has the synthetic cluster is left alone.
import { eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import * as t from "../../db/schema";
import { tierOf } from "../../lib/vocabulary";
import { contentHash } from "../../server/lib/canonical";
import { insertPasswordUser } from "../../server/users/credentials";
import { SYNTHETIC, syntheticOrg } from "./graph-synthetic";

export const BENCH_USER = { name: "Bench Admin", email: "bench.admin@synthetic.example", password: "policyplane-bench" };

export async function seedSyntheticOrg(db: Database): Promise<{ seeded: boolean }> {
  const [existing] = await db.select({ id: t.clusters.id }).from(t.clusters).where(eq(t.clusters.name, SYNTHETIC.cluster));
  if (existing) return { seeded: false };
  const org = syntheticOrg();
  await db.transaction(async (q) => {
    const userId = await insertPasswordUser(q, BENCH_USER);
    await q.insert(t.memberships).values({ userId, tenantId: null, role: "admin" });
    const tenantRows = await q
      .insert(t.tenants)
      .values(org.tenants.map((name) => ({ name, displayName: name, ownerTeam: name, description: "synthetic" })))
      .returning();
    const tenantId = new Map(tenantRows.map((r) => [r.name, r.id]));
    const [cluster] = await q
      .insert(t.clusters)
      .values({ name: SYNTHETIC.cluster, region: SYNTHETIC.region, environment: "production", labels: {} })
      .returning();
    let ip = 0;
    for (const ns of org.namespaces) {
      const [row] = await q
        .insert(t.namespaces)
        .values({
          clusterId: cluster!.id,
          tenantId: ns.tenant ? tenantId.get(ns.tenant)! : null,
          name: ns.name,
          labels: { "kubernetes.io/metadata.name": ns.name, ...(ns.tenant ? { tenant: ns.tenant } : {}) },
        })
        .returning();
      await q.insert(t.workloads).values(
        ns.workloads.map((w) => ({
          namespaceId: row!.id,
          name: w.name,
          kind: "Deployment",
          labels: w.labels,
          ports: w.ports,
          ips: [0, 1].map(() => {
            ip++;
            return `10.${(ip >> 16) & 255}.${(ip >> 8) & 255}.${ip & 255}`;
          }),
          replicas: 2,
        })),
      );
      await q.insert(t.services).values(
        ns.workloads.map((w) => ({
          namespaceId: row!.id,
          name: w.name === "coredns" ? "kube-dns" : w.name,
          selector: { app: w.labels.app! },
          ports: w.ports.map((p) => ({ ...p, targetPort: p.name ?? p.port })),
        })),
      );
    }
    await q.insert(t.externalDestinations).values(
      org.externals.map((dnsName, i) => ({
        name: `partner-${i}`,
        dnsName,
        criticality: "medium" as const,
        ports: [{ name: "https", port: 443, protocol: "TCP" as const }],
      })),
    );
    for (const { document, tenant } of org.documents) {
      if (document.kind !== "Policy" && document.kind !== "ComplianceConstraint")
        throw new Error(`a policy version stores a policy or a constraint, not ${document.kind}`);
      const [policy] = await q
        .insert(t.policies)
        .values({
          kind: document.kind === "ComplianceConstraint" ? "ComplianceConstraint" : "Policy",
          name: document.metadata.name,
          tier: tierOf(document),
          tenantId: tenant ? tenantId.get(tenant)! : null,
          owner: document.metadata.owner ?? "synthetic",
          releasedVersion: 1,
          latestVersion: 1,
        })
        .returning();
      await q.insert(t.policyVersions).values({
        policyId: policy!.id,
        version: 1,
        document,
        contentHash: contentHash(document),
        authorId: userId,
        authorLabel: BENCH_USER.email,
        message: "synthetic",
      });
    }
  });
  return { seeded: true };
}
