import "server-only";
// The policy set as released right now: every policy and constraint at its
// released version, with that version's content hash.
import { and, eq, isNotNull } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { policies, policyVersions } from "@/db/schema";
import { contentHash } from "@/server/lib/canonical";
import type { PlatformDefault } from "@/server/policy/model";

export interface SnapshotEntry {
  policyId: string;
  name: string;
  kind: "Policy" | "ComplianceConstraint";
  tier: string;
  tenantId: string | null;
  version: number;
  contentHash: string;
}

export async function releasedPolicySet(db: Queryable): Promise<SnapshotEntry[]> {
  const rows = await db
    .select({
      policyId: policies.id,
      name: policies.name,
      kind: policies.kind,
      tier: policies.tier,
      tenantId: policies.tenantId,
      version: policyVersions.version,
      contentHash: policyVersions.contentHash,
    })
    .from(policies)
    .innerJoin(policyVersions, and(eq(policyVersions.policyId, policies.id), eq(policyVersions.version, policies.releasedVersion)))
    .where(isNotNull(policies.releasedVersion));
  return rows.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * What a release puts in force: its policy set and the platform default every cluster compiles it with.
 * Equal releases hash equal (a rollback to release N has N's hash); two that differ only by the default do not.
 */
export function policySetHash(
  entries: readonly SnapshotEntry[],
  platformDefault: PlatformDefault,
  staged: readonly { name: string; kind: string; version: number; contentHash: string }[] = [],
): string {
  return contentHash({
    policies: entries.map((e) => ({ name: e.name, kind: e.kind, version: e.version, contentHash: e.contentHash })),
    platformDefault: { enabled: platformDefault.enabled, excludeNamespaces: [...platformDefault.excludeNamespaces].sort() },
    // The staged (audit-only) versions clusters get too; absent when none, so hashes of releases without any stay as they were.
    ...(staged.length > 0
      ? { staged: staged.map((e) => ({ name: e.name, kind: e.kind, version: e.version, contentHash: e.contentHash })) }
      : {}),
  });
}
