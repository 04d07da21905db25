import "server-only";
// A release's staged versions (issue 13 §11): what staged change requests put
// on the clusters as audit-only objects, never enforced. Releasing a staged
// change adds its versions here and leaves every policy's released version
// alone, so the engine, the graph, the decisions and the simulator (which read
// the released versions) see nothing of it. A staged version is carried into
// later releases until one enforces its policy at that version or a newer one
// (its promotion, or a change that superseded it).
import { and, eq, inArray } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { clusterProfiles, clusters, policies, policyVersions, releaseStagedEntries, releases } from "@/db/schema";
import { releasedWith, type StoredDocument } from "@/server/drafts/documents";
import type { ServiceContext } from "@/server/context";
import { mayReadTenant } from "@/server/auth/authorize";
import { runEngine } from "@/server/engine-pool/pool";
import { NotFound } from "@/server/errors";
import { serverNow } from "@/server/clock";
import { PLATFORM_DEFAULT_OFF } from "@/server/policy/model";
import type { ChangeItem } from "@/server/workflow/review";
import type { ReleaseNumberInput } from "./schemas";

export interface StagedEntry {
  policyId: string;
  name: string;
  kind: "Policy" | "ComplianceConstraint";
  version: number;
  contentHash: string;
  changeRequestNumber: number;
}

/** The staged versions release `number` carries (none for an unknown release). */
export async function stagedEntriesOf(db: Queryable, number: number): Promise<StagedEntry[]> {
  const rows = await db
    .select({
      policyId: releaseStagedEntries.policyId,
      name: releaseStagedEntries.name,
      kind: releaseStagedEntries.kind,
      version: releaseStagedEntries.version,
      contentHash: releaseStagedEntries.contentHash,
      changeRequestNumber: releaseStagedEntries.changeRequestNumber,
    })
    .from(releaseStagedEntries)
    .innerJoin(releases, eq(releases.id, releaseStagedEntries.releaseId))
    .where(eq(releases.number, number));
  return rows.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The staged set a new release carries (in the release's transaction, after it moved the released versions):
 * `from` (the previous release's, or a rollback target's) without the versions now enforced or superseded, plus
 * `staging` (the items of the staged change being released), which replace an earlier staged version of their policy.
 */
export async function nextStagedSet(
  db: Queryable,
  from: readonly StagedEntry[],
  staging: { changeRequestNumber: number; items: readonly ChangeItem[] } | null,
): Promise<StagedEntry[]> {
  const ids = [...new Set([...from.map((e) => e.policyId), ...(staging?.items.map((i) => i.policyId) ?? [])])];
  if (ids.length === 0) return [];
  const released = new Map(
    (await db.select({ id: policies.id, released: policies.releasedVersion }).from(policies).where(inArray(policies.id, ids))).map((r) => [
      r.id,
      r.released,
    ]),
  );
  const enforced = (policyId: string, version: number) => {
    const r = released.get(policyId);
    return r !== null && r !== undefined && r >= version;
  };
  const added: StagedEntry[] = [];
  for (const i of staging?.items ?? []) {
    const [v] = await db
      .select({ hash: policyVersions.contentHash })
      .from(policyVersions)
      .where(and(eq(policyVersions.policyId, i.policyId), eq(policyVersions.version, i.toVersion)));
    added.push({
      policyId: i.policyId,
      name: i.name,
      kind: i.kind,
      version: i.toVersion,
      contentHash: v!.hash,
      changeRequestNumber: staging!.changeRequestNumber,
    });
  }
  const kept = from.filter((e) => !added.some((a) => a.policyId === e.policyId) && !enforced(e.policyId, e.version));
  return [...kept, ...added].sort((a, b) => a.name.localeCompare(b.name));
}

/** Records a new release's staged set (immutable with it). */
export async function recordStagedSet(db: Queryable, releaseId: string, entries: readonly StagedEntry[]): Promise<void> {
  if (entries.length > 0) await db.insert(releaseStagedEntries).values(entries.map((e) => ({ ...e, releaseId })));
}

/** The staged versions of a release as the engine takes documents (what renders as audit-only objects). */
export async function stagedDocuments(db: Queryable, releaseId: string): Promise<StoredDocument[]> {
  const entries = await db
    .select({ policyId: releaseStagedEntries.policyId, version: releaseStagedEntries.version })
    .from(releaseStagedEntries)
    .where(eq(releaseStagedEntries.releaseId, releaseId));
  // Over an empty release: only the staged versions.
  return releasedWith(db, entries, []);
}

/** Each cluster's CNI as its agent reported it or an admin set it (absent: not known). */
export async function clusterCnis(db: Queryable): Promise<Map<string, "cilium" | "calico" | "other">> {
  const rows = await db
    .select({ name: clusters.name, cni: clusterProfiles.cni })
    .from(clusters)
    .innerJoin(clusterProfiles, eq(clusterProfiles.clusterId, clusters.id));
  return new Map(rows.flatMap((r) => (r.cni ? [[r.name, r.cni] as const] : [])));
}

/**
 * Release `number`'s staged versions and, per cluster, what they render as: Calico's audit-only objects (YAML), or
 * none with the reason (Cilium, plain NetworkPolicy/ANP, an unknown CNI). For the release page: readable by anyone
 * who reads releases.
 */
export async function getStagedRender({ ctx, input }: { ctx: ServiceContext; input: ReleaseNumberInput }) {
  const [release] = await ctx.db
    .select({ id: releases.id, staged: releases.staged })
    .from(releases)
    .where(eq(releases.number, input.number));
  if (!release) throw new NotFound(`No release ${input.number}.`);
  const all = await stagedEntriesOf(ctx.db, input.number);
  // Another tenant's policies are not shown to someone scoped to other tenants (as on the release's policy list).
  const tenants = new Map(
    all.length === 0
      ? []
      : (
          await ctx.db
            .select({ id: policies.id, tenantId: policies.tenantId })
            .from(policies)
            .where(
              inArray(
                policies.id,
                all.map((e) => e.policyId),
              ),
            )
        ).map((r) => [r.id, r.tenantId]),
  );
  const entries = all.filter((e) => mayReadTenant(ctx.actor, tenants.get(e.policyId) ?? null));
  const hidden = all.length - entries.length;
  if (entries.length === 0) return { release: input.number, staged: release.staged, entries, hidden, clusters: [] };
  // Imported here, not at the top: the rollout imports this module.
  const { releaseTargets } = await import("./rollout");
  const [documents, targets] = await Promise.all([
    stagedDocuments(ctx.db, release.id).then((docs) => docs.filter((d) => mayReadTenant(ctx.actor, d.tenantId))),
    releaseTargets(ctx.db),
  ]);
  const clusters = await runEngine("renderStagedYaml", {
    documents: [],
    staged: documents,
    clusters: targets,
    platformDefault: PLATFORM_DEFAULT_OFF,
    release: String(input.number),
    time: serverNow().toISOString(),
  });
  return { release: input.number, staged: release.staged, entries, hidden, clusters };
}
